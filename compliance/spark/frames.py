"""The DataFrame API: ``check(df)`` and ``diff(df, old, new)``, evaluated in ``mapInArrow`` batches.

The driver loads the packs (a pack error stops here, before any task), counts the rows of each partition (one
cheap job: the record numbers), broadcasts the packs' bytes and hashes and the numbering, and returns the lazy
DataFrame; Spark runs the tasks when the result is written or collected. An executor needs this package
installed (with its compiled durable-rules core) and nothing else: no path of the driver's, no network.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from compliance.evaluate.engine import Engine
from compliance.spark.packs import PackFile, PackPayload, Rules, clearances_payload, engine_for, pack_payload
from compliance.spark.rows import CHECK_COLUMNS, DIFF_COLUMNS, Numbering, check_batches, diff_batches

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

__all__ = ["CHECK_COLUMNS", "ERROR_SCHEMA", "SOURCE", "by_rule", "check", "diff"]

# The `source` of every record when the caller names none (the CLI names the file; the service, "request").
SOURCE = "<dataframe>"
# The error record's shape, for `F.from_json("error", ERROR_SCHEMA)`.
ERROR_SCHEMA = (
    "source STRING, record BIGINT, error STRUCT<code: STRING, problems: ARRAY<STRUCT<file: STRING, line: BIGINT, "
    "col: BIGINT, level: STRING, code: STRING, message: STRING, help: STRING, related: ARRAY<STRUCT<file: STRING, "
    "line: BIGINT, col: BIGINT>>>>>"
)
_JSON = "__compliance_transaction_json"  # the helper column a struct is written to (dropped from the result)

T = TypeVar("T")


def _require() -> None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"compliance.spark needs the [spark] extra ({exc.name} is missing): pip install 'compliance-engine[spark]'"
        ) from exc


@dataclass(frozen=True, slots=True)
class _Inline(Generic[T]):
    """A value that travels inside the task itself (Spark Connect has no SparkContext to broadcast with)."""

    value: T

    def get(self) -> T:
        return self.value


class _Broadcast(Generic[T]):
    """A value sent to each executor once (a Spark broadcast), read where the task runs."""

    def __init__(self, spark: SparkSession, value: T) -> None:
        self._handle = spark.sparkContext.broadcast(value)

    def get(self) -> T:
        return self._handle.value  # type: ignore[no-any-return]


def _share(spark: SparkSession, value: T) -> _Inline[T] | _Broadcast[T]:
    try:
        return _Broadcast(spark, value)
    except NotImplementedError:  # Spark Connect (a Databricks shared or serverless cluster): no SparkContext
        return _Inline(value)


def _quoted(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def _prepared(df: DataFrame, column: str, added: tuple[str, ...]) -> tuple[DataFrame, str, str | None]:
    """The DataFrame with the transactions as JSON text or bytes, the field holding them, and a helper to drop."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if column not in df.columns:
        raise ValueError(f"the DataFrame has no column {column!r} (its columns: {', '.join(df.columns)})")
    clash = sorted(set(added) & set(df.columns))
    if clash:
        raise ValueError(f"the DataFrame already has column(s) {', '.join(clash)}: rename or drop them first")
    dtype = df.schema[column].dataType
    if isinstance(dtype, T.StringType | T.BinaryType):
        return df, column, None
    if isinstance(dtype, T.StructType | T.MapType):
        # A struct in the transaction schema is written as the JSON a file would hold: a null field is left out
        # (an absent optional field, not an explicit null), a date as YYYY-MM-DD, whatever the session's options.
        text = F.to_json(F.col(_quoted(column)), {"ignoreNullFields": "true", "dateFormat": "yyyy-MM-dd"})
        return df.withColumn(_JSON, text), _JSON, _JSON
    raise TypeError(
        f"column {column!r} is {dtype.simpleString()}: expected a string or binary (transaction JSON) or a struct "
        "in the transaction schema"
    )


def _numbering(df: DataFrame) -> Numbering:
    """Rows per partition, counted in the JVM (no data goes to Python): the offsets of the record numbers."""
    from pyspark.sql import functions as F

    rows = df.select(F.spark_partition_id().alias("partition")).groupBy("partition").count().collect()
    return Numbering.of({int(r["partition"]): int(r["count"]) for r in rows})


def _partition() -> int:
    from pyspark import TaskContext

    context = TaskContext.get()
    return context.partitionId() if context is not None else 0


@dataclass(frozen=True, slots=True)
class _Packs:
    sha256: str
    backend: str
    payload: _Inline[PackPayload] | _Broadcast[PackPayload]
    clearances: tuple[str, _Inline[PackFile] | _Broadcast[PackFile]] | None = None

    def engine(self) -> Engine:
        cleared = (self.clearances[0], self.clearances[1].get) if self.clearances else None
        return engine_for(self.sha256, self.backend, self.payload.get, cleared)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every task of one call needs; pickled with the function (the large parts are broadcast)."""

    packs: tuple[_Packs, ...]
    numbering: _Inline[Numbering] | _Broadcast[Numbering]
    field: str
    column: str
    drop: str | None
    source: str
    as_of: dt.date | None


def _check_partition(plan: _Plan, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield from check_batches(
        batches,
        plan.packs[0].engine,
        plan.numbering.get(),
        _partition(),
        field=plan.field,
        column=plan.column,
        drop=plan.drop,
        source=plan.source,
        as_of=plan.as_of,
    )


def _diff_partition(plan: _Plan, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    def engines() -> tuple[Engine, Engine]:
        return plan.packs[0].engine(), plan.packs[1].engine()

    yield from diff_batches(
        batches,
        engines,
        plan.numbering.get(),
        _partition(),
        field=plan.field,
        column=plan.column,
        drop=plan.drop,
        source=plan.source,
        as_of=plan.as_of,
    )


def _packs(spark: SparkSession, rules: Rules, backend: str, clearances: PackFile | None) -> _Packs:
    packset, payload = pack_payload(rules)
    Engine(packset, backend=backend).close()  # a pack the matcher cannot build fails here, before any task
    cleared = (clearances.sha256, _share(spark, clearances)) if clearances else None
    return _Packs(payload.sha256, backend, _share(spark, payload), cleared)


def _clearances(path: str | Path | None) -> PackFile | None:
    return clearances_payload(path) if path is not None else None


def _plan(
    df: DataFrame, packs: tuple[_Packs, ...], column: str, source: str, as_of: dt.date | None, added: tuple[str, ...]
) -> tuple[DataFrame, _Plan]:
    prepared, field, drop = _prepared(df, column, added)
    numbering = _share(df.sparkSession, _numbering(df))
    return prepared, _Plan(packs, numbering, field, column, drop, source, as_of)


def _kept_fields(prepared: DataFrame, drop: str | None) -> list[object]:
    return [f for f in prepared.schema.fields if f.name != drop]


def check(
    df: DataFrame,
    rules: Rules = None,
    column: str = "transaction",
    *,
    source: str = SOURCE,
    as_of: dt.date | None = None,
    backend: str = "durable",
    clearances: str | Path | None = None,
) -> DataFrame:
    """``df`` with ``decision``, ``decision_json`` and ``error`` added: one result per row, in place, none dropped.

    ``column`` holds each transaction as JSON (a string or bytes) or as a struct in the transaction schema.
    ``rules``: a pack folder or several (default: the packs bundled with this installation, as the CLI).
    ``decision`` is ``allow``, ``deny``, ``review`` or ``error``; ``decision_json`` is exactly the line
    ``compliance check FILE --format jsonl`` prints for the row as line N of a JSON Lines file named ``source``,
    N being the row's 1-based position in the DataFrame (partition order, then row order); ``error`` is the
    error record (the same line) when the row could not be decided, else null. ``clearances``: a clearances
    file, as ``--clearances`` (read and validated on the driver, shipped as bytes and a hash).
    """
    _require()
    from pyspark.sql import types as T

    packs = (_packs(df.sparkSession, rules, backend, _clearances(clearances)),)
    prepared, plan = _plan(df, packs, column, source, as_of, CHECK_COLUMNS)
    schema = T.StructType(
        _kept_fields(prepared, plan.drop) + [T.StructField(name, T.StringType(), True) for name in CHECK_COLUMNS]
    )
    return prepared.mapInArrow(functools.partial(_check_partition, plan), schema)


def _diff_schema(prepared: DataFrame, drop: str | None) -> StructType:
    from pyspark.sql import types as T

    finding = T.StructType(
        [
            T.StructField("rule_id", T.StringType(), True),
            T.StructField("line", T.IntegerType(), True),
            T.StructField("party", T.StringType(), True),
            T.StructField("change", T.StringType(), True),  # added | removed | changed
            T.StructField("old", T.StringType(), True),
            T.StructField("new", T.StringType(), True),
        ]
    )
    types = {
        "record": T.LongType(),
        "decision_changed": T.BooleanType(),
        "findings": T.ArrayType(finding, True),
    }
    added = [T.StructField(name, types.get(name, T.StringType()), True) for name in DIFF_COLUMNS]
    return T.StructType(_kept_fields(prepared, drop) + added)


def diff(
    df: DataFrame,
    old_rules: Rules,
    new_rules: Rules,
    column: str = "transaction",
    *,
    source: str = SOURCE,
    as_of: dt.date | None = None,
    backend: str = "reference",
    clearances: str | Path | None = None,
) -> DataFrame:
    """The impact of a pack change over ``df``: the rows whose result changed, with what changed (``compliance diff``).

    One row per transaction whose decision changed or whose findings appeared, disappeared or changed outcome
    (matched on rule, line and party, exactly as ``compliance diff``), plus every row that could not be read
    (``old_decision`` = ``new_decision`` = ``error``: the change's impact on it is unknown). Columns added:
    ``record``, ``transaction_id``, ``old_decision``, ``new_decision``, ``decision_changed``, ``findings``
    (rule_id, line, party, change, old, new), ``old_decision_json``, ``new_decision_json`` (the CLI's JSON Lines
    line under each pack set) and ``error``. :func:`by_rule` groups them by rule. The backend defaults to the
    reference matcher, as ``compliance diff`` does; ``clearances`` apply under both pack sets.
    """
    _require()
    spark = df.sparkSession
    cleared = _clearances(clearances)
    packs = (_packs(spark, old_rules, backend, cleared), _packs(spark, new_rules, backend, cleared))
    prepared, plan = _plan(df, packs, column, source, as_of, DIFF_COLUMNS)
    return prepared.mapInArrow(functools.partial(_diff_partition, plan), _diff_schema(prepared, plan.drop))


def by_rule(changes: DataFrame) -> DataFrame:
    """:func:`diff`'s rows grouped by rule: for each rule and kind of change (added, removed, changed, with the old
    and new outcome), how many findings, transactions and changed decisions; in rule order."""
    _require()
    from pyspark.sql import functions as F

    exploded = changes.select("record", "decision_changed", F.explode("findings").alias("f"))
    return (
        exploded.groupBy(
            F.col("f.rule_id").alias("rule_id"),
            F.col("f.change").alias("change"),
            F.col("f.old").alias("old"),
            F.col("f.new").alias("new"),
        )
        .agg(
            F.count(F.lit(1)).alias("findings"),
            F.countDistinct("record").alias("transactions"),
            F.countDistinct(F.when(F.col("decision_changed"), F.col("record"))).alias("decisions_changed"),
        )
        .orderBy("rule_id", "change", "old", "new")
    )
