"""Batch checks: every record in gives exactly one record out, whatever is wrong with it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance.io.readers import read_csv, read_jsonl
from tests.conftest import EXAMPLES, RULES
from tests.corpus import corpus

MALFORMED = [
    '{"id": "bad-json", ',
    '{"id": "no-date", "destination": "CN", "items": [{"line": 1, "quantity": 1}]}',
    "[1, 2, 3]",
    '{"id": "bad-country", "date": "2025-01-01", "destination": "XX", "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}]}',
]


def _jsonl(path: Path, n: int, every: int) -> int:
    """Write n records, a malformed one every `every`; return how many are malformed."""
    bad = 0
    with path.open("w") as out:
        for i, tx in enumerate(corpus(n)):
            if i % every == every - 1:
                out.write(MALFORMED[bad % len(MALFORMED)] + "\n")
                bad += 1
            else:
                out.write(json.dumps(tx) + "\n")
    return bad


def _csv(path: Path, n: int, every: int) -> tuple[int, int]:
    """n transactions as CSV rows (one per line item); every `every`-th has a bad quantity. (txs, bad)."""
    fields = [
        "transaction_id",
        "date",
        "exporter_name",
        "exporter_country",
        "destination",
        "end_user_name",
        "end_user_country",
        "line",
        "product",
        "eccn",
        "quantity",
    ]
    bad = 0
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for i, tx in enumerate(corpus(n)):
            broken = i % every == every - 1
            bad += broken
            party = tx["parties"][0]  # type: ignore[index]
            for item in tx["items"]:  # type: ignore[attr-defined]
                writer.writerow(
                    {
                        "transaction_id": tx["id"],
                        "date": tx["date"],
                        "exporter_name": tx["exporter"]["name"],  # type: ignore[index]
                        "exporter_country": tx["exporter"]["country"],
                        "destination": tx["destination"],  # type: ignore[index]
                        "end_user_name": party["name"],
                        "end_user_country": party["country"],
                        "line": item["line"],
                        "product": item.get("product", ""),
                        "eccn": item.get("eccn", ""),
                        "quantity": "many" if broken else item["quantity"],
                    }
                )
    return n, bad


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", *args, "--rules", str(RULES)])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_jsonl_batch_accounts_for_every_record(tmp_path: Path, jobs: str) -> None:
    src = tmp_path / "orders.jsonl"
    bad = _jsonl(src, 3000, 97)
    code, out, err = _run(str(src), "--format", "jsonl", "--jobs", jobs)
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3000
    assert [r["record"] for r in rows] == list(range(1, 3001))  # input order, one per input line
    errors = [r for r in rows if "error" in r]
    assert len(errors) == bad and code == 2
    assert all(r["error"]["problems"][0]["line"] == r["record"] for r in errors)
    assert "3000 record(s):" in err and f"{bad} error" in err


@pytest.mark.slow
def test_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    src = tmp_path / "orders.jsonl"
    _jsonl(src, 1200, 50)
    assert _run(str(src), "--format", "jsonl")[1] == _run(str(src), "--format", "jsonl", "--jobs", "2")[1]


def test_csv_batch_groups_rows_into_transactions(tmp_path: Path) -> None:
    src = tmp_path / "orders.csv"
    n, bad = _csv(src, 2000, 101)
    code, out, err = _run(str(src), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == n and code == 2
    assert sum(r["decision"] == "error" for r in rows) == bad
    assert f"{n} record(s):" in err


@pytest.mark.slow
def test_100k_records_jsonl_and_csv_are_all_accounted_for(tmp_path: Path) -> None:
    jl, cs = tmp_path / "big.jsonl", tmp_path / "big.csv"
    bad_jl = _jsonl(jl, 100_000, 1000)
    n, bad_cs = _csv(cs, 100_000, 1000)
    code, out, err = _run(str(jl), str(cs), "--format", "jsonl", "--jobs", "2", "--quiet")
    lines = out.splitlines()
    assert len(lines) == 100_000 + n and code == 2
    assert sum('"error":' in line and '"decision"' not in line for line in lines) == bad_jl + bad_cs
    assert err.count("error") >= bad_jl + bad_cs  # each bad record's problem is on stderr


@pytest.mark.slow
def test_one_bad_byte_at_record_50000_of_100000(tmp_path: Path) -> None:
    """Issue 11's report: one invalid UTF-8 byte in the middle of a large export lost 50,001 records."""
    jl, cs = tmp_path / "big.jsonl", tmp_path / "big.csv"
    lines = [json.dumps(tx).encode() for tx in corpus(100_000)]
    lines[49_999] = lines[49_999].replace(b'"id": "', b'"id": "\xff', 1)
    jl.write_bytes(b"\n".join(lines) + b"\n")
    n, _ = _csv(cs, 100_000, 10**9)
    rows = cs.read_bytes().split(b"\n")
    middle = len(rows) // 2
    bad_tid = rows[middle].split(b",")[0].decode()
    rows[middle] = rows[middle].replace(b",", b",\xe9", 1)
    cs.write_bytes(b"\n".join(rows))
    code, out, err = _run(str(jl), str(cs), "--format", "jsonl", "--jobs", "2", "--quiet")
    got = [json.loads(line) for line in out.splitlines()]
    assert len(got) == 100_000 + n and code == 2
    errors = [(r["source"], r["record"]) for r in got if "error" in r]
    assert errors[0] == (str(jl), 50_000) and len(errors) == 2
    assert errors[1][0] == str(cs) and middle - 4 <= errors[1][1] <= middle + 1  # its transaction's first row
    assert [r["record"] for r in got[:100_000]] == list(range(1, 100_001))
    assert f"transaction {bad_tid}" in err


def test_csv_rows_out_of_order_are_reported_not_dropped(tmp_path: Path) -> None:
    text = (
        "transaction_id,date,destination,line,eccn,quantity\n"
        "A,2025-01-01,DE,1,EAR99,1\nB,2025-01-01,DE,1,EAR99,1\nA,2025-01-01,DE,2,EAR99,1\n"
    )
    records = list(read_csv(io.StringIO(text), "o.csv"))
    assert [r.record for r in records] == [2, 3, 4]
    assert records[2].transaction is None and records[2].problems[0].code == "csv-not-contiguous"


def test_csv_without_required_columns_is_one_error(tmp_path: Path) -> None:
    records = list(read_csv(io.StringIO("id,when\n1,2\n"), "o.csv"))
    assert len(records) == 1 and records[0].problems[0].code == "csv-header"


def test_csv_map_renames_columns(tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text(
        "id: Order\ndate: Ship Date\ndestination: Country\nline: Pos\neccn: ECCN\nquantity: Qty\n"
    )
    (tmp_path / "o.csv").write_text("Order,Ship Date,Country,Pos,ECCN,Qty\nSO-1,2025-01-01,DE,1,EAR99,3\n")
    code, out, _ = _run(str(tmp_path / "o.csv"), "--csv-map", str(tmp_path / "map.yaml"), "--format", "jsonl")
    assert code == 0 and json.loads(out)["transaction_id"] == "SO-1"


def test_stdin_and_directories(tmp_path: Path) -> None:
    tx = (EXAMPLES / "h20-to-china.yaml").read_text()
    result = CliRunner().invoke(
        main, ["check", "-", "--input-format", "yaml", "--rules", str(RULES), "--format", "jsonl"], input=tx
    )
    assert result.exit_code == 1 and json.loads(result.stdout)["decision"] == "deny"
    _code, out, _ = _run(str(EXAMPLES), "--format", "jsonl")
    assert len(out.splitlines()) == len(list(EXAMPLES.glob("*.yaml")))


def test_fail_on_deny_lets_reviews_pass() -> None:
    review = str(EXAMPLES / "unclassified-item.yaml")
    assert _run(review)[0] == 3
    assert _run(review, "--fail-on", "deny")[0] == 0
    assert _run(str(EXAMPLES / "h20-to-china.yaml"), "--fail-on", "deny")[0] == 1


def test_blank_jsonl_lines_are_not_records() -> None:
    records = list(read_jsonl(io.StringIO('\n{"id": "x"}\n\n'), "s.jsonl"))
    assert len(records) == 1 and records[0].record == 2 and records[0].transaction is None
