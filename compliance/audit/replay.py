"""Replaying an audit log: re-evaluate each receipt's stored input and report decisions that differ."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from compliance.audit.receipts import read_receipts
from compliance.errors import InputError
from compliance.evaluate.engine import Engine
from compliance.intake import transaction_from_mapping

__all__ = ["ReplayReport", "replay"]


@dataclass
class ReplayReport:
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [*self.unreadable, *self.changed]
        out.append(f"{self.checked} receipt(s) replayed: {len(self.changed)} differ, {len(self.unreadable)} unreadable")
        return out


def replay(engine: Engine, path: str | Path) -> ReplayReport:
    report = ReplayReport()
    for number, _text, data in read_receipts(path):
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
        decision = engine.evaluate(tx, as_of=dt.date.fromisoformat(str(data["as_of"])))
        rule_ids = sorted({f.rule_id for f in decision.findings})
        if decision.decision != data.get("decision") or rule_ids != data.get("rule_ids"):
            was = f"{data.get('decision')} {data.get('rule_ids')}"
            report.changed.append(f"{path}:{number}: {tx.id}: was {was}, now {decision.decision} {rule_ids}")
    return report
