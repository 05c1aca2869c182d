"""Replaying an audit log: re-evaluate each decision receipt's stored input and report decisions that differ.

Format-2 logs (and format-1 logs of 0.1) are read; ``start``, ``resume`` and ``seal`` receipts carry no
decision, and an ``error`` receipt records a record that was never decided (its problems), so neither is
replayed; both are counted. ``movement`` receipts (licence-ledger changes) are not decisions either. A decision
made with the licence ledger is replayed on the ledger licences and balances its receipt keeps (``ledger``),
without the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from compliance.audit.receipts import read_receipts
from compliance.errors import InputError
from compliance.evaluate.balances import LedgerLicense
from compliance.evaluate.engine import Engine
from compliance.intake import transaction_from_mapping

__all__ = ["ReplayReport", "replay"]


@dataclass
class ReplayReport:
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    errors: int = 0  # error receipts: records that were not decided

    def lines(self) -> list[str]:
        out = [*self.unreadable, *self.changed]
        tail = f"; {self.errors} error record(s) not replayed" if self.errors else ""
        out.append(
            f"{self.checked} receipt(s) replayed: {len(self.changed)} differ, {len(self.unreadable)} unreadable{tail}"
        )
        return out


def replay(engine: Engine, path: str | Path) -> ReplayReport:
    report = ReplayReport()
    for number, _text, data in read_receipts(path):
        kind = data.get("kind", "decision") if data else "decision"
        if kind == "error":
            report.errors += 1
            continue
        if kind != "decision":
            continue
        report.checked += 1
        stored = data.get("input") if data else None
        if data is None or not isinstance(stored, dict):
            report.unreadable.append(f"{path}:{number}: receipt has no stored input")
            continue
        try:
            tx = transaction_from_mapping(stored, name=f"{path}:{number}")
        except InputError as err:
            report.unreadable.append(f"{path}:{number}: stored input no longer validates: {err.problems[0].message}")
            continue
        try:
            ledger = _ledger(data.get("ledger"))
        except (ValueError, ValidationError) as exc:
            report.unreadable.append(f"{path}:{number}: its ledger licences do not validate: {exc}")
            continue
        decision = engine.evaluate(tx, as_of=dt.date.fromisoformat(str(data["as_of"])), ledger=ledger)
        rule_ids = sorted({f.rule_id for f in decision.findings})
        if decision.decision != data.get("decision") or rule_ids != data.get("rule_ids"):
            was = f"{data.get('decision')} {data.get('rule_ids')}"
            report.changed.append(f"{path}:{number}: {tx.id}: was {was}, now {decision.decision} {rule_ids}")
    return report


def _ledger(stored: object) -> tuple[LedgerLicense, ...]:
    """The ledger licences and balances a receipt kept (none for a decision made without the ledger)."""
    if stored is None:
        return ()
    licenses = stored.get("licenses") if isinstance(stored, dict) else None
    if not isinstance(licenses, list) or not all(isinstance(b, dict) for b in licenses):
        raise ValueError("`ledger.licenses` is not a list of licences")
    return tuple(LedgerLicense.from_dict(b) for b in licenses)
