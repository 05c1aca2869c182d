"""What runs inside a Spark task, without Spark: each row through the CLI's own step, numbered as a file's lines."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance.authoring.diff import diff_corpus
from compliance.evaluate.engine import Engine
from compliance.io.readers import RawLine
from compliance.io.records import Record
from compliance.source import RECORD_LIMITS
from compliance.spark.rows import Numbering, RowCountChanged, check_value, diff_value, row_item
from tests.conftest import RULES
from tests.corpus import corpus
from tests.spark.records import H20, lines


def _cli_lines(tmp: Path, data: list[bytes], *args: str) -> dict[int, str]:
    """`compliance check orders.jsonl --format jsonl` on ``data``, by record number."""
    (tmp / "orders.jsonl").write_bytes(b"".join(line + b"\n" for line in data))
    result = CliRunner().invoke(main, ["check", "orders.jsonl", "--format", "jsonl", "--quiet", *args])
    assert result.exit_code in (0, 1, 2, 3), result.output
    return {json.loads(line)["record"]: line for line in result.stdout.splitlines()}


def test_each_row_is_byte_identical_to_the_cli_line(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = lines(60)
    cli = _cli_lines(tmp_path, data, "--rules", str(RULES), "--backend", engine.backend)
    rows = {n: check_value(engine, v, "orders.jsonl", n, "transaction", None) for n, v in enumerate(data, start=1)}
    blank = {n for n, v in enumerate(data, start=1) if not v.strip()}
    assert blank and set(cli) == set(rows) - blank  # every record the CLI saw, and the blank rows besides
    for n, line in cli.items():
        assert rows[n].decision_json == line, n
        outcome = json.loads(line).get("decision", "error")
        assert rows[n].decision == outcome
        assert rows[n].error == (line if outcome == "error" else None)
    errors = [json.loads(line)["error"] for line in cli.values() if '"error":{' in line]
    codes = {p["code"] for e in errors for p in e["problems"]}
    assert {"json-syntax", "encoding", "number-range", "too-large", "invalid-value", "unknown-key"} <= codes
    assert {r.decision for r in rows.values()} >= {"allow", "deny", "review", "error"}
    for n in blank:
        problem = json.loads(rows[n].decision_json)["error"]["problems"][0]
        assert problem["code"] == "empty-record" and problem["line"] == n and "blank" in problem["message"]


def test_a_null_and_a_blank_are_error_rows_with_their_number() -> None:
    item = row_item(None, "lake", 7, "tx_json")
    assert isinstance(item, Record) and item.transaction is None
    (problem,) = item.problems
    assert (problem.location.file, problem.location.line, problem.code) == ("lake", 7, "empty-record")
    assert "`tx_json` is null" in problem.message
    blank = row_item(" \t", "lake", 8, "tx_json")
    assert isinstance(blank, Record) and "blank" in blank.problems[0].message


def test_a_row_is_read_as_a_line_of_a_file() -> None:
    text = json.dumps(H20)
    assert row_item(text, "s", 3, "c") == RawLine("s", 3, text.encode() + b"\n")
    assert row_item(text.encode(), "s", 3, "c") == RawLine("s", 3, text.encode() + b"\n")
    over = row_item(b"x" * (RECORD_LIMITS.max_bytes + 1), "s", 4, "c")
    assert isinstance(over, Record) and over.problems[0].code == "too-large"
    at_cap = row_item(b"x" * RECORD_LIMITS.max_bytes, "s", 5, "c")
    assert isinstance(at_cap, RawLine)  # the CLI's cap: the line without its newline


def test_a_python_string_with_a_lone_surrogate_is_an_encoding_error(durable_engine: Engine) -> None:
    value = json.dumps(H20).replace("H20-1", "H20-\ud800")
    result = check_value(durable_engine, value, "s", 1, "c", None)
    assert result.decision == "error" and '"code":"encoding"' in result.decision_json


def test_numbering_follows_the_partitions_and_refuses_a_changed_partition() -> None:
    numbering = Numbering.of({2: 5, 0: 3})  # partition 1 was empty
    assert numbering.total == 8 and numbering.offsets == {0: 0, 2: 3}
    first = numbering.numbers(0)
    assert list(first.take(2)) == [1, 2] and list(first.take(1)) == [3]
    first.close()
    assert list(numbering.numbers(2).take(5)) == [4, 5, 6, 7, 8]
    grown = numbering.numbers(0)
    with pytest.raises(RowCountChanged, match="not deterministic"):
        grown.take(4)
    shrunk = numbering.numbers(2)
    shrunk.take(4)
    with pytest.raises(RowCountChanged, match="held 5 row"):
        shrunk.close()
    with pytest.raises(RowCountChanged):
        numbering.numbers(1).take(1)  # a partition that had no rows


def test_diff_rows_are_compliance_diffs_comparison(tmp_path: Path) -> None:
    """Old packs: the bundled ones; new: the same with the H20/MI308 licence requirement starting in July, not April. The rows that change, and how,
    are exactly what `compliance diff` reports over the same transactions."""
    new = tmp_path / "new"
    shutil.copytree(RULES, new)
    rules = new / "us-ear" / "advanced-computing.yaml"
    text = rules.read_text()
    at = text.index("id: us-ear.ac.h20-mi308-license")
    rules.write_text(text[:at] + text[at:].replace("effective_from: 2025-04-09", "effective_from: 2025-07-01", 1))
    docs = [*corpus(150, seed=3), H20]
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i, doc in enumerate(docs):
        (folder / f"{i:04d}.json").write_text(json.dumps(doc))
    report = diff_corpus([RULES], [new], folder)
    assert report.decision_changes  # the change matters to this corpus
    expected = {
        c.transaction_id: (c.old, c.new, [(f.rule_id, f.line, f.party, f.kind, f.old, f.new) for f in c.findings])
        for c in report.changes
    }
    with (
        Engine.from_directory(RULES, backend="reference") as old,
        Engine.from_directory(new, backend="reference") as nw,
    ):
        rows = [diff_value(old, nw, json.dumps(d), "lake", n, "transaction", None) for n, d in enumerate(docs, 1)]
        bad = diff_value(old, nw, "not json", "lake", 999, "transaction", None)
    got = {r.transaction_id: (r.old, r.new, [tuple(f.values()) for f in r.findings]) for r in rows if r is not None}
    assert got == expected
    changed = next(r for r in rows if r is not None and r.old != r.new)
    assert json.loads(changed.old_json)["decision"] == changed.old
    assert json.loads(changed.new_json)["decision"] == changed.new
    assert bad is not None and (bad.old, bad.new, bad.findings) == ("error", "error", ())
    assert bad.error == bad.old_json == bad.new_json and '"record":999' in bad.error


def test_without_the_extra_the_message_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance import spark

    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(ImportError, match=r"pip install 'compliance-engine\[spark\]'"):
        spark.check(object())  # type: ignore[arg-type]


def test_with_clearances_each_row_is_the_clis_line_with_clearances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compliance.spark.packs import clearances_payload, engine_for, pack_payload
    from tests.screening.test_clearances import add, tx

    monkeypatch.chdir(tmp_path)
    book = tmp_path / "clearances.yaml"
    add(book)
    data = [json.dumps(tx()).encode(), json.dumps(tx(date="2027-03-01")).encode()]  # cleared, then expired
    cli = _cli_lines(tmp_path, data, "--rules", str(RULES), "--backend", "reference", "--clearances", str(book))
    shipped = clearances_payload(book)
    _packset, payload = pack_payload(RULES)
    engine = engine_for(payload.sha256, "reference", lambda: payload, (shipped.sha256, lambda: shipped))
    rows = [check_value(engine, v, "orders.jsonl", n, "transaction", None) for n, v in enumerate(data, start=1)]
    assert [r.decision_json for r in rows] == [cli[1], cli[2]]
    assert [r.decision for r in rows] == ["allow", "review"]
