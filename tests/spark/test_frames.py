"""``compliance.spark`` on a local[2] Spark: the results are the CLI's, row for row and byte for byte.

Slow (a JVM, Python workers): run with ``python -m pytest -m slow``; ``.ci/run`` installs the [spark] extra.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from compliance.authoring.diff import diff_corpus
from tests.conftest import ROOT, RULES
from tests.corpus import corpus
from tests.spark.records import H20, OK, lines

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

pytestmark = [
    pytest.mark.slow,
    # PySpark 3.5 compares the pandas version with distutils' LooseVersion (deprecated) before mapInArrow.
    pytest.mark.filterwarnings("ignore:distutils Version classes are deprecated:DeprecationWarning"),
    # py4j leaves the sockets of finished collect() calls to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _cli(folder: Path, name: str, *args: str) -> dict[int, str]:
    """`compliance check NAME --format jsonl` (the command itself, in its own process), lines by record number."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "check", name, "--format", "jsonl", "--quiet", *args],
        cwd=folder,
        capture_output=True,
        check=False,
    )
    assert done.returncode in (0, 1, 2, 3), done.stderr
    return {json.loads(line)["record"]: line.decode() for line in done.stdout.splitlines()}


@pytest.fixture
def small_splits(spark: SparkSession) -> Iterator[None]:
    """Files read in many small partitions, so that records and bad rows fall in several tasks."""
    key = "spark.sql.files.maxPartitionBytes"
    saved = spark.conf.get(key)
    spark.conf.set(key, str(128 * 1024))
    yield
    spark.conf.set(key, saved)


def _read(spark: SparkSession, path: Path) -> DataFrame:
    # lineSep: only a newline ends a record, as for the CLI (by default Spark also splits at a lone CR).
    return spark.read.text(str(path), lineSep="\n").withColumnRenamed("value", "transaction")


@pytest.mark.parametrize("backend", ["durable", "reference"])
def test_every_row_is_the_clis_line_byte_for_byte(
    spark: SparkSession, small_splits: None, tmp_path: Path, backend: str
) -> None:
    from compliance.spark import check

    data = lines(200)
    (tmp_path / "orders.jsonl").write_bytes(b"".join(line + b"\n" for line in data))
    cli = _cli(tmp_path, "orders.jsonl", "--rules", str(RULES), "--backend", backend)
    df = _read(spark, tmp_path / "orders.jsonl")
    assert df.rdd.getNumPartitions() > 3
    results = check(df, RULES, source="orders.jsonl", backend=backend)
    assert results.columns == ["transaction", "decision", "decision_json", "error"]
    rows = results.collect()
    assert len(rows) == len(data)  # the record count: every row, none dropped, none added
    by_number = {json.loads(r.decision_json)["record"]: r for r in rows}
    assert sorted(by_number) == list(range(1, len(data) + 1))
    blank = {n for n, line in enumerate(data, start=1) if not line.strip()}
    assert blank and set(cli) == set(by_number) - blank
    for n, line in cli.items():
        row = by_number[n]
        assert row.decision_json == line, n
        outcome = json.loads(line).get("decision", "error")
        assert row.decision == outcome and row.error == (line if outcome == "error" else None), n
    for n in blank:
        assert by_number[n].decision == "error" and '"code":"empty-record"' in by_number[n].error
    decided = [r.decision for r in rows]
    assert {"allow", "deny", "review"} <= set(decided)
    assert decided.count("error") == sum('"error":{' in line for line in cli.values()) + len(blank)
    # The input column is passed through: the rows are where they were, with their values.
    bad_byte = next(i for i, line in enumerate(data) if b"\xff" in line)
    assert '"code":"encoding"' in by_number[bad_byte + 1].error


def test_the_packs_are_unpacked_once_per_worker_process(spark: SparkSession) -> None:
    """Many tasks, few Python workers (PySpark reuses them): each worker verified and built the engine once."""
    from compliance.spark import check
    from compliance.spark.packs import pack_payload

    tasks = 12
    docs = [(json.dumps({**OK, "id": f"OK-{i}"}),) for i in range(tasks * 5)]
    df = spark.createDataFrame(docs, "transaction string").coalesce(1).repartition(tasks).cache()
    assert df.count() == tasks * 5 and df.rdd.getNumPartitions() == tasks
    assert {r.decision for r in check(df, RULES, backend="reference").collect()} == {"allow"}

    sha = pack_payload(RULES)[1].sha256

    def report(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import os

        import pyarrow as pa

        from compliance.spark.packs import engine_builds

        for _batch in batches:
            pass
        built = engine_builds().get((sha, "reference", ""), 0)
        yield pa.RecordBatch.from_pydict({"pid": [os.getpid()], "built": [built]})

    # The same kind of task (mapInArrow), so the same pool of Python workers as check()'s.
    seen = {r.pid: r.built for r in df.mapInArrow(report, "pid long, built long").collect()}
    assert 1 <= len(seen) < tasks  # the workers were reused
    assert set(seen.values()) <= {0, 1} and 1 in seen.values()  # none built the engine twice


def test_a_struct_column_is_decided_as_its_json(spark: SparkSession, tmp_path: Path) -> None:
    """A table read with a schema (structs, not text) gets the decisions of the same transactions as JSON."""
    from pyspark.sql import functions as F

    from compliance.spark import check

    txs = [OK, H20, *corpus(80, seed=4)]
    path = tmp_path / "good.jsonl"
    path.write_text("".join(json.dumps(tx) + "\n" for tx in txs))
    structs = spark.read.json(str(path))
    structs = structs.select(F.struct(*[F.col(c) for c in structs.columns]).alias("transaction"))
    from_text = check(_read(spark, path), RULES).collect()
    from_structs = check(structs, RULES).collect()
    assert [r.decision for r in from_structs] == [r.decision for r in from_text]
    assert [r.decision_json for r in from_structs] == [r.decision_json for r in from_text]
    assert "error" not in {r.decision for r in from_structs}
    assert set(from_structs[0].asDict()) == {"transaction", "decision", "decision_json", "error"}


def test_nulls_and_other_columns_stay_in_place(spark: SparkSession) -> None:
    from compliance.spark import check

    df = spark.createDataFrame(
        [("a", json.dumps(H20)), ("b", None), ("c", "   "), ("d", json.dumps(OK))],
        "order_ref string, tx string",
    ).coalesce(1)
    rows = check(df, RULES, column="tx", source="erp.orders").collect()
    assert [(r.order_ref, r.decision) for r in rows] == [("a", "deny"), ("b", "error"), ("c", "error"), ("d", "allow")]
    null = json.loads(rows[1].error)
    assert null["source"] == "erp.orders" and null["record"] == 2
    assert null["error"]["problems"][0]["code"] == "empty-record" and "`tx` is null" in rows[1].error
    assert rows[0].error is None and rows[3].error is None


def test_clearances_travel_with_the_packs(spark: SparkSession, tmp_path: Path) -> None:
    from compliance.spark import check
    from tests.screening.test_clearances import add, tx

    book = tmp_path / "clearances.yaml"
    add(book)
    df = spark.createDataFrame([(json.dumps(tx()),)], "transaction string")
    assert [r.decision for r in check(df, RULES, backend="reference").collect()] == ["review"]
    cleared = check(df, RULES, backend="reference", clearances=book).collect()
    assert [r.decision for r in cleared] == ["allow"] and '"clearance":"CLR-0001"' in cleared[0].decision_json


def test_rows_that_change_between_the_count_and_the_check_fail_the_job(spark: SparkSession, tmp_path: Path) -> None:
    """A source that gives other rows on each read (here a filter that changes its mind): the record numbers
    would be wrong, so the task stops with RowCountChanged rather than write them."""
    from pyspark.sql import functions as F

    from compliance.spark import check

    flag = str(tmp_path / "flag")

    def keep(i: int) -> bool:
        import os

        return i % 2 == 0 or not os.path.exists(flag)

    kept = F.udf(keep, "boolean").asNondeterministic()
    df = spark.range(20, numPartitions=2).where(kept("id")).select("id", F.lit(json.dumps(OK)).alias("transaction"))
    checked = check(df, RULES, backend="reference")  # the rows are counted now: 10 per partition
    (tmp_path / "flag").touch()  # from now on, half of them
    with pytest.raises(Exception, match="RowCountChanged"):
        checked.collect()


def test_a_wrong_column_is_refused_before_any_task(spark: SparkSession) -> None:
    from compliance.spark import check

    df = spark.createDataFrame([(1,)], "transaction int")
    with pytest.raises(TypeError, match="expected a string or binary"):
        check(df, RULES)
    with pytest.raises(ValueError, match="no column 'tx'"):
        check(df, RULES, column="tx")
    with pytest.raises(ValueError, match="already has column"):
        check(spark.createDataFrame([("{}", "x")], "transaction string, decision string"), RULES)


def test_diff_gives_the_changed_rows_grouped_by_rule(spark: SparkSession, tmp_path: Path) -> None:
    """A pack change (the H20/MI308 licence requirement from July, not April) over a lake: the rows it changes
    are the ones `compliance diff` reports for the same transactions, and `by_rule` counts them per rule."""
    from compliance.spark import by_rule, diff

    new = tmp_path / "new"
    shutil.copytree(RULES, new)
    rules = new / "us-ear" / "advanced-computing.yaml"
    text = rules.read_text()
    at = text.index("id: us-ear.ac.h20-mi308-license")
    rules.write_text(text[:at] + text[at:].replace("effective_from: 2025-04-09", "effective_from: 2025-07-01", 1))
    docs = [*corpus(200, seed=3), H20]
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i, doc in enumerate(docs):
        (folder / f"{i:04d}.json").write_text(json.dumps(doc))
    report = diff_corpus([RULES], [new], folder)
    expected = {
        c.transaction_id: (c.old, c.new, sorted((f.rule_id, f.line, f.party, f.kind, f.old, f.new) for f in c.findings))
        for c in report.changes
    }
    assert report.decision_changes
    rows = [(json.dumps(d),) for d in docs] + [("not json",)]
    df = spark.createDataFrame(rows, "transaction string").coalesce(1).cache()
    changes = diff(df, RULES, new).cache()
    got = changes.collect()
    errors = [r for r in got if r.old_decision == "error"]
    assert len(errors) == 1 and errors[0].record == len(docs) + 1 and errors[0].new_decision == "error"
    assert {
        r.transaction_id: (
            r.old_decision,
            r.new_decision,
            sorted((f.rule_id, f.line, f.party, f.change, f.old, f.new) for f in r.findings),
        )
        for r in got
        if r.old_decision != "error"
    } == expected
    grouped = {(r.rule_id, r.change, r.old, r.new): r for r in by_rule(changes).collect()}
    findings: dict[tuple[str, str, str | None, str | None], list[str]] = {}
    for c in report.changes:
        for f in c.findings:
            findings.setdefault((f.rule_id, f.kind, f.old, f.new), []).append(c.transaction_id)
    assert {k: (r.findings, r.transactions) for k, r in grouped.items()} == {
        k: (len(v), len(set(v))) for k, v in findings.items()
    }
    assert any(rule.startswith("us-ear.ac.h20-mi308-license") for rule, *_ in grouped)
    changed = {c.transaction_id for c in report.changes if c.old != c.new}
    assert sum(r.decisions_changed for r in grouped.values()) >= len(changed) > 0
