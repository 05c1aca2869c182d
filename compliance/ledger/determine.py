"""Licence determination against the ledger: read the candidates, decide, and (with ``--reserve``) draw.

1. Read the ledger's licences valid on the decision's date (and any the order names), each with what other
   transactions hold on it (:meth:`Ledger.candidates`).
2. Decide with them (:meth:`compliance.Engine.decide` ``ledger=``): the engine picks, for each licence
   requirement, the first licence that covers it (the order's own, then the ledger's expiring first), and a
   ledger licence covers only with enough left; the finding names it and its balance.
3. With ``reserve``: every allowed line reserves its quantity (and value, when the licence has a value) on the
   ledger licence that covers it, in one write transaction that holds those licences and reads their balances
   again. If they changed since step 1 (another process drew on them), the order is decided again on the new
   balances, and that decision is the one returned: a line that no longer fits is denied ("licence X has N left,
   line 1 needs M"), never over-drawn.

What the receipt keeps (:meth:`LedgerCheck.receipt`): the ledger's id, the licences and balances the decision
was made on (only those the decision names, when deciding on them alone gives the same decision, which is
checked; otherwise all), and the transaction's reservations afterwards. ``audit replay`` decides again on those
licences, without the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from compliance.evaluate.balances import LedgerLicense, quantity_need, value_need
from compliance.evaluate.engine import Engine
from compliance.evaluate.values import DecisionValue, to_jsonable
from compliance.ledger.store import DEFAULT_HOLD, Claim, Ledger, Movement, ReserveResult
from compliance.models.transaction import Transaction

__all__ = ["LedgerCheck", "LedgerOptions", "check_with_ledger", "claims"]


@dataclass(frozen=True, slots=True)
class LedgerOptions:
    """What a process needs to use the ledger (picklable: ``--jobs`` workers open their own connection)."""

    url: str
    reserve: bool = False
    hold: dt.timedelta = DEFAULT_HOLD


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    decision: DecisionValue
    seen: tuple[LedgerLicense, ...]
    ledger_id: str
    reserved: ReserveResult | None = None
    recorded: tuple[LedgerLicense, ...] = ()  # the licences the receipt keeps (enough to decide the same)

    @property
    def movements(self) -> tuple[Movement, ...]:
        return self.reserved.movements if self.reserved is not None else ()

    @property
    def notes(self) -> tuple[str, ...]:
        return self.reserved.notes if self.reserved is not None else ()

    def receipt(self) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.ledger_id,
            "licenses": [b.to_dict() for b in self.recorded],
        }
        if self.reserved is not None:
            out["redecided"] = self.reserved.redecided
            out["reservations"] = [r.to_dict() for r in self.reserved.reservations]
        return out


def claims(tx: Transaction, decision: DecisionValue, seen: tuple[LedgerLicense, ...]) -> list[Claim]:
    """What each allowed line draws: one claim per (line, ledger licence) that covers one of its requirements."""
    ledger = {b.license.id: b.license for b in seen}
    allowed = {lv.line for lv in decision.lines if lv.decision == "allow"}
    items = {item.line: item for item in tx.items}
    out: dict[tuple[int, str], Claim] = {}
    for f in decision.findings:
        if f.outcome != "allow" or f.line not in allowed or f.license not in ledger:
            continue
        lic, item = ledger[f.license], items[f.line]
        value = value_need(item) if lic.currency is not None and item.currency == lic.currency else None
        out[(f.line, f.license)] = Claim(f.line, f.license, quantity_need(item), value or 0)
    return [out[k] for k in sorted(out)]


def check_with_ledger(
    engine: Engine,
    tx: Transaction,
    ledger: Ledger,
    *,
    as_of: dt.date | None = None,
    reserve: bool = False,
    hold: dt.timedelta = DEFAULT_HOLD,
) -> LedgerCheck:
    on = as_of or tx.date
    seen = ledger.candidates(tx, on)
    decision = engine.decide(tx, as_of=as_of, ledger=seen)
    result = None
    if reserve:
        last: dict[str, tuple[tuple[LedgerLicense, ...], DecisionValue]] = {}

        def redecide(fresh: tuple[LedgerLicense, ...]) -> list[Claim]:
            again = engine.decide(tx, as_of=as_of, ledger=fresh)
            last["decision"] = (fresh, again)
            return claims(tx, again, fresh)

        result = ledger.reserve(tx, on, seen, claims(tx, decision, seen), redecide, hold=hold)
        if result.redecided:
            fresh, again = last.get("decision", ((), decision))
            # A retried database transaction may have re-decided more than once: use the decision of the last.
            decision = again if fresh is result.seen else engine.decide(tx, as_of=as_of, ledger=result.seen)
        seen = result.seen
    return LedgerCheck(decision, seen, ledger.id, result, _recorded(engine, tx, as_of, decision, seen))


def _recorded(
    engine: Engine,
    tx: Transaction,
    as_of: dt.date | None,
    decision: DecisionValue,
    seen: tuple[LedgerLicense, ...],
) -> tuple[LedgerLicense, ...]:
    """The licences a receipt must keep to reproduce ``decision``: those its findings name, if deciding on them
    alone gives the same decision (it is checked), else every licence the decision saw."""
    texts = [f"{f.license or ''} {f.message}" for f in decision.findings if f.effect == "license_required"]
    if not texts:
        return ()  # only licence requirements read licences: none applied, so no licence made a difference
    named = tuple(b for b in seen if any(b.license.id in text for text in texts))
    if len(named) == len(seen):
        return seen
    if to_jsonable(engine.decide(tx, as_of=as_of, ledger=named)) == to_jsonable(decision):
        return named
    return seen
