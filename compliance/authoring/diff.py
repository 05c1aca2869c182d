"""``compliance diff``: the impact of a pack change on a corpus of transactions, before it is merged.

Each transaction is evaluated under the old and the new packs (same backend, same ``as_of``). A
transaction has changed when its decision changed or when a finding appeared, disappeared or changed
outcome; findings are matched on ``(rule_id, line, party)``. Engine findings (``engine.*``, e.g. a
date leaving a pack's coverage) count like rules: they change decisions too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compliance.errors import InputError, Problem
from compliance.evaluate.engine import Engine
from compliance.intake import load_transaction
from compliance.models.decision import Decision, Finding, Outcome
from compliance.models.transaction import Transaction
from compliance.packs.load import load_packs

__all__ = ["Change", "DiffReport", "FindingChange", "diff_corpus", "load_corpus", "render_text", "to_dict"]

SCHEMA_VERSION = "1"
_SUFFIXES = (".yaml", ".yml", ".json")

FindingKey = tuple[str, int | None, str | None]


@dataclass(frozen=True, slots=True)
class FindingChange:
    rule_id: str
    line: int | None
    party: str | None
    old: Outcome | None  # None: the rule did not fire under the old packs
    new: Outcome | None  # None: it no longer fires

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def describe(self) -> str:
        where = f"line {self.line}" if self.line is not None else "whole transaction"
        if self.party:
            where += f", party {self.party}"
        if self.old is None:
            return f"+ now fires ({self.new}) on {where}"
        if self.new is None:
            return f"- no longer fires ({self.old}) on {where}"
        return f"~ {self.old} -> {self.new} on {where}"


@dataclass(frozen=True, slots=True)
class Change:
    source: str
    transaction_id: str
    old: Outcome
    new: Outcome
    findings: tuple[FindingChange, ...]


@dataclass(frozen=True, slots=True)
class DiffReport:
    changes: tuple[Change, ...]
    evaluated: int
    problems: tuple[Problem, ...]

    @property
    def decision_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.old != c.new)

    def by_rule(self) -> dict[str, list[tuple[Change, FindingChange]]]:
        """Rule id -> every transaction in which that rule's findings changed, in corpus order."""
        out: dict[str, list[tuple[Change, FindingChange]]] = {}
        for change in self.changes:
            for fc in change.findings:
                out.setdefault(fc.rule_id, []).append((change, fc))
        return dict(sorted(out.items()))


def load_corpus(root: str | Path) -> tuple[list[tuple[str, Transaction]], list[Problem]]:
    """Every transaction file under ``root`` (YAML or JSON), in path order; unreadable ones become problems."""
    base = Path(root)
    paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.suffix.lower() in _SUFFIXES)
    txs: list[tuple[str, Transaction]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            txs.append((str(path), load_transaction(path)))
        except InputError as err:
            problems.extend(err.problems)
    return txs, problems


def _keyed(decision: Decision) -> dict[FindingKey, Finding]:
    return {(f.rule_id, f.line, f.party): f for f in decision.findings}


def compare(source: str, old: Decision, new: Decision) -> Change | None:
    """The change between two decisions on one transaction, or ``None`` when nothing changed."""
    before, after = _keyed(old), _keyed(new)
    changes = []
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k[0], k[1] or 0, k[2] or "")):
        a, b = before.get(key), after.get(key)
        if a is None or b is None or a.outcome != b.outcome:
            changes.append(FindingChange(key[0], key[1], key[2], a.outcome if a else None, b.outcome if b else None))
    if not changes and old.decision == new.decision:
        return None
    return Change(source, new.transaction_id, old.decision, new.decision, tuple(changes))


def diff_corpus(
    old_roots: Sequence[str | Path],
    new_roots: Sequence[str | Path],
    corpus: str | Path,
    *,
    as_of: dt.date | None = None,
    backend: str = "reference",
) -> DiffReport:
    """Evaluate ``corpus`` under both pack versions; raises :class:`PackError` if either cannot be loaded."""
    old_packs, new_packs = load_packs(old_roots), load_packs(new_roots)
    txs, problems = load_corpus(corpus)
    changes = []
    with Engine(old_packs, backend=backend) as old, Engine(new_packs, backend=backend) as new:
        for source, tx in txs:
            change = compare(source, old.evaluate(tx, as_of=as_of), new.evaluate(tx, as_of=as_of))
            if change is not None:
                changes.append(change)
    return DiffReport(tuple(changes), len(txs), tuple(problems))


def render_text(report: DiffReport) -> str:
    lines = [
        f"{len(report.changes)} of {report.evaluated} transaction(s) changed; "
        f"{len(report.decision_changes)} decision(s) changed"
    ]
    if report.decision_changes:
        lines.append("decisions:")
        lines += [f"  {c.transaction_id} ({c.source}): {c.old} -> {c.new}" for c in report.decision_changes]
    grouped = report.by_rule()
    if grouped:
        lines.append("by rule:")
        for rule_id, items in grouped.items():
            lines.append(f"  {rule_id}")
            lines += [f"    {fc.describe()}: {c.transaction_id} ({c.source})" for c, fc in items]
    return "\n".join(lines)


def to_dict(report: DiffReport) -> dict[str, object]:
    return {
        "schema_version": SCHEMA_VERSION,
        "evaluated": report.evaluated,
        "changed": len(report.changes),
        "decisions_changed": len(report.decision_changes),
        "transactions": [
            {
                "source": c.source,
                "transaction_id": c.transaction_id,
                "old": c.old,
                "new": c.new,
                "findings": [
                    {
                        "rule_id": f.rule_id,
                        "line": f.line,
                        "party": f.party,
                        "change": f.kind,
                        "old": f.old,
                        "new": f.new,
                    }
                    for f in c.findings
                ],
            }
            for c in report.changes
        ],
        "by_rule": {
            rule_id: [
                {
                    "source": c.source,
                    "transaction_id": c.transaction_id,
                    "change": fc.kind,
                    "old": fc.old,
                    "new": fc.new,
                }
                for c, fc in items
            ]
            for rule_id, items in report.by_rule().items()
        },
        "problems": [p.to_dict() for p in report.problems],
    }
