"""Audit receipts: a hash chain an auditor can verify, and a replay that re-decides from the stored input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main
from tests.conftest import EXAMPLES, RULES


def _check(log: Path, *files: Path) -> None:
    CliRunner().invoke(main, ["check", *map(str, files), "--rules", str(RULES), "--audit-log", str(log), "--quiet"])


def _verify(log: Path) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, ["audit", "verify", str(log)])
    return r.exit_code, r.stdout, r.stderr


def test_receipts_chain_and_verify(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    examples = sorted(EXAMPLES.glob("*.yaml"))
    _check(log, *examples)
    _check(log, examples[0])  # appending continues the chain
    lines = log.read_text().splitlines()
    assert len(lines) == len(examples) + 1
    first, second = json.loads(lines[0]), json.loads(lines[1])
    assert first["prev"] == "0" * 64 and second["prev"] == first["hash"]
    assert {
        "timestamp",
        "transaction_id",
        "input_sha256",
        "decision",
        "rule_ids",
        "rule_packs",
        "engine_version",
    } <= set(first)
    assert _verify(log) == (0, f"ok: {len(lines)} receipt(s), chain intact\n", "")


def test_editing_a_receipt_is_detected_at_its_line(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    _check(log, *sorted(EXAMPLES.glob("*.yaml")))
    lines = log.read_text().splitlines()
    lines[2] = (
        lines[2].replace('"decision":"deny"', '"decision":"allow"').replace('"decision":"review"', '"decision":"allow"')
    )
    if lines[2] == log.read_text().splitlines()[2]:
        lines[2] = lines[2].replace('"decision":"allow"', '"decision":"deny"')
    log.write_text("\n".join(lines) + "\n")
    code, _, err = _verify(log)
    assert code == 1 and "audit.jsonl:3:1: error audit-chain receipt 3:" in err


def test_deleting_a_receipt_breaks_the_chain(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    _check(log, *sorted(EXAMPLES.glob("*.yaml")))
    lines = log.read_text().splitlines()
    del lines[1]
    log.write_text("\n".join(lines) + "\n")
    code, _, err = _verify(log)
    assert code == 1 and "receipt 2:" in err and "prev" in err


def test_replay_reports_no_difference_on_the_same_packs(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    _check(log, *sorted(EXAMPLES.glob("*.yaml")))
    r = CliRunner().invoke(main, ["audit", "replay", str(log), "--rules", str(RULES)])
    assert r.exit_code == 0 and "0 differ" in r.stdout


def test_replay_reports_a_changed_decision(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    _check(log, EXAMPLES / "h20-to-china.yaml")
    data = json.loads(log.read_text())
    data["decision"] = "allow"  # as if the packs of the day had allowed it
    log.write_text(json.dumps(data) + "\n")
    r = CliRunner().invoke(main, ["audit", "replay", str(log), "--rules", str(RULES)])
    assert r.exit_code == 1 and "was allow" in r.stdout and "now deny" in r.stdout
