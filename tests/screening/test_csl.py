"""Importing the Consolidated Screening List (fixtures in its published CSV and JSON formats, written here)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance import Engine, InputError, load_packs
from compliance.authoring.cases import run_suite
from compliance.authoring.lint import validate
from compliance.io.lists import import_csl
from compliance.screening.csl import EARLIEST, parse
from tests.conftest import ROOT, RULES

FIXTURES = ROOT / "tests" / "fixtures" / "csl"
CSV = FIXTURES / "consolidated.csv"
JSON = FIXTURES / "consolidated.json"
DAY = dt.date(2026, 11, 30)


def _import(tmp_path: Path, source: Path = CSV, name: str = "csl") -> Path:
    out = tmp_path / name
    import_csl(source, out, rules=[RULES], list_date=DAY)
    return out


def test_csv_and_json_give_the_same_records() -> None:
    from_csv, p1 = parse(CSV.read_text(encoding="utf-8"), "c")
    from_json, p2 = parse(JSON.read_text(encoding="utf-8"), "j")
    assert not p1 and not p2 and len(from_csv) == 13
    strip = [(r.source, r.name, r.alt_names, r.countries, r.start_date, r.federal_register_notice) for r in from_csv]
    assert strip == [
        (r.source, r.name, r.alt_names, r.countries, r.start_date, r.federal_register_notice) for r in from_json
    ]


def test_fields_are_read_as_published() -> None:
    records, _ = parse(CSV.read_text(encoding="utf-8"), "c")
    by_name = {r.name: r for r in records}
    el = by_name["Example Quantum Devices Co. Ltd."]
    assert el.code == "EL" and el.countries == ("CN", "HK") and el.alt_names == ("Example Quantum", "EQD Hefei")
    assert el.start_date == dt.date(2023, 10, 17) and el.license_policy == "Presumption of denial."
    assert "Example Avionics Institute" in by_name  # "and any successor, sub-unit, or subsidiary thereof" removed
    assert by_name["Example Shipping Lines Company"].programs == ("IRAN", "IFSR")
    assert {r.code for r in records} == {"EL", "MEU", "UVL", "DPL", "SDN", "OFAC", "DTC", "ISN", "OTHER"}


def test_the_import_is_a_pack_that_validates_and_whose_cases_pass(tmp_path: Path) -> None:
    out = _import(tmp_path)
    report = validate([str(RULES), str(out)])
    assert report.exit_code(strict=True) == 0, [p.render() for p in report.problems]
    run = run_suite([str(out)], ("reference",))
    assert run.ok and run.coverage == 100.0
    lists = json.loads((out / "lists" / "csl-el.json").read_text(encoding="utf-8"))
    (quantum,) = lists["entries"]
    assert quantum["citations"] == [
        {"cite": "88 FR 71991", "date": "2023-10-19", "url": "https://www.federalregister.gov/citation/88-FR-71991"}
    ]
    assert "Presumption of denial" in quantum["note"]


def test_an_entry_already_in_the_curated_lists_is_not_imported_again(tmp_path: Path) -> None:
    out = _import(tmp_path)
    packs = load_packs([RULES, out])
    names = [e.name for lid, pl in packs.party_lists.items() if lid.startswith("csl-") for e in pl.entries]
    assert "Huawei Technologies Co. Ltd." not in names and len(names) == 12


@pytest.mark.parametrize(
    ("party", "country", "decision", "rule"),
    [
        ("Example Quantum Devices Co., Ltd.", "CN", "deny", "csl.el.listed"),  # licence required, none on file
        ("EXAMPLE QUANTUM", "HK", "deny", "csl.el.listed"),  # an alt name
        ("Example Avionics Institute", "RU", "review", "csl.el-scoped.listed"),  # narrower requirement
        ("Example Aero Engine Works", "CN", "review", "csl.meu.listed"),
        ("Example Optics Trading FZE", "AE", "review", "csl.uvl.listed"),
        ("Example Freight Forwarders, LLC", "US", "deny", "csl.dpl.listed"),
        ("Example Sea Lines", "IR", "deny", "csl.sdn.listed"),
        ("Example Energy Finance", "RU", "review", "csl.ofac-other.listed"),  # SSI restricts some dealings only
        ("Example Arms Brokerage", "GB", "review", "csl.dtc.listed"),
        ("Example Cotton Textiles Co Ltd", "CN", "review", "csl.other.listed"),  # a source the importer does not know
    ],
)
def test_each_source_has_its_effect_on_both_matchers(
    tmp_path_factory: pytest.TempPathFactory, party: str, country: str, decision: str, rule: str
) -> None:
    for backend in ("durable", "reference"):
        d = _engine(tmp_path_factory, backend).evaluate(
            {
                "id": "T",
                "date": "2026-12-01",
                "exporter": {"name": "Example Exporter Inc.", "country": "US"},
                "destination": "DE",
                "parties": [{"role": "end_user", "name": party, "country": country}],
                "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}],
            }
        )
        (f,) = [f for f in d.findings if f.rule_id == rule]
        assert f.outcome == decision and f.match is not None and f.match.list.startswith("csl-")


_ENGINES: dict[str, Engine] = {}


def _engine(factory: pytest.TempPathFactory, backend: str) -> Engine:
    """One import and one engine per backend for the module (building them is the slow part)."""
    if backend not in _ENGINES:
        out = _import(factory.mktemp("csl"))
        _ENGINES[backend] = Engine(load_packs([RULES, out]), backend=backend)
    return _ENGINES[backend]


def test_a_record_without_a_start_date_applies_on_every_date(tmp_path: Path) -> None:
    out = _import(tmp_path)
    sdn = json.loads((out / "lists" / "csl-sdn.json").read_text(encoding="utf-8"))
    assert {e["added"] for e in sdn["entries"]} == {EARLIEST.isoformat()}
    assert all("no start date" in e["note"] for e in sdn["entries"])


@pytest.mark.parametrize(
    ("text", "where", "code"),
    [
        (
            "source,name,start_date\nEntity List (EL) - Bureau of Industry and Security,X Co,2023-13-45\n",
            ":2:1",
            "invalid-date",
        ),
        ("source,name\nEntity List (EL) - Bureau of Industry and Security,\n", ":2:1", "missing-field"),
        ("source,name\n,X Co\n", ":2:1", "missing-field"),
        ("source,name\nA,B,C\n", ":2:1", "invalid-format"),
        ("name,title\nX,Y\n", ":1:1", "invalid-format"),
        ('{"results": [{"name": "X"}]}', "(record 1)", "missing-field"),
        ('{"results": [1]}', "(record 1)", "wrong-type"),
        ('{"results": ', ":1:", "json-syntax"),
    ],
)
def test_a_bad_record_refuses_the_whole_file_with_its_location(
    tmp_path: Path, text: str, where: str, code: str
) -> None:
    src = tmp_path / "bad.csv"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_csl(src, tmp_path / "out", rules=[RULES], list_date=DAY)
    (problem,) = err.value.problems
    assert problem.code == code and where in problem.render()
    assert not (tmp_path / "out").exists()


def test_an_empty_file_and_bad_encoding_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("_id,source,name\n", encoding="utf-8")
    with pytest.raises(InputError, match="no records"):
        import_csl(empty, tmp_path / "out", rules=[RULES], list_date=DAY)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"source,name\nEntity List (EL),M\xfcller\n")
    with pytest.raises(InputError, match="UTF-8"):
        import_csl(latin, tmp_path / "out", rules=[RULES], list_date=DAY)


def test_the_output_is_never_the_rule_packs_or_a_foreign_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="inside"):
        import_csl(CSV, RULES / "csl", rules=[RULES], list_date=DAY)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not an earlier CSL import"):
        import_csl(CSV, foreign, rules=[RULES], list_date=DAY)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_reimporting_replaces_an_earlier_import_and_a_failed_one_keeps_it(tmp_path: Path) -> None:
    out = _import(tmp_path)
    first = (out / "pack.yaml").read_text(encoding="utf-8")
    import_csl(JSON, out, rules=[RULES], list_date=DAY + dt.timedelta(days=7))
    assert (out / "pack.yaml").read_text(encoding="utf-8") != first
    bad = tmp_path / "bad.csv"
    bad.write_text("source,name\n,X\n", encoding="utf-8")
    kept = (out / "pack.yaml").read_text(encoding="utf-8")
    with pytest.raises(InputError):
        import_csl(bad, out, rules=[RULES], list_date=DAY)
    assert (out / "pack.yaml").read_text(encoding="utf-8") == kept


def test_a_pack_id_already_used_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="already used"):
        import_csl(CSV, tmp_path / "out", rules=[RULES], list_date=DAY, pack_id="us-ear")


def test_large_lists_are_split_into_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import compliance.screening.csl as csl

    monkeypatch.setattr(csl, "CHUNK", 1)
    out = _import(tmp_path)
    assert (out / "lists" / "csl-sdn-2.json").exists()
    rules = (out / "rules.yaml").read_text(encoding="utf-8")
    assert "party_lists: [csl-sdn, csl-sdn-2]" in rules
    load_packs([RULES, out])


def test_cli_imports_and_reports(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "csl"
    result = runner.invoke(
        main,
        ["lists", "import", "csl", str(CSV), "--out", str(out), "--rules", str(RULES), "--list-date", "2026-11-30"],
    )
    assert result.exit_code == 0, result.output
    assert "imported 12 entries" in result.stdout and "already listed" in result.stderr
    check = runner.invoke(
        main,
        ["check", str(FIXTURES / "sdn-order.yaml"), "--rules", str(RULES), "--rules", str(out), "--format", "json"],
    )
    assert check.exit_code == 1, check.output
    decision = json.loads(check.stdout)
    (f,) = [f for f in decision["findings"] if f["rule_id"] == "csl.sdn.listed"]
    assert f["match"]["kind"] == "exact" and f["match"]["list"] == "csl-sdn"
    bad = runner.invoke(main, ["lists", "import", "csl", str(FIXTURES / "missing.csv"), "--out", str(out)])
    assert bad.exit_code == 2
    shutil.rmtree(out)
