"""Each way issue 11 found records lost, reproduced: one bad record gives one error record in its place, with its
file:line, and every other record is still decided; input count = output count, on --jobs 1 and --jobs N."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from compliance.io.readers import read_csv, read_jsonl
from compliance.source import RECORD_LIMITS
from tests.conftest import RULES
from tests.corpus import corpus
from tests.io.test_batch import _csv

# The --jobs 2 variants start worker processes: slow (run once by .ci/run).
JOBS = pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])
OK = {"id": "OK", "date": "2025-01-01", "destination": "DE", "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}]}


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", *args, "--rules", str(RULES), "--quiet"], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _jsonl_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def _corpus_jsonl(path: Path, n: int) -> list[bytes]:
    lines = [json.dumps(tx).encode() for tx in corpus(n)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return lines


@JOBS
def test_one_bad_byte_in_jsonl_spoils_only_its_record(tmp_path: Path, jobs: str) -> None:
    src = tmp_path / "orders.jsonl"
    lines = _corpus_jsonl(src, 1500)
    lines[999] = lines[999].replace(b'"id": "', b'"id": "\xff', 1)  # record 1000
    src.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = _run(str(src), "--format", "jsonl", "--jobs", jobs)
    rows = _jsonl_lines(out)
    assert [r["record"] for r in rows] == list(range(1, 1501)) and code == 2
    bad = [r for r in rows if "error" in r]
    assert [r["record"] for r in bad] == [1000]
    assert bad[0]["error"]["problems"][0]["code"] == "encoding"  # type: ignore[index]
    assert f"{src}:1000:" in err


@JOBS
def test_one_bad_byte_in_csv_spoils_only_its_transaction(tmp_path: Path, jobs: str) -> None:
    src = tmp_path / "orders.csv"
    n, _bad = _csv(src, 800, 10**9)  # no malformed quantities
    data = src.read_bytes().split(b"\n")
    target = data[1000]
    tid = target.split(b",")[0].decode()
    data[1000] = target.replace(b",", b",\xe9", 1)  # a Latin-1 byte in the cell after the id
    src.write_bytes(b"\n".join(data))
    code, out, err = _run(str(src), "--format", "csv", "--jobs", jobs)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == n and code == 2
    bad = [r for r in rows if r["decision"] == "error"]
    assert [r["transaction_id"] for r in bad] == [tid]
    assert "encoding" in bad[0]["error"] and f"{src}:1001:" in bad[0]["error"]
    assert f"transaction {tid}" in err


@pytest.mark.parametrize("fmt", ["jsonl", "yaml", "csv"])
def test_a_5000_digit_quantity_is_an_error_record_not_a_crash(tmp_path: Path, fmt: str) -> None:
    digits = "1" * 5000
    if fmt == "jsonl":
        src = tmp_path / "o.jsonl"
        src.write_text(json.dumps(OK) + "\n" + json.dumps(OK).replace('"quantity": 1', f'"quantity": {digits}') + "\n")
    elif fmt == "yaml":
        src = tmp_path / "o.yaml"
        src.write_text(
            f"id: X\ndate: 2025-01-01\ndestination: DE\nitems:\n  - {{line: 1, eccn: EAR99, quantity: {digits}}}\n"
        )
    else:
        src = tmp_path / "o.csv"
        src.write_text(
            f"transaction_id,date,destination,line,eccn,quantity\nA,2025-01-01,DE,1,EAR99,1\nB,2025-01-01,DE,1,EAR99,{digits}\n"
        )
    code, out, err = _run(str(src), "--format", "jsonl")
    rows = _jsonl_lines(out)
    assert code == 2 and "internal error" not in err
    assert rows[-1]["error"]["problems"][0]["code"] == "number-range"  # type: ignore[index]
    assert "too large" in rows[-1]["error"]["problems"][0]["message"]  # type: ignore[index]
    if fmt != "yaml":
        assert len(rows) == 2 and rows[0]["decision"] == "allow"


@pytest.mark.parametrize("literal", ["1e999", "NaN", "-Infinity", "9007199254740993"])
def test_numbers_json_cannot_hold_exactly_are_refused(tmp_path: Path, literal: str) -> None:
    src = tmp_path / "o.jsonl"
    src.write_text(json.dumps(OK).replace('"quantity": 1', f'"quantity": {literal}') + "\n")
    ((record,),) = [list(read_jsonl(io.BytesIO(src.read_bytes()), str(src)))]
    assert record.transaction is None and record.problems[0].code == "number-range"
    assert record.problems[0].location.col == src.read_text().index(literal) + 1


@JOBS
def test_a_csv_cell_over_the_field_limit_is_one_error_row(tmp_path: Path, jobs: str) -> None:
    src = tmp_path / "o.csv"
    rows = ["transaction_id,date,destination,line,eccn,quantity,description"]
    rows += [f"T{i},2025-01-01,DE,1,EAR99,1,ok" for i in range(5)]
    rows[3] = rows[3].replace(",ok", "," + "x" * 200_000)
    src.write_text("\n".join(rows) + "\n")
    code, out, _ = _run(str(src), "--format", "csv", "--jobs", jobs)
    got = list(csv.DictReader(io.StringIO(out)))
    assert [r["decision"] for r in got] == ["allow", "allow", "error", "allow", "allow"] and code == 2
    assert got[2]["transaction_id"] == "T2" and "csv-syntax" in got[2]["error"] and "131072" in got[2]["error"]


def test_an_unterminated_quote_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    src = tmp_path / "o.csv"
    src.write_text(
        "transaction_id,date,destination,line,eccn,quantity,description\n"
        "A,2025-01-01,DE,1,EAR99,1,ok\n"
        'B,2025-01-01,DE,1,EAR99,1,"oops\n'
        "C,2025-01-01,DE,1,EAR99,1,fine\n"
        'D,2025-01-01,DE,1,EAR99,1,"quoted, fine"\n'
        "E,2025-01-01,DE,1,EAR99,1,x\n"
    )
    code, out, err = _run(str(src), "--format", "csv")
    got = list(csv.DictReader(io.StringIO(out)))
    assert [(r["record"], r["transaction_id"], r["decision"]) for r in got] == [
        ("2", "A", "allow"),
        ("3", "B", "error"),
        ("4", "C", "allow"),
        ("5", "D", "allow"),
        ("6", "E", "allow"),
    ]
    assert code == 2 and f"{src}:3:27: error csv-quote transaction B: unterminated quote" in err


def test_an_unterminated_quote_at_the_end_of_the_file(tmp_path: Path) -> None:
    text = 'transaction_id,date,destination,line,eccn,quantity,description\nA,2025-01-01,DE,1,EAR99,1,"never closed\n'
    (record,) = read_csv(io.StringIO(text), "o.csv")
    assert record.transaction is None and record.problems[0].code == "csv-quote" and record.record == 2


def test_a_quoted_line_break_in_a_description_is_one_cell(tmp_path: Path) -> None:
    text = (
        "transaction_id,date,destination,line,eccn,quantity,description\n"
        'A,2025-01-01,DE,1,EAR99,1,"two\nlines, one cell"\n'
        'A,2025-01-01,DE,2,EAR99,1,"a 12"" monitor"\n'
        'B,2025-01-01,DE,1,EAR99,1,12" monitor\n'
    )
    a, b = read_csv(io.StringIO(text), "o.csv")
    assert a.transaction is not None and b.transaction is not None
    assert [i.description for i in a.transaction.items] == ["two\nlines, one cell", 'a 12" monitor']
    assert b.transaction.items[0].description == '12" monitor' and (a.record, b.record) == (2, 5)


def test_a_row_with_too_many_or_too_few_cells_is_an_error_not_a_guess() -> None:
    text = (
        "transaction_id,date,destination,line,eccn,quantity\n"
        "A,2025-01-01,DE,1,EAR99,1,extra\nB,2025-01-01,DE,1,EAR99\nC,2025-01-01,DE,1,EAR99,1\n"
    )
    a, b, c = read_csv(io.StringIO(text), "o.csv")
    assert [p.code for p in a.problems] == ["csv-shape"] and [p.code for p in b.problems] == ["csv-shape"]
    assert c.transaction is not None


@JOBS
def test_a_lone_cr_in_a_jsonl_record_is_one_record(tmp_path: Path, jobs: str) -> None:
    src = tmp_path / "o.jsonl"
    src.write_bytes(json.dumps(OK).replace(', "date"', ',\r "date"').encode() + b"\n" + json.dumps(OK).encode() + b"\n")
    code, out, _ = _run(str(src), "--format", "jsonl", "--jobs", jobs)
    assert code == 0 and [r["record"] for r in _jsonl_lines(out)] == [1, 2]


def test_stdin_has_a_size_cap() -> None:
    big = b"id: X\nitems:\n" + b"  - {line: 1, quantity: 1}\n" * 120_000  # 3 MB of YAML
    code, out, _ = _run("-", "--input-format", "yaml", "--format", "jsonl", stdin=big)
    (row,) = _jsonl_lines(out)
    assert code == 2 and row["error"]["problems"][0]["code"] == "too-large"  # type: ignore[index]


@pytest.mark.parametrize(
    ("key", "entry", "cap"),
    [
        ("parties", {"role": "end_user", "name": "Acme GmbH", "country": "DE"}, RECORD_LIMITS.max_parties),
        (
            "licenses",
            {"id": "L", "authority": "US-BIS", "valid_from": "2025-01-01", "valid_to": "2025-12-31"},
            RECORD_LIMITS.max_licenses,
        ),
    ],
)
def test_parties_and_licences_are_capped_too(key: str, entry: dict[str, object], cap: int) -> None:
    line = json.dumps({**OK, key: [entry] * (cap + 1)}).encode() + b"\n"
    (record,) = read_jsonl(io.BytesIO(line), "o.jsonl")
    assert record.problems[0].code == "too-large" and f"{key}: {cap + 1} entries" in record.problems[0].message


def test_a_record_over_the_item_cap_is_refused_before_validation(tmp_path: Path) -> None:
    many = {**OK, "items": [{"line": i, "eccn": "EAR99", "quantity": 1} for i in range(1, RECORD_LIMITS.max_items + 2)]}
    src = tmp_path / "o.jsonl"
    src.write_text(json.dumps(many) + "\n" + json.dumps(OK) + "\n")
    _code, out, _ = _run(str(src), "--format", "jsonl")
    first, second = _jsonl_lines(out)
    problem = first["error"]["problems"][0]  # type: ignore[index]
    assert problem["code"] == "too-large" and "10001 entries" in problem["message"] and second["decision"] == "allow"


def test_a_jsonl_line_over_the_size_cap_is_skipped_to_its_end(tmp_path: Path) -> None:
    src = tmp_path / "o.jsonl"
    huge = json.dumps({**OK, "end_use": "x" * (RECORD_LIMITS.max_bytes + 10)})
    src.write_text(json.dumps(OK) + "\n" + huge + "\n" + json.dumps(OK) + "\n")
    code, out, err = _run(str(src), "--format", "jsonl", "--jobs", "2")
    rows = _jsonl_lines(out)
    assert [r["record"] for r in rows] == [1, 2, 3] and code == 2
    assert rows[1]["error"]["problems"][0]["code"] == "too-large" and f"{src}:2:1" in err  # type: ignore[index]


def test_a_csv_transaction_over_the_item_cap_streams_past(tmp_path: Path) -> None:
    src = tmp_path / "o.csv"
    rows = ["transaction_id,date,destination,line,eccn,quantity"]
    rows += [f"BIG,2025-01-01,DE,{i},EAR99,1" for i in range(1, RECORD_LIMITS.max_items + 50)]
    rows += ["NEXT,2025-01-01,DE,1,EAR99,1"]
    src.write_text("\n".join(rows) + "\n")
    big, nxt = read_csv(io.BytesIO(src.read_bytes()), str(src), validate=False)
    assert big.problems[0].code == "too-large" and big.transaction_id == "BIG" and nxt.document is not None


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_internal_error_on_one_record_does_not_stop_the_batch(
    tmp_path: Path, jobs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compliance.evaluate.engine import Engine

    decide = Engine.decide

    def failing(self: Engine, tx: object, **kw: object) -> object:
        if getattr(tx, "id", "") == "BOOM":
            raise ValueError("simulated defect")
        return decide(self, tx, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "decide", failing)
    src = tmp_path / "o.jsonl"
    src.write_text("\n".join(json.dumps({**OK, "id": i}) for i in ("A", "BOOM", "C")) + "\n")
    code, out, err = _run(str(src), "--format", "jsonl", "--jobs", jobs)
    rows = _jsonl_lines(out)
    assert [r.get("transaction_id") for r in rows] == ["A", None, "C"] and code == 2
    assert rows[1]["error"]["code"] == "internal-error" and "simulated defect" in err  # type: ignore[index]


def _mutate(data: bytes, rng: random.Random, n: int) -> bytes:
    raw = bytearray(data)
    for _ in range(n):
        at = rng.randrange(len(raw))
        raw[at : at + 1] = rng.choice([b"\xff", b'"', b"\r", b"\n", b",", b"", b"\x00", b"{", b";", "é".encode()])
    return bytes(raw)


@settings(max_examples=60)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=12))
def test_destroyed_jsonl_never_loses_a_line_and_never_allows_a_broken_one(seed: int, hits: int) -> None:
    good = b"\n".join(json.dumps({**OK, "id": f"T{i}"}).encode() for i in range(12)) + b"\n"
    data = _mutate(good, random.Random(seed), hits)
    records = list(read_jsonl(io.BytesIO(data), "m.jsonl"))
    lines = [i for i, line in enumerate(data.split(b"\n"), start=1) if line.strip()]
    assert [r.record for r in records] == lines
    originals = {line for line in good.split(b"\n") if line}
    for r in records:
        line = data.split(b"\n")[r.record - 1]
        if r.transaction is not None:
            assert json.loads(line)["id"] == r.transaction.id  # decided only what the line really says
        else:
            assert r.problems and all(p.location.line == r.record for p in r.problems)
        assert r.transaction is not None or line not in originals


@settings(max_examples=60)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=12))
def test_destroyed_csv_never_crashes_and_every_row_is_covered(seed: int, hits: int) -> None:
    header = "transaction_id,date,destination,line,eccn,quantity,description\n"
    body = "".join(f'T{i},2025-01-01,DE,{j},EAR99,1,"d {i}, {j}"\n' for i in range(8) for j in (1, 2))
    data = _mutate((header + body).encode(), random.Random(seed), hits)
    records = list(read_csv(io.BytesIO(data), "m.csv"))
    starts = [r.record for r in records]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(1 <= s <= data.count(b"\n") + 1 for s in starts)
    for r in records:
        assert (r.transaction is None) == bool(r.problems)
        if r.transaction is not None:  # a transaction decided is what its first row says, nothing guessed
            row = data.split(b"\n")[r.record - 1].decode()
            assert row.startswith(r.transaction.id + ",")
