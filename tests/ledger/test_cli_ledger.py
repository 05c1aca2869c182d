"""`compliance licenses ...` and `check --db --reserve` end to end: the five commands of the README, receipts for
every movement, and `audit replay` deciding again on the licences and balances a receipt kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance.audit.receipts import read_receipts

LICENCE = """\
licenses:
  - id: D1234567
    authority: US-BIS
    products: [NVIDIA H20]
    destinations: [CN]
    quantity: 1000
    value: 12000000
    currency: USD
    valid_from: 2025-08-15
    valid_to: 2026-08-14
"""

ORDER = """\
id: {id}
date: 2025-09-01
exporter: {{name: NVIDIA Corporation, country: US}}
destination: CN
parties:
  - {{role: end_user, name: "Example Cloud Computing Co., Ltd.", country: CN}}
end_use_codes: [civil]
items:
  - {{line: 1, product: nvidia-h20, quantity: {quantity}, unit_value: 12000, currency: USD}}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _files(tmp: Path) -> tuple[str, str, str, str]:
    (tmp / "lic.yaml").write_text(LICENCE)
    (tmp / "a.yaml").write_text(ORDER.format(id="SO-A", quantity=600))
    (tmp / "b.yaml").write_text(ORDER.format(id="SO-B", quantity=600))
    return str(tmp / "lic.yaml"), str(tmp / "a.yaml"), str(tmp / "b.yaml"), str(tmp / "ledger.sqlite")


def test_five_commands(tmp_path: Path) -> None:
    lic, a, b, db = _files(tmp_path)
    log = str(tmp_path / "audit.jsonl")
    code, out, _ = run("licenses", "add", lic, "--db", db, "--audit-log", log)
    assert code == 0 and "add licence D1234567: quantity 1,000, value 12,000,000" in out
    code, out, _ = run("check", a, "--db", db, "--reserve", "--audit-log", log, "--format", "json")
    (finding,) = [f for f in json.loads(out)["findings"] if f["effect"] == "license_required"]
    assert code == 0 and finding["license"] == "D1234567"
    assert "Covered by licence D1234567 (US-BIS) from the licence ledger: quantity 1,000 left" in finding["message"]
    code, out, _ = run("check", b, "--db", db, "--reserve", "--audit-log", log, "--format", "json")
    (finding,) = [f for f in json.loads(out)["findings"] if f["effect"] == "license_required"]
    assert code == 1 and "licence D1234567 has 400 left" in finding["message"]
    assert "line 1 needs 600" in finding["message"]
    code, out, _ = run("licenses", "list", "--db", db)
    assert code == 0 and "quantity 400 left of 1,000 (600 reserved, 0 shipped)" in out
    code, out, _ = run("licenses", "consume", "SO-A", "--db", db, "--audit-log", log)
    assert code == 0 and out.startswith("consume licence D1234567 for SO-A line 1")
    code, _, err = run("licenses", "release", "SO-A", "--db", db)
    assert code == 1 and "a shipment is not released" in err
    code, out, _ = run("licenses", "list", "--db", db, "--format", "json")
    (row,) = json.loads(out)
    assert row["consumed"]["quantity"] == "600" and row["left"]["quantity"] == "400"
    code, out, _ = run("licenses", "show", "D1234567", "--db", db)
    assert code == 0 and "reservation SO-A line 1: consumed" in out and "#3" in out
    # The log: every movement a receipt, the chain intact, and the decisions replay on the balances they saw.
    kinds = [d["kind"] for _, _, d in read_receipts(log) if d is not None]
    assert kinds.count("movement") == 3  # add, reserve, consume
    assert run("audit", "verify", log)[0] == 0
    code, out, _ = run("audit", "replay", log)
    assert code == 0 and "2 receipt(s) replayed: 0 differ" in out


def test_replay_uses_the_balances_the_receipt_kept(tmp_path: Path) -> None:
    lic, a, _b, db = _files(tmp_path)
    log = tmp_path / "audit.jsonl"
    run("licenses", "add", lic, "--db", db)
    assert run("check", a, "--db", db, "--reserve", "--audit-log", str(log))[0] == 0
    # The receipt says the licence had nothing used when A was decided; claim 900 were: replay must deny.
    lines = log.read_text().splitlines()
    doctored = []
    for line in lines:
        data = json.loads(line)
        if data.get("kind") == "decision":
            ledger = json.loads(data["ledger"]) if isinstance(data["ledger"], str) else data["ledger"]
            ledger["licenses"][0]["used_quantity"] = "900"
            data["ledger"] = ledger
        doctored.append(json.dumps(data))
    log.write_text("\n".join(doctored) + "\n")
    code, out, _ = run("audit", "replay", str(log))
    assert code == 1 and "was allow" in out and "now deny" in out


def test_bad_input_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "licenses:\n  - id: X\n    authority: US-BIS\n    valid_from: 2025-01-01\n    valid_to: 2025-13-01\n"
    )
    code, _, err = run("licenses", "add", str(bad), "--db", str(tmp_path / "l.sqlite"))
    assert code == 2 and "bad.yaml:5" in err and "valid_to" in err
    code, _, err = run("licenses", "list", "--db", str(tmp_path / "none.sqlite"))
    assert code == 2 and "ledger-missing" in err
    code, _, err = run("check", str(bad), "--reserve")
    assert code == 2 and "--reserve needs --db" in err
    code, _, err = run("check", str(bad), "--db", "x.sqlite", "--hold", "soon")
    assert code == 2 and "7d, 12h" in err
    # A check never creates a ledger: a mistyped path is an error, not an empty ledger.
    order = tmp_path / "o.yaml"
    order.write_text(ORDER.format(id="SO-A", quantity=1))
    code, _, err = run("check", str(order), "--db", str(tmp_path / "typo.sqlite"))
    assert code == 2 and "ledger-missing" in err and not (tmp_path / "typo.sqlite").exists()


def test_the_readme_shows_real_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's "Licence ledger in five commands" is one stateful session (tests/test_docs.py re-runs
    sessions one by one, so it leaves these out): run again in a copy of docs/ledger/, every block of output it
    shows (stdout and stderr, as a terminal shows them) is what the commands print, in order."""
    import re
    import shlex
    import shutil

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Licence ledger in five commands") :]
    block = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert block is not None
    shutil.copytree(ROOT / "docs" / "ledger", tmp_path / "ledger")
    monkeypatch.chdir(tmp_path / "ledger")
    monkeypatch.setenv("NO_COLOR", "1")
    sessions = re.split(r"^\$ ", block.group(1), flags=re.MULTILINE)[1:]
    assert len(sessions) == 8
    for session in sessions:
        command, _, shown = session.partition("\n")
        args = shlex.split(command.split("#")[0])[1:]
        result = CliRunner().invoke(main, args)
        if "[... the rule's citations and note ...]" in shown:  # shortened: what it shows is the start
            head = shown.split("             [...")[0]
            assert result.output.startswith(head), command
        else:
            assert result.output == shown, command
