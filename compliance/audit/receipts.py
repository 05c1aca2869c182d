"""Audit receipts: one JSON line per input record, hash-chained, optionally MACed, and sealed at the end of a run.

Format 2 (``"format": 2`` on every receipt). A log is a sequence of runs; a run is a ``start`` receipt (what was
checked: sources, ``--as-of``, packs, engine), one ``decision`` or ``error`` receipt per input record in input
order (``source`` + ``record`` say which; ``seq`` counts them), possibly ``resume`` receipts (a rerun after a
crash continued the run), and a ``seal`` (records, counts by outcome, ``head``: the last receipt's hash,
packs, engine, time). Every receipt carries ``prev`` (the previous line's ``hash``; 64 zeros for the first),
``hash`` (sha256 of the receipt without ``hash`` and ``mac``, as RFC 8785 canonical JSON: see
:mod:`compliance.audit.canonical`) and, with a key, ``key_id`` and ``mac`` (HMAC-SHA256 of the same bytes).
A decision receipt holds the validated input (canonical JSON) and ``input_sha256``, so it can be replayed.

The parent process is the single writer; workers prepare :class:`ReceiptInput`. A log is locked while a run
writes it. After a crash the log ends without a seal; a rerun with the same input and options resumes the run
from the first record that has no receipt (records are compared by source, record number, input hash and
decision on the way), or refuses, naming the way out (``compliance audit close LOG``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from compliance.audit.canonical import canonical, canonical_fast
from compliance.audit.keys import AuditKey
from compliance.errors import InputError, Location, Problem
from compliance.evaluate.values import DecisionValue
from compliance.models.transaction import Transaction

__all__ = [
    "FORMAT",
    "GENESIS",
    "AuditError",
    "AuditLog",
    "ReceiptInput",
    "RunInfo",
    "canonical_input",
    "read_receipts",
    "receipt_input",
    "sha256_text",
]

FORMAT = 2
GENESIS = "0" * 64
RECORD_KINDS = ("decision", "error")
_FLUSH_EVERY = 256


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_input(tx: Transaction) -> str:
    """The validated transaction (defaults filled in) as RFC 8785 canonical JSON."""
    return canonical_fast(tx.model_dump(mode="json"))


@dataclass(frozen=True, slots=True)
class ReceiptInput:
    """What a receipt says of one decision, prepared where the decision was made (a worker, with --jobs)."""

    transaction_id: str
    canonical_input: str
    input_sha256: str
    as_of: str
    decision: str
    rule_ids: tuple[str, ...]
    rule_packs: tuple[dict[str, str], ...]
    engine_version: str
    clearances: tuple[str, ...] = ()  # ids of the clearances the decision used (replay needs the same file)
    # The licence ledger's part, as canonical JSON: its id, the ledger licences and balances the decision was made
    # on (replay decides on them) and the transaction's reservations afterwards. None without a ledger.
    ledger: str | None = None


def receipt_input(tx: Transaction, decision: DecisionValue, *, ledger: dict[str, object] | None = None) -> ReceiptInput:
    text = canonical_input(tx)
    return ReceiptInput(
        tx.id,
        text,
        sha256_text(text),
        decision.as_of.isoformat(),
        decision.decision,
        tuple(sorted({f.rule_id for f in decision.findings})),
        tuple({"id": p.id, "version": p.version, "sha256": p.sha256} for p in decision.rule_packs),
        decision.engine_version,
        tuple(sorted({c for f in decision.findings if f.match is not None and (c := f.match.clearance)})),
        canonical(ledger) if ledger is not None else None,
    )


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a run checks; a rerun resumes a crashed run only when this is the same."""

    sources: tuple[str, ...]
    as_of: str | None
    backend: str
    rule_packs: tuple[dict[str, str], ...]
    engine_version: str

    def members(self) -> dict[str, object]:
        return {
            "sources": list(self.sources),
            "as_of": self.as_of,
            "backend": self.backend,
            "rule_packs": [dict(p) for p in self.rule_packs],
            "engine_version": self.engine_version,
        }


def _object(members: dict[str, str]) -> str:
    """A JSON object from member values that are already canonical JSON; names are ASCII, so sorting them as
    Python strings is sorting them as UTF-16 code units (RFC 8785)."""
    return "{" + ",".join(f'"{k}":{members[k]}' for k in sorted(members)) + "}"


def _seal_line(members: dict[str, str], key: AuditKey | None) -> tuple[str, str]:
    """The receipt line and its hash: the hash (and MAC) cover every member but ``hash`` and ``mac``."""
    if key is not None:
        members["key_id"] = f'"{key.key_id}"'
    body = _object(members)
    digest = sha256_text(body)
    members["hash"] = f'"{digest}"'
    if key is not None:
        members["mac"] = f'"{key.mac(body.encode("utf-8"))}"'
    return _object(members), digest


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(now: dt.datetime) -> str:
    return '"' + now.astimezone(dt.UTC).isoformat(timespec="seconds") + '"'


@dataclass
class _Tail:
    """What the end of an existing log says: where the chain stands and whether a run is open."""

    prev: str = GENESIS
    run: str | None = None  # the open (unsealed) run's id
    seq: int = 0  # record receipts in the open run so far
    start: dict[str, object] | None = None  # the open run's start receipt
    start_end: int = 0  # byte offset just after the open run's start receipt
    end: int = 0  # byte offset of the end of the last complete receipt
    discarded: dict[str, object] | None = None  # a cut last line removed before appending
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("allow", "deny", "review", "error"), 0))


class AuditLog:
    """Writes one run to a log: ``start`` (or ``resume``), a receipt per record, ``seal``. Use as a context."""

    def __init__(
        self,
        path: str | Path,
        run: RunInfo | None,
        *,
        key: AuditKey | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        """Open ``path`` for ``run``: a new run after a sealed one, or the crashed run resumed. ``run=None``
        resumes whatever run the log left open (``close_run``)."""
        self.path = Path(path)
        self.info = run or RunInfo((), None, "", (), "")
        self.key = key
        self.clock = clock
        try:
            self._stream: IO[bytes] = open(self.path, "a+b")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise AuditError(
                [Problem(Location(str(self.path)), "audit-log", f"cannot open the audit log: {exc.strerror or exc}")]
            ) from None
        self._lock()
        self.closed = False
        self._pack_texts: dict[tuple[tuple[tuple[str, str], ...], ...], str] = {}
        try:
            tail = inspect_tail(self._stream, self.path, key)
            self.prev = tail.prev
            self.counts = dict.fromkeys(("allow", "deny", "review", "error"), 0)
            self._pending: Iterator[dict[str, object]] | None = None
            self.resumed = 0  # records the crashed run had receipts for
            if tail.run is None and run is None:
                raise _refuse(self.path, "the log has no unsealed run; nothing to close", code="audit-close")
            # Nothing is written (not even the cut line removed) before the first receipt of this run is: a
            # rerun refused for a record that does not match leaves the log exactly as it was.
            self._cut = tail.end if tail.discarded is not None else None
            self._opening: tuple[str, dict[str, str]] | None = None
            if tail.run is None:
                self.run = uuid.uuid4().hex
                self.seq = 0
                members = {k: canonical(v) for k, v in self.info.members().items()}
                if tail.discarded is not None:
                    members["discarded"] = canonical(tail.discarded)
                self._opening = ("start", members)
            else:
                self._resume(tail, check=run is not None)
        except BaseException:
            self._stream.close()
            raise

    # ------------------------------------------------------------------------------------- set-up

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Linux or macOS: no lock
            return
        try:
            fcntl.flock(self._stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._stream.close()
            raise AuditError(
                [
                    Problem(
                        Location(str(self.path)),
                        "audit-locked",
                        "the audit log is being written by another `compliance check`; one run at a time",
                    )
                ]
            ) from None

    def _resume(self, tail: _Tail, *, check: bool) -> None:
        start = tail.start or {}
        mine = json.loads(canonical(self.info.members()))
        theirs = {k: start.get(k) for k in mine}
        if not check:
            packs = theirs["rule_packs"] if isinstance(theirs["rule_packs"], list) else []
            self.info = RunInfo((), None, "", tuple(packs), str(theirs["engine_version"]))
        elif theirs != mine:
            differ = ", ".join(k for k in mine if theirs[k] != mine[k])
            raise _refuse(
                self.path,
                f"the log ends with an unsealed run (a crash?) that checked other input or options ({differ} differ); "
                "rerun exactly that command to resume it",
            )
        assert tail.run is not None
        self.run = tail.run
        self.seq = tail.seq
        self.resumed = tail.seq
        self._pending = _records_between(self.path, tail.start_end, tail.end, tail.run)
        members = {"records": str(tail.seq)}
        if tail.discarded is not None:
            members["discarded"] = canonical(tail.discarded)
        self._opening = ("resume", members)

    # ------------------------------------------------------------------------------------- writing

    def _begin(self) -> None:
        """Write the run's first receipt (``start``, or ``resume``), removing a cut last line first."""
        if self._opening is not None:
            opening, self._opening = self._opening, None
            if self._cut is not None:
                self._stream.truncate(self._cut)
            self._write(*opening)

    def _write(self, kind: str, members: dict[str, str]) -> None:
        self._begin()
        members.update(
            format=str(FORMAT),
            kind=f'"{kind}"',
            run=f'"{self.run}"',
            prev=f'"{self.prev}"',
            timestamp=_stamp(self.clock()),
        )
        line, self.prev = _seal_line(members, self.key)
        self._stream.write(line.encode("utf-8") + b"\n")

    def _already(self, source: str, record: int, kind: str, receipt: ReceiptInput | None) -> bool:
        """While resuming: True when this record already has its receipt (which must match), False after them."""
        if self._pending is None:
            return False
        old = next(self._pending, None)
        if old is None:
            self._pending = None
            return False
        same = old.get("source") == source and old.get("record") == record and old.get("kind") == kind
        if same and receipt is not None:
            same = old.get("input_sha256") == receipt.input_sha256 and old.get("decision") == receipt.decision
        if not same:
            raise _refuse(
                self.path,
                f"resuming the unsealed run: {source}:{record} does not match receipt {old.get('source')}:"
                f"{old.get('record')} ({old.get('kind')}, {old.get('decision', '-')}) of the crashed run, so this is not "
                "the same input; nothing more was written",
            )
        return True

    def _packs(self, packs: tuple[dict[str, str], ...]) -> str:
        """The packs' canonical JSON: the same for every receipt of a run, so worked out once."""
        key = tuple(tuple(sorted(p.items())) for p in packs)
        text = self._pack_texts.get(key)
        if text is None:
            text = self._pack_texts[key] = canonical([dict(p) for p in packs])
        return text

    def add_decision(self, source: str, record: int, receipt: ReceiptInput) -> None:
        self.counts[receipt.decision] += 1
        if self._already(source, record, "decision", receipt):
            return
        self.seq += 1
        members = {
            "source": canonical(source),
            "record": str(record),
            "seq": str(self.seq),
            "transaction_id": canonical(receipt.transaction_id),
            "input": receipt.canonical_input,
            "input_sha256": f'"{receipt.input_sha256}"',
            "as_of": f'"{receipt.as_of}"',
            "decision": f'"{receipt.decision}"',
            "rule_ids": canonical(list(receipt.rule_ids)),
            "rule_packs": self._packs(receipt.rule_packs),
            "engine_version": canonical(receipt.engine_version),
        }
        if receipt.clearances:  # the cleared matches the decision relied on: replay needs the same clearances
            members["clearances"] = canonical(list(receipt.clearances))
        if receipt.ledger is not None:  # the ledger licences and balances the decision relied on: replay uses them
            members["ledger"] = receipt.ledger
        self._write("decision", members)
        self._maybe_flush()

    def add_movement(self, ledger: str, movement: dict[str, object]) -> None:
        """A change in the licence ledger (a reservation, a shipment, ...): a ``movement`` receipt in the run. It
        is not an input record (``seq`` and the seal's counts are the records')."""
        self._write("movement", {"ledger": canonical(ledger), "movement": canonical(_texts(movement))})
        self._maybe_flush()

    def add_error(self, source: str, record: int, problems: list[dict[str, object]], tid: str | None) -> None:
        self.counts["error"] += 1
        if self._already(source, record, "error", None):
            return
        self.seq += 1
        members = {
            "source": canonical(_text(source)),
            "record": str(record),
            "seq": str(self.seq),
            "transaction_id": canonical(_text(tid) if tid is not None else None),
            "problems": canonical(_texts(problems)),
        }
        self._write("error", members)
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self.seq % _FLUSH_EVERY == 0:
            self._stream.flush()

    def seal(self, *, interrupted: bool = False) -> str:
        """Close the run: the seal's ``hash`` is the log's new head (anchor it outside the host)."""
        if self._pending is not None and next(self._pending, None) is not None:
            raise _refuse(
                self.path,
                "the input ended before the records the crashed run already has receipts for; not the same input, "
                "so the run was not sealed",
            )
        self._begin()
        members = {
            "records": str(self.seq),
            "counts": canonical(self.counts),
            "head": f'"{self.prev}"',
            "rule_packs": canonical([dict(p) for p in self.info.rule_packs]),
            "engine_version": canonical(self.info.engine_version),
        }
        if interrupted:
            members["interrupted"] = "true"
        self._write("seal", members)
        self.flush(sync=True)
        return self.prev

    def flush(self, *, sync: bool = False) -> None:
        self._stream.flush()
        if sync:
            os.fsync(self._stream.fileno())

    def close(self) -> None:
        """Release the log without a seal (a run that did not finish stays unsealed, to be resumed)."""
        if not self.closed:
            self.closed = True
            try:
                self._stream.flush()
            finally:
                self._stream.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def close_run(cls, path: str | Path, *, key: AuditKey | None = None) -> tuple[int, str]:
        """Seal a crashed run as interrupted (``compliance audit close``): (records it had, the seal's hash)."""
        log = cls(path, None, key=key)  # resumes the open run (a `resume` receipt), then seals it
        try:
            for old in log._pending or ():
                outcome = "error" if old.get("kind") == "error" else str(old.get("decision"))
                log.counts[outcome] = log.counts.get(outcome, 0) + 1
            log._pending = None
            head = log.seal(interrupted=True)
        finally:
            log.close()
        return log.seq, head


def _text(value: str) -> str:
    """Text safe for canonical JSON: a lone surrogate (only a broken input can hold one) becomes U+FFFD."""
    return value.encode("utf-8", "replace").decode("utf-8") if any("\ud800" <= c <= "\udfff" for c in value) else value


def _texts(data: object) -> object:
    if isinstance(data, str):
        return _text(data)
    if isinstance(data, dict):
        return {_text(str(k)): _texts(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_texts(v) for v in data]
    return data


class AuditError(InputError):
    """The audit log cannot be continued as asked; what was written before stays as it was."""

    def summary(self) -> str:
        return "the audit log was not written further"


def _refuse(path: Path, message: str, code: str = "audit-resume") -> AuditError:
    way_out = (
        f"`compliance audit verify {path}` shows the log's state; `compliance audit close {path}` seals the crashed "
        "run as interrupted so that a new run can start"
    )
    return AuditError([Problem(Location(str(path)), code, message, help=way_out if code == "audit-resume" else None)])


# ------------------------------------------------------------------------------------------ reading a log


def _lines_backwards(stream: IO[bytes], end: int, block: int = 1 << 16) -> Iterator[tuple[int, bytes]]:
    """(offset, line without its newline) for each non-empty line before byte ``end``, last line first."""
    pos, carry = end, b""
    while pos > 0:
        size = min(block, pos)
        pos -= size
        stream.seek(pos)
        parts = (stream.read(size) + carry).split(b"\n")
        carry = parts[0]  # its start may lie before `pos`: kept for the next block
        starts, offset = [], pos + len(parts[0]) + 1
        for part in parts[1:]:
            starts.append(offset)
            offset += len(part) + 1
        for at, part in zip(reversed(starts), reversed(parts[1:]), strict=True):
            if part:
                yield at, part
    if carry:
        yield 0, carry


def inspect_tail(stream: IO[bytes], path: Path, key: AuditKey | None) -> _Tail:
    """Where an existing log's chain stands, checked enough to continue it (a cut last line is noted in
    ``discarded``, for the writer to remove)."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    tail = _Tail()
    if size == 0:
        return tail
    stream.seek(size - 1)
    if stream.read(1) != b"\n":
        # The last receipt was cut while being written (a crash, a full disk): it never was a receipt.
        cut = next(_lines_backwards(stream, size))[0]
        stream.seek(cut)
        partial = stream.read(size - cut)
        tail.discarded = {"bytes": len(partial), "sha256": hashlib.sha256(partial).hexdigest()}
        size = cut
    tail.end = size
    last: dict[str, object] | None = None
    counted = False  # the open run's record count is known (movement receipts after the last record carry none)
    for offset, line in _lines_backwards(stream, size):
        data = _receipt(line, path, key, last=last is None)
        if last is None:
            last = data
            tail.prev = str(data["hash"])
            if data.get("kind") == "seal":
                return tail
            tail.run = str(data.get("run"))
        kind = data.get("kind")
        if not counted and kind != "movement":
            counted = True
            seq = data.get("seq") if kind in RECORD_KINDS else data.get("records") if kind == "resume" else 0
            tail.seq = int(seq) if isinstance(seq, int) else 0
        if data.get("run") != tail.run:
            raise _refuse(path, "the open run's start receipt is missing; the log is broken", code="audit-chain")
        if data.get("kind") == "start":
            tail.start = data
            tail.start_end = offset + len(line) + 1
            return tail
    if last is None:
        return tail
    raise _refuse(path, "the open run's start receipt is missing; the log is broken", code="audit-chain")


def _receipt(line: bytes, path: Path, key: AuditKey | None, *, last: bool) -> dict[str, object]:
    try:
        data = json.loads(line)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _refuse(path, "its last line is not a receipt; refusing to continue a broken chain", code="audit-chain")
    if data.get("format") != FORMAT:
        raise _refuse(
            path,
            f"it was written in receipt format {data.get('format', 1)}, not {FORMAT}; start a new audit log",
            code="audit-format",
        )
    if last:
        body = {k: v for k, v in data.items() if k not in ("hash", "mac")}
        text = canonical_fast(body)
        if sha256_text(text) != data.get("hash"):
            raise _refuse(path, "its last receipt does not match its hash; refusing to continue", code="audit-chain")
        if key is None and "mac" in data:
            raise _refuse(
                path,
                "the log is keyed (HMAC); pass --audit-key-file or set COMPLIANCE_AUDIT_KEY to append to it",
                code="audit-key",
            )
        if key is not None:
            if data.get("key_id") != key.key_id:
                why = "has no MAC" if "mac" not in data else f"was written with another key ({data.get('key_id')})"
                raise _refuse(path, f"its last receipt {why}; refusing to continue it with this key", code="audit-key")
            if not key.verify(text.encode("utf-8"), data.get("mac")):
                raise _refuse(path, "its last receipt's MAC does not verify with this key", code="audit-key")
    return data


def _records_between(path: Path, start: int, end: int, run: str) -> Iterator[dict[str, object]]:
    """The record receipts of run ``run`` between two byte offsets, in order (what a resumed run compares)."""
    with open(path, "rb") as stream:
        stream.seek(start)
        remaining = end - start
        while remaining > 0:
            line = stream.readline(remaining)
            remaining -= len(line)
            if not line.strip():
                continue
            data = json.loads(line)
            if isinstance(data, dict) and data.get("run") == run and data.get("kind") in RECORD_KINDS:
                yield data


def read_receipts(path: str | Path) -> Iterator[tuple[int, str, dict[str, object] | None]]:
    """(line number, text, receipt or None when the line is not a JSON object), every non-blank line."""
    with open(path, encoding="utf-8", errors="replace") as stream:
        for number, line in enumerate(stream, start=1):
            text = line.rstrip("\n")
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                yield number, text, None
                continue
            yield number, text, data if isinstance(data, dict) else None
