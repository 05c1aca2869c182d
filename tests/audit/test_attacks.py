"""The attack table of docs/erp.md ("What verify detects"), row by row.

Each attack is done as well as it can be done without the key: the forger knows the format, recomputes every
sha256, `prev`, `seq` and seal, and keeps or drops MACs as suits it, but cannot compute a MAC. Each row is run
on an unkeyed log, on a keyed log verified with its key, and on an unkeyed log whose head (the last seal's
hash) was anchored outside the host.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance.audit.canonical import canonical
from compliance.audit.keys import ENV_KEY, ENV_KEY_FILE
from tests.conftest import EXAMPLES, RULES

KEY = "attack-table-key-" + "0" * 24
Receipts = list[dict[str, object]]


def _rehash(data: dict[str, object]) -> dict[str, object]:
    body = {k: v for k, v in data.items() if k not in ("hash", "mac")}
    data["hash"] = hashlib.sha256(canonical(body).encode()).hexdigest()
    return data


def rechain(rows: Receipts, *, drop_macs: bool = False) -> Receipts:
    """What a forger without the key can do: make every hash, `prev`, `seq` and seal consistent again."""
    prev, seq, counts = "0" * 64, 0, {}
    for row in rows:
        if drop_macs:
            row.pop("mac", None)
            row.pop("key_id", None)
        row["prev"] = prev
        if row["kind"] == "start":
            seq, counts = 0, dict.fromkeys(("allow", "deny", "review", "error"), 0)
        elif row["kind"] in ("decision", "error"):
            seq += 1
            row["seq"] = seq
            counts["error" if row["kind"] == "error" else str(row["decision"])] += 1
        elif row["kind"] == "seal":
            row.update(records=seq, counts=dict(counts), head=prev)
        prev = str(_rehash(row)["hash"])
    return rows


def _flip(row: dict[str, object]) -> None:
    row["decision"] = "allow" if row["decision"] != "allow" else "deny"


def edit(rows: Receipts) -> Receipts:
    _flip(rows[2])
    _rehash(rows[2])  # its own hash made right; the next receipt's `prev` still names the old one
    return rows


def delete_middle(rows: Receipts) -> Receipts:
    del rows[2]
    return rows


def delete_last(rows: Receipts) -> Receipts:
    return rows[:-1]  # the final seal


def delete_last_record(rows: Receipts) -> Receipts:
    del rows[-2]
    return rows


def truncate(rows: Receipts) -> Receipts:
    return rows[: len(rows) - 3]  # cut inside the last run, as a crash or `truncate -s` leaves it


def drop_last_run(rows: Receipts) -> Receipts:
    starts = [i for i, r in enumerate(rows) if r["kind"] == "start"]
    return rows[: starts[-1]]  # ends at a seal: nothing is left open


def reorder(rows: Receipts) -> Receipts:
    rows[1], rows[2] = rows[2], rows[1]
    return rows


def append_forged_receipt(rows: Receipts) -> Receipts:
    forged = {**rows[1], "prev": rows[-1]["hash"], "transaction_id": "FORGED"}
    return [*rows, _rehash(forged)]


def append_forged_run(rows: Receipts) -> Receipts:
    run = [dict(r) for r in rows if r["run"] == rows[0]["run"]]
    for r in run:
        r["run"] = "f" * 32
    return rechain([*rows, *run])  # only the forged run's hashes change; the genuine receipts keep their MACs


def full_rechain(rows: Receipts) -> Receipts:
    _flip(rows[2])
    return rechain(rows)  # MACs are kept: a verifier without the key does not look at them


def strip_macs_and_rechain(rows: Receipts) -> Receipts:
    _flip(rows[2])
    return rechain(rows, drop_macs=True)  # passes off the log as an unkeyed one


# attack, detected on (an unkeyed log, a keyed log verified with the key, an unkeyed log with an anchored head)
TABLE: list[tuple[Callable[[Receipts], Receipts], tuple[bool, bool, bool]]] = [
    (edit, (True, True, True)),
    (delete_middle, (True, True, True)),
    (delete_last, (True, True, True)),
    (delete_last_record, (True, True, True)),
    (truncate, (True, True, True)),
    (drop_last_run, (False, False, True)),
    (reorder, (True, True, True)),
    (append_forged_receipt, (True, True, True)),
    (append_forged_run, (False, True, False)),
    (full_rechain, (False, True, True)),
    (strip_macs_and_rechain, (False, True, True)),
]


def _env(key: str | None) -> dict[str, str | None]:
    return {ENV_KEY: key, ENV_KEY_FILE: None}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Two runs of three examples each, unkeyed and keyed; with the head each ended at."""
    out = {}
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))[:3]]
    for name, key in (("plain", None), ("keyed", KEY)):
        log = tmp_path_factory.mktemp(name) / "audit.jsonl"
        for _ in range(2):
            CliRunner(env=_env(key)).invoke(
                main, ["check", *files, "--rules", str(RULES), "--audit-log", str(log), "--quiet"]
            )
        out[name] = (log, json.loads(log.read_text().splitlines()[-1])["hash"])
    return out


def _verify(
    log: Path, attack: Callable[[Receipts], Receipts], tmp: Path, *args: str, key: str | None = None
) -> tuple[int, str]:
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    forged = tmp / f"{attack.__name__}.jsonl"
    forged.write_text("".join(canonical(r) + "\n" for r in attack(rows)))
    r = CliRunner(env=_env(key)).invoke(main, ["audit", "verify", str(forged), *args])
    assert r.exit_code in (0, 1), r.output
    return r.exit_code, r.stderr


@pytest.mark.parametrize(("attack", "detected"), TABLE, ids=[a.__name__ for a, _ in TABLE])
def test_the_attack_table(
    logs: dict[str, tuple[Path, str]],
    tmp_path: Path,
    attack: Callable[[Receipts], Receipts],
    detected: tuple[bool, bool, bool],
) -> None:
    plain, head = logs["plain"]
    keyed, _ = logs["keyed"]
    got = (
        _verify(plain, attack, tmp_path)[0] == 1,
        _verify(keyed, attack, tmp_path, key=KEY)[0] == 1,
        _verify(plain, attack, tmp_path, "--anchor", head)[0] == 1,
    )
    assert got == detected


def test_the_untouched_logs_verify(logs: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    plain, head = logs["plain"]
    keyed, _ = logs["keyed"]
    assert _verify(plain, list, tmp_path, "--anchor", head)[0] == 0
    assert _verify(keyed, list, tmp_path, key=KEY)[0] == 0


def test_what_each_detection_says(logs: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    plain, head = logs["plain"]
    keyed, _ = logs["keyed"]
    assert "audit-chain receipt 4: its `prev`" in _verify(plain, edit, tmp_path)[1]
    assert "audit-unsealed" in _verify(plain, truncate, tmp_path)[1]
    assert "audit-unsealed" in _verify(plain, delete_last, tmp_path)[1]
    assert "outside an open run" in _verify(plain, append_forged_receipt, tmp_path)[1]
    assert "audit-anchor" in _verify(plain, drop_last_run, tmp_path, "--anchor", head)[1]
    assert "audit-mac" in _verify(keyed, full_rechain, tmp_path, key=KEY)[1]
    assert "has no MAC" in _verify(keyed, strip_macs_and_rechain, tmp_path, key=KEY)[1]
    # even without the key, a keyed log shows a receipt that was rewritten without a MAC
    assert "has no MAC in a keyed log" in _verify(keyed, _unmac_last, tmp_path)[1]


def _unmac_last(rows: Receipts) -> Receipts:
    rows[-1].pop("mac")
    rows[-1].pop("key_id")
    return rechain(rows)
