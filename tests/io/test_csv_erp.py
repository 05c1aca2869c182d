"""CSV as ERP systems export it (SAP-style headers, `;`, DD.MM.YYYY, decimal commas), errors naming the source
column and the transaction, spreadsheet-safe CSV output, and standard input that says what it holds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance.io.csv_rows import DateFormat
from compliance.io.readers import CsvMap, load_csv_map, read_csv
from compliance.io.writers import neutralise
from tests.conftest import EXAMPLES, RULES

SAP = "VBELN;ERDAT;LAND1;POSNR;ECCN;MENGE;ARKTX\n"


def _run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", *args, "--rules", str(RULES), "--quiet"], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _sap_map(tmp_path: Path, date: str = '{column: ERDAT, format: "DD.MM.YYYY"}') -> Path:
    path = tmp_path / "sap.yaml"
    path.write_text(
        f"id: VBELN\ndate: {date}\ndestination: LAND1\nline: POSNR\neccn: ECCN\n"
        'quantity: {column: MENGE, decimal: ","}\ndescription: ARKTX\n'
    )
    return path


def test_a_european_sap_export_reads_with_a_per_column_date_format(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text(SAP + "4711;01.05.2025;DE;10;EAR99;1.234,5;Kabel\n")
    code, out, err = _run(str(src), "--csv-map", str(_sap_map(tmp_path)), "--format", "jsonl")
    row = json.loads(out)
    assert code == 0, err
    assert (row["transaction_id"], row["as_of"]) == ("4711", "2025-05-01")  # `;` detected, date converted


def test_the_plain_map_form_stays_valid_and_date_format_applies_to_every_date(tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text(
        "id: Order\ndate: Ship Date\ndestination: Country\nline: Pos\neccn: ECCN\nquantity: Qty\n"
    )
    (tmp_path / "o.csv").write_text("Order,Ship Date,Country,Pos,ECCN,Qty\nSO-1,20250101,DE,1,EAR99,3\n")
    args = (str(tmp_path / "o.csv"), "--csv-map", str(tmp_path / "map.yaml"), "--format", "jsonl")
    code, out, _ = _run(*args, "--date-format", "YYYYMMDD")
    assert code == 0 and json.loads(out)["as_of"] == "2025-01-01"
    code, out, _ = _run(*args)  # without the format, 20250101 is not a date: an error naming the column
    problem = json.loads(out)["error"]["problems"][0]
    assert code == 2 and "date (column Ship Date)" in problem["message"] and "transaction SO-1" in problem["message"]


def test_a_date_that_does_not_fit_the_format_names_column_row_and_transaction(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text(SAP + "4711;31.02.2025;DE;10;EAR99;1;Kabel\n4712;01.05.2025;DE;10;EAR99;zwei;Kabel\n")
    code, out, err = _run(str(src), "--csv-map", str(_sap_map(tmp_path)), "--format", "jsonl")
    first, second = (json.loads(line) for line in out.splitlines())
    (p1,) = first["error"]["problems"]
    assert (p1["line"], p1["col"], p1["code"]) == (2, 6, "invalid-date")
    assert p1["message"] == "transaction 4711, date (column ERDAT): '31.02.2025' is not a date in the format DD.MM.YYYY"
    (p2,) = second["error"]["problems"]
    assert (p2["line"], p2["col"]) == (3, 29) and "items.0.quantity (column MENGE)" in p2["message"]
    assert "transaction 4712" in p2["message"] and code == 2
    assert f"{src}:2:6: error invalid-date" in err


def test_delimiter_detection_and_an_explicit_delimiter(tmp_path: Path) -> None:
    body = "transaction_id|date|destination|line|eccn|quantity\nA|2025-01-01|DE|1|EAR99|1\n"
    (tmp_path / "p.csv").write_text(body)
    assert _run(str(tmp_path / "p.csv"), "--format", "jsonl")[0] == 0
    tab = body.replace("|", "\t")
    (tmp_path / "t.csv").write_text(tab)
    assert _run(str(tmp_path / "t.csv"), "--format", "jsonl", "--delimiter", "\t")[0] == 0
    code, out, _ = _run(str(tmp_path / "t.csv"), "--format", "jsonl", "--delimiter", ";")
    assert code == 2 and "csv-header" in out and "lacks column(s)" in out
    assert _run(str(tmp_path / "t.csv"), "--delimiter", ";;")[0] == 2


def test_rows_of_one_transaction_must_agree_on_its_fields(tmp_path: Path) -> None:
    text = "transaction_id,date,destination,line,eccn,quantity\nA,2025-01-01,DE,1,EAR99,1\nA,,DE,2,EAR99,1\nA,2025-01-01,RU,3,EAR99,1\n"
    (record,) = read_csv(io.StringIO(text), "o.csv")
    (problem,) = record.problems
    assert (problem.code, problem.location.line, problem.location.col) == ("csv-inconsistent", 4, 14)
    assert "'RU' on this row but 'DE'" in problem.message and record.transaction is None


def test_csv_map_problems_are_located(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        'id: VBELN\ndestination: {column: LAND1, format: "DD.MM.YYYY"}\ndate: {column: ERDAT, format: "DD.MM"}\nqty: MENGE\n'
    )
    from compliance.errors import InputError

    with pytest.raises(InputError) as info:
        load_csv_map(str(path))
    got = {(p.location.line, p.message.split(":")[0]) for p in info.value.problems}
    assert got == {(2, "destination"), (3, "date"), (4, "unknown field 'qty'")}


@pytest.mark.parametrize(
    ("pattern", "cell", "iso"),
    [
        ("YYYYMMDD", "20250131", "2025-01-31"),
        ("DD.MM.YYYY", "31.01.2025", "2025-01-31"),
        ("%d/%m/%Y", "31/01/2025", "2025-01-31"),
        ("D.M.YYYY", "1.2.2025", "2025-02-01"),
        ("YYYYMMDD", "2025013", None),  # strict: no guessing at a missing digit
        ("DD.MM.YYYY", "29.02.2025", None),  # not a real date
        ("DD.MM.YYYY", "2025-01-31", None),
    ],
)
def test_date_formats_are_strict(pattern: str, cell: str, iso: str | None) -> None:
    assert DateFormat.parse(pattern).iso(cell) == iso


def test_a_date_format_must_name_year_month_and_day() -> None:
    for bad in ("YYYYMM", "DD.MM.YYYY DD", "%d.%b.%Y"):
        with pytest.raises(ValueError):
            DateFormat.parse(bad)


def test_csv_output_neutralises_formula_cells(tmp_path: Path) -> None:
    src = tmp_path / "o.csv"
    src.write_text(
        "transaction_id,date,destination,line,eccn,quantity\n"
        '=HYPERLINK("http://x"),2025-01-01,DE,1,EAR99,1\n'
        "+1,2025-01-01,DE,1,EAR99,1\n@SUM(A1),2025-01-01,DE,1,EAR99,1\n-2,2025-01-01,DE,1,EAR99,1\n"
        "SO-5,2025-01-01,DE,1,EAR99,1\n"
    )
    _code, out, _ = _run(str(src), "--format", "csv")
    ids = [r["transaction_id"] for r in csv.DictReader(io.StringIO(out))]
    assert ids == ['\'=HYPERLINK("http://x")', "'+1", "'@SUM(A1)", "'-2", "SO-5"]
    _code, out, _ = _run(str(src), "--format", "jsonl")  # JSON Lines stays exact
    assert json.loads(out.splitlines()[0])["transaction_id"] == '=HYPERLINK("http://x")'
    assert [neutralise(c) for c in ("\tx", "\rx", "x=1", 3)] == ["'\tx", "'\rx", "x=1", 3]


def test_csv_output_columns_are_the_contract() -> None:
    from compliance.io.writers import CSV_SUMMARY_COLUMNS

    assert CSV_SUMMARY_COLUMNS[:9] == (
        "source",
        "record",
        "transaction_id",
        "decision",
        "as_of",
        "deny_rules",
        "review_rules",
        "licenses",
        "error",
    )


OK = {"id": "OK", "date": "2025-01-01", "destination": "DE", "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}]}


@pytest.mark.parametrize(
    ("stdin", "records"),
    [
        ((EXAMPLES / "h20-to-china.yaml").read_text(), ["SO-2025-0412"]),
        (json.dumps(OK, indent=2), ["OK"]),
        (json.dumps(OK) + "\n" + json.dumps({**OK, "id": "OK2"}) + "\n", ["OK", "OK2"]),
        ('{"id": broken\n' + json.dumps(OK) + "\n", [None, "OK"]),
        ("transaction_id,date,destination,line,eccn,quantity\nA,2025-01-01,DE,1,EAR99,1\n", ["A"]),
    ],
)
def test_stdin_is_sniffed(stdin: str, records: list[str | None]) -> None:
    _code, out, _ = _run("-", "--format", "jsonl", stdin=stdin)
    assert [json.loads(line).get("transaction_id") for line in out.splitlines()] == records


@pytest.mark.parametrize(
    ("stdin", "says"),
    [
        ("", "standard input is empty; expected YAML, JSON, JSON Lines or CSV"),
        ("just some words\n", "cannot tell what standard input holds (it starts 'just some words')"),
        ("\x00\x01binary", "not UTF-8 text"),
    ],
)
def test_stdin_that_is_nothing_known_says_what_was_expected(stdin: str, says: str) -> None:
    code, out, err = _run("-", "--format", "jsonl", stdin=stdin)
    assert code == 2 and says in err and json.loads(out)["error"]["problems"][0]["code"] == "input-format"


def test_an_explicit_input_format_is_not_sniffed() -> None:
    code, out, _ = _run("-", "--input-format", "jsonl", "--format", "jsonl", stdin=json.dumps(OK, indent=2))
    assert code == 2 and len(out.splitlines()) == len(json.dumps(OK, indent=2).splitlines())


def test_csv_map_object_round_trip() -> None:
    cmap = CsvMap.of({"id": "VBELN"})
    assert cmap.header("id") == "VBELN" and cmap.header("date") == "date"
