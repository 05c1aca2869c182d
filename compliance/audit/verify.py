"""Verifying an audit log: every hash, the chain, every run sealed with the right count, and (with the key)
every MAC. What this proves and what it cannot is the table in docs/erp.md ("What verify detects").

Without a key, anyone who can write the log can rebuild it end to end (a "full re-chain"), so a log that
verifies without a key proves only that it was not edited *carelessly*; a keyed log verified with its key
proves it was written by a holder of the key. Removing whole sealed runs from the end of a log is invisible to
both, unless the head hash was anchored outside the host (``--anchor``: see docs/erp.md on anchoring).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from compliance.audit.canonical import CanonicalError, canonical_fast
from compliance.audit.keys import AuditKey
from compliance.audit.receipts import FORMAT, GENESIS, RECORD_KINDS, sha256_text

__all__ = ["Break", "VerifyReport", "verify_log"]

_OUTCOMES = ("allow", "deny", "review", "error")
# A receipt holds one validated input (at most RECORD_LIMITS.max_bytes as read): a line far longer is not one,
# and is not read whole.
MAX_LINE = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Break:
    """The first thing wrong: the line it is on, a code (``audit-chain``, ``audit-unsealed``, ``audit-mac``,
    ``audit-anchor``) and what it means."""

    line: int
    code: str
    reason: str


@dataclass
class VerifyReport:
    receipts: int = 0  # lines read
    records: int = 0  # decision and error receipts
    runs: int = 0  # sealed runs
    legacy: int = 0  # format-1 receipts (before seals existed)
    keyed: bool | None = None  # None: no receipt yet
    key_id: str | None = None
    macs_checked: bool = False
    head: str = GENESIS
    interrupted: list[str] = field(default_factory=list)
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def summary(self) -> str:
        text = f"ok: chain intact, {self.runs} sealed run(s), {self.records} record(s), {self.receipts} receipt(s)"
        if self.keyed and self.macs_checked:
            text += f"; MACs verified (key {self.key_id})"
        elif self.keyed:
            text += f"; MACs not checked: no key (key {self.key_id}; pass --key-file or set COMPLIANCE_AUDIT_KEY)"
        else:
            text += "; not keyed: anyone who can write the log can rebuild it (see docs/erp.md)"
        return f"{text}; head {self.head}"


class _Open:
    def __init__(self, run: str, line: int) -> None:
        self.run = run
        self.line = line
        self.seq = 0
        self.counts = dict.fromkeys(_OUTCOMES, 0)


def verify_log(path: str | Path, *, key: AuditKey | None = None, anchors: Iterable[str] = ()) -> VerifyReport:
    """Read the whole log once, in bounded memory; the report names the first break, if any."""
    report = VerifyReport()
    wanted = set(anchors)
    found: set[str] = set()
    state = _State(report, key)
    with open(path, "rb") as stream:
        number = 0
        while raw := stream.readline(MAX_LINE + 1):
            number += 1
            if len(raw) > MAX_LINE:
                report.broken = Break(number, "audit-chain", f"a line longer than {MAX_LINE} bytes is not a receipt")
                return report
            if not raw.endswith(b"\n"):
                report.broken = state.unsealed(number, "its last line is cut (a crash or a truncation while writing)")
                return report
            if not raw.strip():
                continue
            report.receipts += 1
            broken = state.line(number, raw)
            if broken is not None:
                report.broken = broken
                return report
            if state.last_kind == "seal" and report.head in wanted:
                found.add(report.head)
        end = state.end(number)
    if end is not None:
        report.broken = end
        return report
    missing = sorted(wanted - found)
    if missing:
        report.broken = Break(
            number,
            "audit-anchor",
            f"the anchored head {missing[0]} is not the hash of a seal in this log: sealed runs were removed from "
            "its end, or the log was rewritten",
        )
    return report


class _State:
    def __init__(self, report: VerifyReport, key: AuditKey | None) -> None:
        self.report = report
        self.key = key
        self.open: _Open | None = None
        self.last_kind = ""
        self.last_legacy = False

    def unsealed(self, number: int, why: str) -> Break:
        if self.open is not None:
            return Break(
                number,
                "audit-unsealed",
                f"unsealed run: run {self.open.run} (started at line {self.open.line}, {self.open.seq} record(s)) has "
                f"no seal; {why}. Rerun the same `compliance check` to resume it, or `compliance audit close` it",
            )
        return Break(number, "audit-unsealed", f"unsealed: {why}")

    def end(self, number: int) -> Break | None:
        if self.report.receipts == 0:
            return Break(max(number, 1), "audit-unsealed", "unsealed: the log is empty, so nothing proves what it held")
        if self.open is not None:
            return self.unsealed(number, "the log ends inside it (a crash, or its end was removed)")
        if self.last_legacy:
            return Break(
                number,
                "audit-unsealed",
                "unsealed: the log ends with format-1 receipts (written before seals existed), so a cut end cannot "
                "be told from a complete one",
            )
        return None

    def line(self, number: int, raw: bytes) -> Break | None:
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return Break(number, "audit-chain", "not a JSON receipt")
        if "format" not in data:
            return self._legacy(number, data)
        if data.get("format") != FORMAT:
            return Break(number, "audit-chain", f"unknown receipt format {data.get('format')!r}")
        self.last_legacy = False
        body = {k: v for k, v in data.items() if k not in ("hash", "mac")}
        try:
            text = canonical_fast(body)
        except CanonicalError as exc:
            return Break(number, "audit-chain", f"it has no canonical form ({exc}): the receipt was edited")
        if sha256_text(text) != data.get("hash"):
            return Break(number, "audit-chain", "its content does not match its `hash`: the receipt was edited")
        if data.get("kind") == "decision":
            try:
                stored = canonical_fast(data.get("input"))
            except CanonicalError:
                stored = ""
            if sha256_text(stored) != data.get("input_sha256"):
                return Break(number, "audit-chain", "its input does not match `input_sha256`: the receipt was edited")
        if data.get("prev") != self.report.head:
            return Break(
                number,
                "audit-chain",
                "its `prev` is not the previous receipt's `hash`: a receipt before it was edited, removed or reordered",
            )
        broken = self._mac(number, data, text)
        if broken is not None:
            return broken
        broken = self._structure(number, data)
        if broken is not None:
            return broken
        self.report.head = str(data["hash"])
        self.last_kind = str(data.get("kind"))
        return None

    def _mac(self, number: int, data: dict[str, object], text: str) -> Break | None:
        report = self.report
        keyed = "mac" in data
        if report.keyed is None:
            report.keyed = keyed
            report.key_id = str(data.get("key_id")) if keyed else None
            report.macs_checked = self.key is not None and keyed
        elif keyed != report.keyed:
            why = "has no MAC in a keyed log" if report.keyed else "has a MAC in a log that is not keyed"
            return Break(number, "audit-mac", f"it {why}: it was added or rewritten by someone else")
        elif keyed and data.get("key_id") != report.key_id:
            return Break(number, "audit-mac", f"it names another key ({data.get('key_id')}) than the log's")
        if self.key is None:
            return None
        if not keyed:
            return Break(number, "audit-mac", "it has no MAC, but a key was given: the log was not written with it")
        if data.get("key_id") != self.key.key_id:
            return Break(number, "audit-mac", f"it was written with another key ({data.get('key_id')}), or forged")
        if not self.key.verify(text.encode("utf-8"), data.get("mac")):
            return Break(
                number, "audit-mac", "its MAC does not verify: forged, or rewritten by someone without the key"
            )
        return None

    def _structure(self, number: int, data: dict[str, object]) -> Break | None:
        kind, run = data.get("kind"), data.get("run")
        current = self.open
        if kind == "start":
            if current is not None:
                return self.unsealed(number, "a new run starts here")
            self.open = _Open(str(run), number)
            return None
        if current is None or run != current.run:
            return Break(number, "audit-chain", f"a {kind} receipt outside an open run: receipts were moved or forged")
        if kind in RECORD_KINDS:
            current.seq += 1
            if data.get("seq") != current.seq:
                return Break(
                    number,
                    "audit-chain",
                    f"`seq` {data.get('seq')} where {current.seq} was due: a record receipt before it is missing",
                )
            outcome = "error" if kind == "error" else data.get("decision")
            if outcome not in _OUTCOMES:
                return Break(number, "audit-chain", f"unknown decision {outcome!r}")
            current.counts[str(outcome)] += 1
            self.report.records += 1
            return None
        if kind == "movement":  # a licence-ledger change (reserve, consume, ...): not an input record
            return None
        if kind == "resume":
            if data.get("records") != current.seq:
                return Break(number, "audit-chain", "a resume receipt whose count does not match the run")
            return None
        if kind == "seal":
            if data.get("records") != current.seq or data.get("counts") != current.counts:
                return Break(
                    number,
                    "audit-chain",
                    f"the seal counts {data.get('records')} record(s) {data.get('counts')}, the run has {current.seq} "
                    f"{current.counts}: record receipts were removed or added",
                )
            if data.get("head") != data.get("prev"):
                return Break(number, "audit-chain", "the seal's `head` is not the run's last receipt")
            if data.get("interrupted") is True:
                self.report.interrupted.append(
                    f"line {number}: run {current.run} was interrupted after {current.seq} record(s) and closed by "
                    "`compliance audit close`"
                )
            self.report.runs += 1
            self.open = None
            return None
        return Break(number, "audit-chain", f"unknown receipt kind {kind!r}")

    def _legacy(self, number: int, data: dict[str, object]) -> Break | None:
        """Format 1 (0.1 logs): the hash over Python's sorted-keys JSON, a chain, no runs or seals."""
        if self.open is not None:
            return Break(number, "audit-chain", "a format-1 receipt inside a format-2 run")
        body = {k: v for k, v in data.items() if k != "hash"}
        if sha256_text(_legacy_canonical(body)) != data.get("hash"):
            return Break(number, "audit-chain", "its content does not match its `hash`: the receipt was edited")
        if sha256_text(_legacy_canonical(data.get("input"))) != data.get("input_sha256"):
            return Break(number, "audit-chain", "its input does not match `input_sha256`: the receipt was edited")
        if data.get("prev") != self.report.head:
            return Break(
                number,
                "audit-chain",
                "its `prev` is not the previous receipt's `hash`: a receipt before it was edited, removed or reordered",
            )
        self.report.head = str(data["hash"])
        self.report.legacy += 1
        self.report.records += 1
        self.last_legacy = True
        self.last_kind = "legacy"
        return None


def _legacy_canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
