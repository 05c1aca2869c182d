"""Cleared possible matches: one (party, country, entry) at a time, dated, recorded, reopened when the entry changes."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from compliance import Engine, InputError, load_packs
from compliance.audit.receipts import AuditLog, RunInfo, receipt_input
from compliance.audit.replay import replay
from compliance.audit.verify import verify_log
from compliance.io.clearances import add_clearance, clearance_rows, load_clearances, read_clearances, withdraw_clearance
from compliance.screening.clearances import ClearanceBook
from tests.conftest import RULES

PACKS = load_packs([RULES])
PARTY = "Huawei Technologies Iceland ehf"  # a possible match on the Huawei entry, not a listed entry itself
ENTRY = "Huawei Technologies Co., Ltd."


def tx(name: str = PARTY, country: str = "IS", date: str = "2026-03-01") -> dict[str, object]:
    return {
        "id": "SO-C",
        "date": date,
        "destination": "DE",
        "exporter": {"name": "Example Systems Inc.", "country": "US"},
        "parties": [{"role": "end_user", "name": name, "country": country}],
        "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}],
    }


def add(file: Path, **kw: object) -> None:
    args: dict[str, object] = {
        "party": PARTY,
        "country": "IS",
        "list_id": "us-entity-list",
        "entry": ENTRY,
        "reason": "Icelandic reseller checked against the entry's addresses; not the listed Shenzhen entity",
        "cleared_by": "A. Officer",
        "date": dt.date(2026, 1, 1),
        "expires": dt.date(2026, 12, 31),
    }
    args.update(kw)
    add_clearance(file, PACKS, **args)  # type: ignore[arg-type]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    file = tmp_path / "clearances.yaml"
    add(file)
    return file


@pytest.mark.parametrize("backend", ["durable", "reference"])
def test_a_clearance_turns_that_possible_match_into_a_recorded_allow(book: Path, backend: str) -> None:
    with (
        Engine(PACKS, backend=backend) as plain,
        Engine(PACKS, backend=backend, clearances=load_clearances(book)) as cleared,
    ):
        assert plain.evaluate(tx()).decision == "review"
        d = cleared.evaluate(tx())
    assert d.decision == "allow"
    (f,) = [f for f in d.findings if f.rule_id == "engine.cleared-party-match"]
    assert f.outcome == "allow" and f.match is not None and f.match.clearance == "CLR-0001"
    assert "CLR-0001" in f.message and "A. Officer" in f.message


def test_it_clears_that_match_only(book: Path) -> None:
    with Engine(PACKS, backend="reference", clearances=load_clearances(book)) as engine:
        # the same party in another country, another party, the same words as another possible match
        assert engine.evaluate(tx(country="AT")).decision == "review"
        assert engine.evaluate(tx(name="Huawei Technologies Austria GmbH")).decision == "review"
        # the listed party itself is never cleared: an exact match is the entry
        assert engine.evaluate(tx(name=ENTRY, country="CN")).decision == "deny"
        # an equivalent spelling of the cleared party is the same party
        assert engine.evaluate(tx(name="HUAWEI TECHNOLOGIES ICELAND EHF.")).decision == "allow"


def test_it_applies_from_its_date_to_its_expiry_and_until_withdrawn(book: Path) -> None:
    engine = Engine(PACKS, backend="reference", clearances=load_clearances(book))
    assert engine.evaluate(tx(date="2025-12-31")).decision == "review"
    assert engine.evaluate(tx(date="2026-01-01")).decision == "allow"
    assert engine.evaluate(tx(date="2026-12-31")).decision == "allow"
    late = engine.evaluate(tx(date="2027-01-01"))
    (possible,) = [f for f in late.findings if f.rule_id == "engine.possible-party-match"]
    assert "CLR-0001 does not apply: it expired on 2026-12-31" in possible.message
    withdraw_clearance(book, "CLR-0001", dt.date(2026, 6, 1))
    engine = Engine(PACKS, backend="reference", clearances=load_clearances(book))
    assert engine.evaluate(tx(date="2026-05-31")).decision == "allow"
    assert engine.evaluate(tx(date="2026-06-01")).decision == "review"
    assert read_clearances(book)[0].withdrawn == dt.date(2026, 6, 1)  # kept, with the day


def test_it_reopens_when_the_entry_or_its_aliases_change(book: Path, tmp_path: Path) -> None:
    changed = tmp_path / "rules"
    shutil.copytree(RULES, changed)
    path = changed / "us-ear" / "entity-list.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "      - Huawei Technologies\n", "      - Huawei Technologies\n      - Huawei Tech Group\n"
        ),
        encoding="utf-8",
    )
    packs = load_packs([changed])
    d = Engine(packs, backend="reference", clearances=load_clearances(book)).evaluate(tx())
    assert d.decision == "review"
    assert "CLR-0001 does not apply: the entry or its aliases changed" in d.findings[0].message
    (row,) = clearance_rows(read_clearances(book), packs, dt.date(2026, 3, 1))
    assert row.status.startswith("reopened")


def test_an_exact_match_an_unknown_entry_and_bad_dates_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    with pytest.raises(InputError, match="exact match"):
        add(file, party="Huawei Technologies Co Ltd", country="CN")
    with pytest.raises(InputError, match=re.escape("did you mean 'Huawei Technologies Co., Ltd.'")):
        add(file, entry="Huawei Technologies Co Ltd")
    with pytest.raises(InputError, match="did you mean 'us-entity-list'"):
        add(file, list_id="us-entity-lst")
    with pytest.raises(InputError, match="before date"):
        add(file, expires=dt.date(2025, 1, 1))
    assert not file.exists()


def test_a_bad_clearances_file_is_located(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("kind: clearances\nclearances:\n  - id: A\n    party: X\n    contry: DE\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_clearances(file)
    assert any(p.code == "unknown-key" and p.location.line == 5 for p in err.value.problems)
    add(file2 := tmp_path / "ok.yaml")
    data = yaml.safe_load(file2.read_text(encoding="utf-8"))
    data["clearances"].append(dict(data["clearances"][0]))
    file2.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match="used twice"):
        load_clearances(file2)


def test_receipts_record_the_clearances_and_replay_needs_them(book: Path, tmp_path: Path) -> None:
    from compliance.intake import transaction_from_mapping

    engine = Engine(PACKS, backend="reference", clearances=load_clearances(book))
    t = transaction_from_mapping(tx())
    content = receipt_input(t, engine.decide(t))
    assert content.clearances == ("CLR-0001",)
    log = tmp_path / "audit.jsonl"
    run = RunInfo(("order.json",), None, "reference", content.rule_packs, content.engine_version)
    with AuditLog(log, run, clock=lambda: dt.datetime(2026, 3, 1, tzinfo=dt.UTC)) as audit:
        audit.add_decision("order.json", 1, content)
        audit.seal()
    receipts = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["clearances"] for r in receipts if r["kind"] == "decision"] == [["CLR-0001"]]
    report = verify_log(log)
    assert report.broken is None and report.records == 1
    assert not replay(engine, log).changed
    assert replay(Engine(PACKS, backend="reference"), log).changed  # without the clearances it differs
    assert not replay(Engine(PACKS, backend="reference", clearances=ClearanceBook()), log).unreadable


def test_cli_add_list_expire_and_check(tmp_path: Path) -> None:
    runner = CliRunner()
    file = tmp_path / "clearances.yaml"
    order = tmp_path / "order.json"
    order.write_text(json.dumps(tx()), encoding="utf-8")
    args = ["clearances", "add", "--file", str(file), "--rules", str(RULES), "--party", PARTY, "--country", "IS"]
    args += ["--list", "us-entity-list", "--entry", ENTRY, "--reason", "checked", "--by", "A. Officer"]
    args += ["--date", "2026-01-01", "--expires", "2026-12-31"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "added CLR-0001" in result.stdout
    listed = runner.invoke(
        main, ["clearances", "list", "--file", str(file), "--rules", str(RULES), "--as-of", "2026-03-01"]
    )
    assert listed.exit_code == 0 and "CLR-0001  active" in listed.stdout
    check = ["check", str(order), "--rules", str(RULES), "--clearances", str(file)]
    assert runner.invoke(main, check).exit_code == 0
    assert runner.invoke(main, [*check, "--jobs", "2", "--format", "json"]).exit_code == 0
    assert runner.invoke(main, ["check", str(order), "--rules", str(RULES)]).exit_code == 3
    assert (
        runner.invoke(main, ["clearances", "expire", "--file", str(file), "CLR-0001", "--on", "2026-02-01"]).exit_code
        == 0
    )
    assert runner.invoke(main, check).exit_code == 3
    unknown = runner.invoke(main, ["clearances", "expire", "--file", str(file), "CLR-0002"])
    assert unknown.exit_code == 2 and "did you mean 'CLR-0001'" in unknown.stderr
    text = runner.invoke(main, ["check", str(order), "--rules", str(RULES)]).stdout
    assert "match: fuzzy" in text and "entry sha256" in text


def test_the_service_reads_the_clearances_on_start_and_on_reload(book: Path, tmp_path: Path) -> None:
    from compliance.server.state import PackState

    state = PackState([str(RULES)], backend="reference", clearances=str(book))
    try:
        assert state.current.engine.evaluate(tx()).decision == "allow"
        withdraw_clearance(book, "CLR-0001", dt.date(2026, 1, 1))
        assert state.reload().ok
        assert state.current.engine.evaluate(tx()).decision == "review"
        book.write_text("kind: clearances\nclearances: 3\n", encoding="utf-8")
        broken = state.reload()
        assert not broken.ok and broken.problems  # a broken file keeps the set in use
    finally:
        state.close()
