"""Licence coverage: whether a licence on file covers a licence requirement on one line, and why not.

A licence covers only what it licenses. For a requirement of authority A on a line, a licence covers it when
all of these hold (each failure is said in the decision):

1. **Authority and date**: issued by A, and valid on the date (``valid_from``..``valid_to``, inclusive). A
   licence exception on file (``exception: NAC|ACA``) covers only the rules that list it and the lines it is
   made for (:mod:`compliance.evaluate.exceptions`); it needs no named party (its scope is the regulation's).
2. **Item**: it names the line's product (``products``) or one of its control codes in the rule's jurisdiction
   (``eccns``; a licence for ``3A090`` covers a ``3A090.a`` line); absent = any item.
3. **Countries**: ``destinations`` lists the order's destination *and* the countries of its ultimate
   consignees and end users (a licence for the UAE does not cover goods for an Iranian consignee; 15 CFR
   746.7(e), 31 CFR 560.204); absent = any country.
4. **Parties**: a requirement that a party triggered (an Entity List listing, a headquarters test) is covered
   only by a licence that names that party: an Entity List licence requirement admits no licence exception
   (15 CFR 744.11(a)), so only a licence issued for that party helps. A licence that names parties covers an
   order only if the order names at least one ultimate consignee or end user and every purchaser, consignee
   and end user of the order is named on it: what a licence authorises "is for the item(s), end-use(s), and
   parties described in the license application" (15 CFR 750.7(a)(1); the roles are those of 748.5(c)-(f)).
   Names are compared after normalisation (:func:`compliance.screening.index.normalize_name`), which never
   merges distinct names.
5. **End uses**: with ``end_use_codes``, every end use the order declares must be among them; an order that
   declares none cannot be checked against them (review).
6. **Quantity and value**: the lines of the transaction this licence's item terms cover may not together
   exceed ``quantity`` (deny, saying by how much); with ``value``, their value (``quantity x unit_value``) is
   compared in the licence's ``currency``; a line without ``unit_value`` or in another currency cannot be
   checked (review: there are no exchange rates at run time). A BIS licence "is limited by both the quantity
   and value listed on the license", subject to the shipping tolerances of 750.11 (15 CFR 750.7(f)): there is
   no tolerance on quantity, and the value of shipments up to the full quantity may exceed the licence's
   value by up to 10% unless the licence stipulates otherwise (750.11(b), 78 FR 61902). So for a US-BIS
   licence a value overrun of up to 10% is review (the engine cannot see the licence's own tolerance), more is
   deny. What earlier shipments used up is tracked by the licence ledger: a ledger licence
   (:mod:`compliance.evaluate.balances`) is checked against what is *left* of it.

Where an absent list means "any" (items, countries, end uses, quantity, value): general authorisations and
licence exceptions recorded on file have no such terms of their own (their scope is set by the regulation:
15 CFR part 740; OFAC general licences, 31 CFR 560 subpart E), and the engine takes a licence recorded
without them at its word. It never does so for parties a requirement names (rule 4).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from compliance.evaluate.balances import LedgerLicense, ordered, quantity_need, units, value_need
from compliance.evaluate.exceptions import exception_refusal
from compliance.evaluate.facts import Line, transaction_countries
from compliance.models.pack import LicenseRule
from compliance.models.transaction import GOVERNED_ROLES, License, Transaction
from compliance.packs.catalog import Catalog
from compliance.screening.index import normalize_name

__all__ = ["LicenseFacts", "Verdict", "check_license", "license_facts"]

# 15 CFR 750.11(b) (78 FR 61902, 2013-10-04): up to the full quantity approved, the value of all shipments
# under one licence may exceed the licence's total value by up to 10%, unless the licence stipulates another
# tolerance (or a short-supply tolerance applies).
BIS_VALUE_TOLERANCE = 0.10

Status = Literal["covers", "unsure", "no"]


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    reason: str = ""
    # False when the licence is not for this at all (another authority, date or item): a ledger licence refused
    # for such a reason is not listed in the finding (a ledger may hold thousands).
    relevant: bool = True


_COVERS = Verdict("covers")


@dataclass(slots=True)
class LicenseFacts:
    """A licence on file with its lists resolved once per transaction (catalog ids, normalised names)."""

    license: License
    products: frozenset[str] | None
    eccns: frozenset[str] | None
    destinations: frozenset[str] | None
    parties: frozenset[str] | None
    end_uses: frozenset[str] | None
    balance: LedgerLicense | None = None  # a licence from the ledger, with what others hold on it
    # Per rule jurisdiction (pack id): what the transaction puts under this licence, computed on first use.
    _usage: dict[str, Verdict] = field(default_factory=dict)


# Hyphen, underscore and the dashes a word processor puts in their place (U+2010-2014, U+2212 minus).
_SEPARATORS = frozenset("-_\u2010\u2011\u2012\u2013\u2014\u2212")


def license_key(license_id: str) -> str:
    """A licence number as compared with the ledger's: letter case, full-width forms, spaces and hyphens aside
    (``d 123-4567`` and its full-width form are ``D1234567``), so that a retyped copy on an order is still the ledger's
    licence, drawn down, and never a second, undrawn one."""
    folded = unicodedata.normalize("NFKC", license_id).casefold()
    return "".join(c for c in folded if not (c.isspace() or c in _SEPARATORS))


def license_facts(tx: Transaction, catalog: Catalog, ledger: Sequence[LedgerLicense] = ()) -> tuple[LicenseFacts, ...]:
    """The licences to try, in the order of determination: the order's own, then the ledger's, expiring first
    (:mod:`compliance.evaluate.balances`); an order's licence that is also in the ledger is the ledger's."""
    in_ledger = {license_key(b.license.id) for b in ledger}
    candidates: list[tuple[License, LedgerLicense | None]] = [
        (lic, None) for lic in tx.licenses if license_key(lic.id) not in in_ledger
    ]
    candidates += [(b.license, b) for b in ordered(ledger)]
    out = []
    for lic, balance in candidates:
        products = None
        if lic.products is not None:
            ids = set()
            for name in lic.products:
                product = catalog.resolve(name)
                ids.add(product.id if product else name)
            products = frozenset(ids)
        out.append(
            LicenseFacts(
                lic,
                products,
                frozenset(lic.eccns) if lic.eccns is not None else None,
                frozenset(lic.destinations) if lic.destinations is not None else None,
                frozenset(normalize_name(p) for p in lic.parties) if lic.parties is not None else None,
                frozenset(lic.end_use_codes) if lic.end_use_codes is not None else None,
                balance,
            )
        )
    return tuple(out)


def _item_terms(lic: LicenseFacts, line: Line, pack: str) -> bool:
    if lic.products is not None and (line.product is None or line.product.id not in lic.products):
        return False
    # Line codes include parent paragraphs, so a licence for 3A090 covers a 3A090.a line.
    return lic.eccns is None or any((pack, code) in line.facts.codes for code in lic.eccns)


def _amount(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _usage(lic: LicenseFacts, lines: Sequence[Line], pack: str) -> Verdict:
    """Quantity and value the transaction puts under this licence, against its terms."""
    cached = lic._usage.get(pack)
    if cached is not None:
        return cached
    terms = lic.license
    under = [line for line in lines if _item_terms(lic, line, pack)]
    if lic.balance is not None:
        verdict = _ledger_usage(lic.balance, under)
        lic._usage[pack] = verdict
        return verdict
    verdict = _COVERS
    if terms.quantity is not None:
        total = sum(line.item.quantity for line in under)
        if total > terms.quantity:
            verdict = Verdict(
                "no",
                f"the transaction puts {_amount(total)} under it against the {_amount(terms.quantity)} it authorises "
                f"({_amount(total - terms.quantity)} over; a licence allows no quantity tolerance, 15 CFR 750.7(f), 750.11)",
            )
    if verdict.status == "covers" and terms.value is not None:
        unknown = [
            line.number for line in under if line.item.unit_value is None or line.item.currency != terms.currency
        ]
        if unknown:
            verdict = Verdict(
                "unsure",
                f"its value limit ({_amount(terms.value)} {terms.currency}) cannot be checked: line(s) "
                f"{', '.join(map(str, unknown))} carry no `unit_value` in {terms.currency} (no exchange rates "
                "at run time)",
            )
        else:
            total = sum(line.item.quantity * (line.item.unit_value or 0.0) for line in under)
            over = total - terms.value
            if over > 0:
                text = (
                    f"the transaction's value under it, {_amount(total)} {terms.currency}, exceeds the "
                    f"{_amount(terms.value)} it authorises by {_amount(over)} {terms.currency}"
                )
                if terms.authority == "US-BIS" and total <= terms.value * (1 + BIS_VALUE_TOLERANCE):
                    verdict = Verdict(
                        "unsure",
                        f"{text}; within the 10% value tolerance of 15 CFR 750.11(b) unless the licence stipulates "
                        "another tolerance: confirm",
                    )
                else:
                    verdict = Verdict("no", text)
    lic._usage[pack] = verdict
    return verdict


def _lines(under: Sequence[Line]) -> str:
    numbers = [str(line.number) for line in under]
    return f"line {numbers[0]} needs" if len(numbers) == 1 else f"lines {', '.join(numbers)} need"


def _ledger_usage(balance: LedgerLicense, under: Sequence[Line]) -> Verdict:
    """A ledger licence against what is left of it: the lines under it may not need more, together."""
    terms = balance.license
    said: list[str] = []
    left = balance.quantity_left
    if left is not None:
        need = sum(quantity_need(line.item) for line in under)
        if need > left:
            return Verdict(
                "no",
                f"has {units(max(left, 0), grouped=True)} left (of {units(left + balance.used_quantity, grouped=True)}; "
                f"{units(balance.used_quantity, grouped=True)} reserved or shipped), {_lines(under)} "
                f"{units(need, grouped=True)} (no quantity tolerance, 15 CFR 750.7(f), 750.11)",
            )
        said.append(
            f"quantity {units(left, grouped=True)} left, this order {units(need, grouped=True)} "
            f"({units(left - need, grouped=True)} after)"
        )
    value_left = balance.value_left
    if value_left is not None:
        currency = terms.currency
        needs = [value_need(line.item) if line.item.currency == currency else None for line in under]
        unknown = [line.number for line, n in zip(under, needs, strict=True) if n is None]
        if unknown:
            return Verdict(
                "unsure",
                f"its value limit ({units(max(value_left, 0), grouped=True)} {currency} left) cannot be checked: line(s) "
                f"{', '.join(map(str, unknown))} carry no `unit_value` in {currency} (no exchange rates at run time)",
            )
        need = sum(n for n in needs if n is not None)
        if need > value_left:
            text = (
                f"has {units(max(value_left, 0), grouped=True)} {currency} of its value left "
                f"({units(balance.used_value, grouped=True)} {currency} reserved or shipped), {_lines(under)} "
                f"{units(need, grouped=True)} {currency}"
            )
            total = value_left + balance.used_value
            # Within 110% of the licence's value over all shipments (integers: 10 x (used + need) <= 11 x total).
            if terms.authority == "US-BIS" and 10 * (balance.used_value + need) <= 11 * total:
                return Verdict(
                    "unsure",
                    f"{text}; within the 10% value tolerance of 15 CFR 750.11(b) unless the licence stipulates another "
                    "tolerance: confirm",
                )
            return Verdict("no", text)
        said.append(
            f"value {units(value_left, grouped=True)} {currency} left, this order {units(need, grouped=True)} {currency} "
            f"({units(value_left - need, grouped=True)} {currency} after)"
        )
    return Verdict("covers", "from the licence ledger" + (f": {'; '.join(said)}" if said else ""))


def check_license(
    lic: LicenseFacts,
    rule: LicenseRule,
    on: dt.date,
    tx: Transaction,
    line: Line,
    lines: Sequence[Line],
    named: tuple[str, ...],
    pack: str,
) -> Verdict:
    """Whether ``lic`` covers ``rule`` on ``line`` (``named``: the parties that triggered the rule)."""
    terms = lic.license
    if terms.authority != rule.authority:
        return Verdict("no", f"issued by {terms.authority}, not {rule.authority}", relevant=False)
    if not (terms.valid_from <= on <= terms.valid_to):
        return Verdict("no", f"valid {terms.valid_from} to {terms.valid_to}, not on {on}", relevant=False)
    if terms.exception is not None:
        # A licence exception (NAC/ACA) covers only the rules and lines it is made for (15 CFR 740.8).
        refusal = exception_refusal(terms, rule, on, line)
        if refusal is not None:
            return Verdict("no", f"is a licence exception that does not apply ({refusal})")
    if lic.products is not None and (line.product is None or line.product.id not in lic.products):
        return Verdict("no", "does not name this line's product", relevant=False)
    if lic.eccns is not None and not any((pack, code) in line.facts.codes for code in lic.eccns):
        return Verdict("no", "does not name this line's control number", relevant=False)
    if lic.destinations is not None:
        missing = [c for c in transaction_countries(tx) if c not in lic.destinations]
        if missing:
            return Verdict("no", f"does not cover {', '.join(missing)} (destination or consignee/end-user country)")
    # A licence exception's scope is set by the regulation, not by named parties (NAC covers exports to a
    # D:5-headquartered entity, 740.8(a)); rules that no exception can overcome (the Entity List's) do not list
    # one in `license_exceptions`, so the exception was refused above.
    if named and terms.exception is None:
        if lic.parties is None:
            return Verdict(
                "no",
                f"names no parties, and the requirement is triggered by {'; '.join(named)}: only a licence naming "
                "the party covers it",
            )
        unnamed = [p for p in named if normalize_name(p) not in lic.parties]
        if unnamed:
            return Verdict("no", f"does not name {'; '.join(unnamed)}")
    if lic.parties is not None:
        if not any(p.role in ("ultimate_consignee", "end_user") for p in tx.parties):
            return Verdict(
                "no", "is restricted to named parties, but the order names no ultimate consignee or end user"
            )
        unnamed = [p.name for p in tx.parties if p.role in GOVERNED_ROLES and normalize_name(p.name) not in lic.parties]
        if unnamed:
            return Verdict("no", f"does not name {'; '.join(dict.fromkeys(unnamed))}")
    if lic.end_uses is not None:
        declared = tx.end_use_codes
        if not declared:
            return Verdict(
                "unsure",
                f"it authorises only the end uses {', '.join(sorted(lic.end_uses))}, and the order declares none",
            )
        outside = [c for c in declared if c not in lic.end_uses]
        if outside:
            return Verdict("no", f"does not authorise the end use {', '.join(dict.fromkeys(outside))}")
    return _usage(lic, lines, pack)
