"""Audit receipts: runs that start and seal, a receipt per record (errors too), keys, resume after a crash,
and a replay that re-decides from the stored input."""

from __future__ import annotations

import hashlib
import hmac
import json
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance.audit.canonical import canonical
from compliance.audit.keys import ENV_KEY, ENV_KEY_FILE
from compliance.audit.receipts import AuditLog, RunInfo
from tests.conftest import EXAMPLES, RULES

KEY = "k" * 40
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
OK = {"id": "OK", "date": "2025-01-01", "destination": "DE", "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}]}


def check(log: Path, *files: Path | str, key: str | None = None, extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    env = {ENV_KEY: key, ENV_KEY_FILE: None}
    r = CliRunner(env=env).invoke(
        main,
        ["check", *map(str, files), "--rules", str(RULES), "--audit-log", str(log), "--format", "jsonl", *extra],
    )
    return r.exit_code, r.stdout, r.stderr


def verify(log: Path, *args: str, key: str | None = None) -> tuple[int, str, str]:
    env = {ENV_KEY: key, ENV_KEY_FILE: None}
    r = CliRunner(env=env).invoke(main, ["audit", "verify", str(log), *args])
    return r.exit_code, r.stdout, r.stderr


def receipts(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def orders(path: Path, n: int, bad: tuple[int, ...] = ()) -> Path:
    lines = [("{broken" if i in bad else json.dumps({**OK, "id": f"T{i}"})) for i in range(1, n + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_run_is_a_start_a_receipt_per_record_and_a_seal(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    code, _, err = check(log, *EXAMPLE_FILES)
    got = receipts(log)
    assert [r["kind"] for r in got] == ["start", *["decision"] * len(EXAMPLE_FILES), "seal"]
    assert {r["format"] for r in got} == {2} and len({r["run"] for r in got}) == 1
    assert got[0]["prev"] == "0" * 64 and all(b["prev"] == a["hash"] for a, b in pairwise(got))
    assert [r["seq"] for r in got[1:-1]] == list(range(1, len(EXAMPLE_FILES) + 1))
    first = got[1]
    assert {"source", "record", "transaction_id", "input", "input_sha256", "as_of", "decision", "rule_ids"} <= set(
        first
    )
    seal = got[-1]
    assert seal["records"] == len(EXAMPLE_FILES) and seal["head"] == got[-2]["hash"]
    assert sum(seal["counts"].values()) == len(EXAMPLE_FILES)  # type: ignore[attr-defined]
    assert f"head {seal['hash']}" in err and code == 1
    code, out, _ = verify(log)
    assert code == 0 and out.startswith(f"ok: chain intact, 1 sealed run(s), {len(EXAMPLE_FILES)} record(s)")


def test_a_second_run_continues_the_chain(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    check(log, EXAMPLE_FILES[0])
    check(log, EXAMPLE_FILES[1])
    got = receipts(log)
    assert [r["kind"] for r in got] == ["start", "decision", "seal", "start", "decision", "seal"]
    assert got[3]["prev"] == got[2]["hash"] and got[0]["run"] != got[3]["run"]
    assert verify(log)[1].startswith("ok: chain intact, 2 sealed run(s), 2 record(s)")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_error_records_get_receipts_and_the_seal_counts_every_record_in(tmp_path: Path, jobs: str) -> None:
    log = tmp_path / "audit.jsonl"
    code, out, _ = check(log, orders(tmp_path / "o.jsonl", 600, bad=(7, 300)), extra=("--jobs", jobs))
    got = receipts(log)
    errors = [r for r in got if r["kind"] == "error"]
    assert [(r["record"], r["seq"]) for r in errors] == [(7, 7), (300, 300)] and code == 2
    assert errors[0]["problems"][0]["code"] == "json-syntax"  # type: ignore[index]
    seal = got[-1]
    assert seal["records"] == 600 == len(out.splitlines()) and seal["counts"] == {
        "allow": 598,
        "deny": 0,
        "review": 0,
        "error": 2,
    }
    assert verify(log)[0] == 0


def test_a_receipt_verifies_with_nothing_but_sha256_hmac_and_rfc_8785(tmp_path: Path) -> None:
    """What a verifier in another language does: parse, drop hash and mac, canonicalise, hash, MAC."""
    log = tmp_path / "audit.jsonl"
    check(log, *EXAMPLE_FILES[:3], key=KEY)
    text = log.read_text()
    assert KEY not in text
    for line in text.splitlines():
        data = json.loads(line)
        assert canonical(data) == line  # each line is itself canonical
        body = canonical({k: v for k, v in data.items() if k not in ("hash", "mac")}).encode()
        assert hashlib.sha256(body).hexdigest() == data["hash"]
        assert hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest() == data["mac"]
        if data["kind"] == "decision":
            assert hashlib.sha256(canonical(data["input"]).encode()).hexdigest() == data["input_sha256"]


def test_keyed_logs(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    check(log, EXAMPLE_FILES[0], key=KEY)
    code, out, _ = verify(log, key=KEY)
    assert code == 0 and "MACs verified (key " in out
    code, out, _ = verify(log)
    assert code == 0 and "MACs not checked: no key" in out
    assert verify(log, key="x" * 40)[0] == 1
    code, _, err = check(log, EXAMPLE_FILES[0])  # appending without the key
    assert code == 2 and "audit-key" in err and "keyed" in err
    code, _, err = check(log, EXAMPLE_FILES[0], key="x" * 40)
    assert code == 2 and "another key" in err
    keyfile = tmp_path / "key"
    keyfile.write_text(KEY + "\n")
    code, _, _ = check(log, EXAMPLE_FILES[0], extra=("--audit-key-file", str(keyfile)))
    assert code == 1 and verify(log, "--key-file", str(keyfile))[0] == 0
    code, _, err = check(tmp_path / "new.jsonl", EXAMPLE_FILES[0], key="short")
    assert code == 2 and "at least 32" in err


def test_a_key_file_needs_an_audit_log(tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    keyfile.write_text(KEY)
    r = CliRunner().invoke(
        main, ["check", str(EXAMPLE_FILES[0]), "--rules", str(RULES), "--audit-key-file", str(keyfile)]
    )
    assert r.exit_code == 2 and "--audit-key-file needs --audit-log" in r.stderr


def test_one_run_at_a_time(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    run = RunInfo(("x",), None, "durable", (), "0")
    with AuditLog(log, run):
        code, _, err = check(log, EXAMPLE_FILES[0])
    assert code == 2 and "audit-locked" in err


def _crash(log: Path, keep: int, cut: int = 40) -> None:
    """As a kill leaves it: the first `keep` lines, then part of the next one, no seal."""
    lines = log.read_bytes().split(b"\n")
    log.write_bytes(b"\n".join(lines[:keep]) + b"\n" + lines[keep][:cut])


def test_a_crashed_run_is_unsealed_and_a_rerun_resumes_it(tmp_path: Path) -> None:
    log, src = tmp_path / "audit.jsonl", orders(tmp_path / "o.jsonl", 50, bad=(9,))
    check(log, src)
    _crash(log, keep=21)  # start + 20 receipts, the 21st cut mid-line
    code, _, err = verify(log)
    assert code == 1 and "audit-unsealed" in err and "unsealed run" in err and "20 record(s)" in err
    code, out, err = check(log, src)
    assert "resuming the unsealed run" in err and "after 20 record(s)" in err
    assert len(out.splitlines()) == 50 and code == 2  # every record is in the output again
    got = receipts(log)
    keys = [(r["source"], r["record"]) for r in got if r["kind"] in ("decision", "error")]
    assert keys == [(str(src), i) for i in range(1, 51)]  # no duplicates, none missing
    (resume,) = [r for r in got if r["kind"] == "resume"]
    assert resume["records"] == 20 and resume["discarded"]["bytes"] == 40  # type: ignore[index]
    assert got[-1]["records"] == 50 and verify(log)[0] == 0


def test_a_rerun_with_other_input_is_refused_and_leaves_the_log_as_it_was(tmp_path: Path) -> None:
    log, src = tmp_path / "audit.jsonl", orders(tmp_path / "o.jsonl", 30)
    check(log, src)
    _crash(log, keep=11)
    before = log.read_bytes()
    code, out, err = check(log, EXAMPLE_FILES[0])
    assert code == 2 and out == "" and "audit-resume" in err and "sources differ" in err
    assert "compliance audit close" in err and log.read_bytes() == before
    orders(src, 30)
    src.write_text(src.read_text().replace('"T4"', '"T4-changed"'))  # same file name, other content
    code, out, err = check(log, src)
    assert code == 2 and "o.jsonl:4 does not match receipt" in err and len(out.splitlines()) == 3
    assert log.read_bytes() == before


def test_audit_close_seals_a_crashed_run_as_interrupted(tmp_path: Path) -> None:
    log, src = tmp_path / "audit.jsonl", orders(tmp_path / "o.jsonl", 30)
    check(log, src)
    _crash(log, keep=11)
    r = CliRunner().invoke(main, ["audit", "close", str(log)])
    assert r.exit_code == 0 and "10 record(s)" in r.stdout
    code, out, err = verify(log)
    assert code == 0 and "interrupted after 10 record(s)" in err and "1 sealed run(s)" in out
    assert check(log, EXAMPLE_FILES[0])[0] == 1 and verify(log)[0] == 0  # a new run starts after it
    r = CliRunner().invoke(main, ["audit", "close", str(log)])
    assert r.exit_code == 2 and "nothing to close" in r.stderr


def test_replay_reports_no_difference_on_the_same_packs(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    check(log, *EXAMPLE_FILES, orders(tmp_path / "o.jsonl", 3, bad=(2,)))
    r = CliRunner().invoke(main, ["audit", "replay", str(log), "--rules", str(RULES)])
    assert r.exit_code == 0 and f"{len(EXAMPLE_FILES) + 2} receipt(s) replayed: 0 differ" in r.stdout
    assert "1 error record(s) not replayed" in r.stdout


def test_replay_reports_a_changed_decision(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    check(log, EXAMPLE_FILES[0])
    lines = log.read_text().splitlines()
    data = json.loads(lines[1])
    data["decision"] = "allow" if data["decision"] != "allow" else "deny"  # as if the packs of the day differed
    log.write_text("\n".join([lines[0], json.dumps(data), lines[2]]) + "\n")
    r = CliRunner().invoke(main, ["audit", "replay", str(log), "--rules", str(RULES)])
    assert r.exit_code == 1 and f"was {data['decision']}" in r.stdout


def _legacy_log(path: Path) -> None:
    """A log as 0.1 wrote it (format 1: Python's sorted-keys JSON, no runs, no seals)."""

    def dump(d: object) -> str:
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    tx = {
        "id": "L1",
        "date": "2025-01-01",
        "destination": "DE",
        "items": [{"line": 1, "eccn": "EAR99", "quantity": 1.0}],
    }
    prev, out = "0" * 64, []
    for _ in range(2):
        body = {
            "timestamp": "2025-01-01T00:00:00+00:00",
            "transaction_id": "L1",
            "input_sha256": hashlib.sha256(dump(tx).encode()).hexdigest(),
            "as_of": "2025-01-01",
            "decision": "allow",
            "rule_ids": [],
            "rule_packs": [],
            "engine_version": "0.1.0",
            "input": tx,
            "prev": prev,
        }
        body["hash"] = prev = hashlib.sha256(dump(body).encode()).hexdigest()
        out.append(dump(body))
    path.write_text("\n".join(out) + "\n")


def test_format_1_logs_still_verify_and_replay_but_are_not_continued(tmp_path: Path) -> None:
    log = tmp_path / "old.jsonl"
    _legacy_log(log)
    code, _, err = verify(log)
    assert code == 1 and "format-1 receipts" in err  # its chain is intact; its end cannot be proven
    r = CliRunner().invoke(main, ["audit", "replay", str(log), "--rules", str(RULES)])
    assert "2 receipt(s) replayed" in r.stdout
    code, _, err = check(log, EXAMPLE_FILES[0])
    assert code == 2 and "audit-format" in err and "start a new audit log" in err


def test_an_empty_log_proves_nothing(tmp_path: Path) -> None:
    log = tmp_path / "empty.jsonl"
    log.write_text("")
    code, _, err = verify(log)
    assert code == 1 and "empty" in err
