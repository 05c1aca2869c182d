"""Re-screen a data lake on Apache Spark (the optional extra ``[spark]``: pyspark, pyarrow, pandas).

``check(df)`` adds ``decision``, ``decision_json`` and ``error`` to every row of a DataFrame of transactions;
``diff(df, old, new)`` gives the rows a pack change affects, and ``by_rule`` groups them by rule. ``frames`` is
the DataFrame side, ``rows`` what runs inside a task (a batch of rows through the CLI's own step), ``packs`` how
the rule packs travel (bytes and hashes, verified, loaded once per Python worker). See docs/spark.md.

    from compliance.spark import check
    results = check(spark.table("erp.order_lines_json"), column="transaction", source="erp.order_lines_json")
    results.write.format("delta").mode("overwrite").saveAsTable("compliance.decisions")
"""

from compliance.spark.frames import CHECK_COLUMNS, ERROR_SCHEMA, SOURCE, by_rule, check, diff
from compliance.spark.packs import PackPayload, pack_payload
from compliance.spark.rows import RowCountChanged

__all__ = [
    "CHECK_COLUMNS",
    "ERROR_SCHEMA",
    "SOURCE",
    "PackPayload",
    "RowCountChanged",
    "by_rule",
    "check",
    "diff",
    "pack_payload",
]
