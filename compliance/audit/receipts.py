"""Audit receipts: one JSON line per decision, hash-chained so an edited or deleted receipt is detected.

A receipt holds the canonical input (so a decision can be replayed without the original file), its sha256,
the decision, the rule ids behind it, the packs (id, version, sha256), the engine version, a UTC timestamp,
``hash``: the sha256 of the receipt's own content (every other field, canonical JSON), and ``prev``: the
previous receipt's ``hash`` (64 zeros for the first). Editing a receipt breaks its own ``hash``; rewriting that
too breaks the next receipt's ``prev``; deleting one breaks the chain. Appending continues an existing chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from compliance.evaluate.values import DecisionValue
from compliance.models.transaction import Transaction

__all__ = [
    "GENESIS",
    "AuditLog",
    "ChainBreak",
    "ReceiptInput",
    "canonical_input",
    "read_receipts",
    "receipt",
    "receipt_input",
    "verify_chain",
]

GENESIS = "0" * 64


def canonical_input(tx: Transaction) -> str:
    """The transaction as canonical JSON: sorted keys, no whitespace, defaults filled in."""
    return json.dumps(tx.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ReceiptInput:
    """What a receipt says of one decision, prepared where the decision was made (a worker, with --jobs)."""

    transaction_id: str
    canonical_input: str
    as_of: str
    decision: str
    rule_ids: tuple[str, ...]
    rule_packs: tuple[dict[str, str], ...]
    engine_version: str
    clearances: tuple[str, ...] = ()  # ids of the clearances the decision used (replay needs the same file)


def receipt_input(tx: Transaction, decision: DecisionValue) -> ReceiptInput:
    return ReceiptInput(
        tx.id,
        canonical_input(tx),
        decision.as_of.isoformat(),
        decision.decision,
        tuple(sorted({f.rule_id for f in decision.findings})),
        tuple({"id": p.id, "version": p.version, "sha256": p.sha256} for p in decision.rule_packs),
        decision.engine_version,
        tuple(sorted({c for f in decision.findings if f.match is not None and (c := f.match.clearance)})),
    )


def receipt(content: ReceiptInput, *, prev: str, now: dt.datetime) -> str:
    """The receipt line (without newline) for one decision."""
    body = {
        "timestamp": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "transaction_id": content.transaction_id,
        "input_sha256": _sha(content.canonical_input),
        "as_of": content.as_of,
        "decision": content.decision,
        "rule_ids": list(content.rule_ids),
        "rule_packs": list(content.rule_packs),
        "engine_version": content.engine_version,
        "input": json.loads(content.canonical_input),
        "prev": prev,
    }
    if content.clearances:
        body["clearances"] = list(content.clearances)
    body["hash"] = _sha(_canonical(body))
    return _canonical(body)


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class AuditLog:
    """Appends receipts to a file, continuing the chain already in it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.prev = _last_hash(self.path)
        self._stream: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def append(self, content: ReceiptInput, now: dt.datetime) -> None:
        line = receipt(content, prev=self.prev, now=now)
        self._stream.write(line + "\n")
        self._stream.flush()
        self.prev = str(json.loads(line)["hash"])

    def close(self) -> None:
        self._stream.close()


def _last_hash(path: Path) -> str:
    if not path.exists() or path.stat().st_size == 0:
        return GENESIS
    last = ""
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                last = line.rstrip("\n")
    if not last:
        return GENESIS
    try:
        return str(json.loads(last)["hash"])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise ValueError(f"{path}: the last line is not a receipt; refusing to continue a broken chain") from None


@dataclass(frozen=True, slots=True)
class ChainBreak:
    line: int
    reason: str


def read_receipts(path: str | Path) -> Iterator[tuple[int, str, dict[str, object] | None]]:
    with open(path, encoding="utf-8") as stream:
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


def verify_chain(path: str | Path) -> tuple[int, ChainBreak | None]:
    """(receipts checked, first break or None). A break names the first line whose chain or content is wrong."""
    prev = GENESIS
    count = 0
    for number, _text, data in read_receipts(path):
        count += 1
        if data is None:
            return count, ChainBreak(number, "not a JSON receipt")
        body = {k: v for k, v in data.items() if k != "hash"}
        if _sha(_canonical(body)) != data.get("hash"):
            return count, ChainBreak(number, "its content does not match its `hash`: the receipt was edited")
        if _sha(_canonical(data.get("input"))) != data.get("input_sha256"):
            return count, ChainBreak(number, "its input does not match `input_sha256`: the receipt was edited")
        if data.get("prev") != prev:
            return count, ChainBreak(
                number,
                "its `prev` is not the previous receipt's `hash`: a receipt before it was edited, removed or reordered",
            )
        prev = str(data["hash"])
    return count, None
