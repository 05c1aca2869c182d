"""Remedies: what would turn a non-allow finding into an allow, computed from the rule, never written per rule.

Every finding whose outcome is not ``allow`` gets one :class:`~compliance.evaluate.values.RemedyValue`:

- ``license``: a licence requirement (``license_required``) not covered by a licence on file. The remedy carries
  the licence, in the transaction's ``licenses[]`` shape without ``id``, that would cover it: the rule's
  authority; the line's catalog product (or, without one, its control number in the rule's jurisdiction); the
  countries of the transaction (destination, ultimate consignees' and end users' countries: the coverage test of
  :mod:`compliance.evaluate.licenses`); the parties when a party triggered the requirement (that party and every
  purchaser, consignee and end user: an Entity List requirement is covered only by a licence naming the party,
  15 CFR 744.11(a), 750.7(a)); valid on the date; the quantity and value the order puts under it: each term of
  the coverage test met. ``sufficient`` says whether that licence alone covers the line: false when the order
  itself must change (a party-restricted licence needs an ultimate consignee or end user on the order), and for
  a finding that also hangs on a scheduled date the pack could not confirm. The tests add every sufficient
  licence to its transaction and decide again.
- ``not-permitted``: a ``deny`` rule (an embargo, a prohibited end use or party): no licence on file changes it.
- ``classify``: an unclassified item, a classification conflict, an HS code that does not settle the product, or
  a pack that reaches the item only if its origin is one it follows (``fields`` says what to give).
- ``screen``: a possible party-list match (confirm or clear it), a listed party in a role no rule names.
- ``confirm-law``: a scheduled date the pack could not confirm, a date outside a pack's coverage, a control number
  whose licence requirements the pack does not decide.
- ``review``: a ``review`` rule (a red flag, guidance: an officer's judgement) and a matching failure.

The licence is what would cover the line *as the packs encode the law*; it is not advice that such a licence
can be obtained (the rule's review policy, when stated, says how the authority treats applications).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compliance.evaluate.facts import Line, transaction_countries
from compliance.evaluate.values import FindingValue, LicenseTermsValue, RemedyValue
from compliance.models.pack import LicenseRule, Rule
from compliance.models.transaction import GOVERNED_ROLES, Transaction

__all__ = ["OrderTerms", "attach_remedies", "license_remedy", "order_terms", "remedy_for"]

_CLASSIFY_FIELDS = ("eccn", "control_codes", "product")


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What a licence remedy needs of the order, read once per transaction."""

    countries: tuple[str, ...]  # the destination and the ultimate consignees' and end users' countries
    governed: tuple[str, ...]  # names of the purchasers, consignees and end users
    consignee: bool  # the order names an ultimate consignee or end user


def order_terms(tx: Transaction) -> OrderTerms:
    return OrderTerms(
        transaction_countries(tx),
        tuple(p.name for p in tx.parties if p.role in GOVERNED_ROLES),
        any(p.role in ("ultimate_consignee", "end_user") for p in tx.parties),
    )


def _listing(items: Sequence[str]) -> str:
    return ", ".join(items)


def _license_terms(
    f: FindingValue, order: OrderTerms, on: dt.date, line: Line, lines: Sequence[Line], authority: str
) -> tuple[LicenseTermsValue, str | None]:
    """The licence that meets each term of the coverage test (compliance/evaluate/licenses.py) for this line, and
    what it still cannot cover, if anything.

    Built term by term rather than tried with ``check_license`` on the hot path (a licence per finding of every
    order of a batch); ``tests/evaluate/test_remedies.py`` adds each such licence to its transaction and decides
    again, on both matchers, so the two cannot drift apart unnoticed.
    """
    pack = f.pack
    products: tuple[str, ...] | None = None
    eccns: tuple[str, ...] | None = None
    if line.product is not None:
        products = (line.product.id,)
    else:
        # The line's own code in the rule's jurisdiction (the most specific one given, not a parent paragraph).
        own = next((code for p, code in line.codes if p == pack), None)
        eccns = (own,) if own is not None else None
    parties: tuple[str, ...] | None = None
    gap = None
    if f.parties:
        # Licence term 4: the party that triggered the requirement, and every purchaser, consignee and end user.
        parties = tuple(dict.fromkeys([*f.parties, *order.governed]))
        if not order.consignee:
            gap = "is restricted to named parties, but the order names no ultimate consignee or end user"

    def under(other: Line) -> bool:  # licence term 2, as `licenses._item_terms` reads it
        if products is not None:
            return other.product is not None and other.product.id in products
        if eccns is not None:
            return any((pack, code) in other.facts.codes for code in eccns)
        return True

    # Term 6: the quantity and value of every line of the order the licence's item terms cover, summed as
    # `licenses._usage` sums them.
    covered = [other for other in lines if under(other)] or [line]
    quantity = sum(other.item.quantity for other in covered)
    value = currency = None
    currencies = {other.item.currency for other in covered}
    if len(currencies) == 1 and all(other.item.unit_value is not None for other in covered):
        currency = next(iter(currencies))
        if currency is not None:
            value = sum(other.item.quantity * (other.item.unit_value or 0.0) for other in covered)
            if value <= 0:
                value = currency = None
    shape = LicenseTermsValue(
        authority,
        products,
        eccns,
        order.countries,  # term 3
        parties,
        on,  # term 1: valid on the date
        on,
        float(quantity) if quantity > 0 else None,
        float(value) if value is not None else None,
        currency,
    )  # term 5: any end use
    return shape, gap


def license_remedy(
    rule: LicenseRule,
    f: FindingValue,
    order: OrderTerms,
    on: dt.date,
    line: Line,
    lines: Sequence[Line],
    *,
    depends_on_dates: bool = False,
    reach: bool = False,
) -> RemedyValue:
    """The licence that would cover ``f`` (a licence requirement on ``line``)."""
    lic, gap = _license_terms(f, order, on, line, lines, rule.authority)
    items = lic.products or lic.eccns or ["any item"]
    text = f"A licence from {rule.authority} for {_listing(items)} to {_listing(lic.destinations or ())}, valid on {on}"
    if lic.quantity is not None:
        text += f", for a quantity of at least {lic.quantity:g}"
    if lic.value is not None:
        text += f" and a value of at least {lic.value:,.2f} {lic.currency}"
    if lic.parties:
        text += (
            f", naming {'; '.join(f.parties)} (the requirement is that party's: a licence that does not name it "
            f"does not cover it, 15 CFR 744.11(a)) and every purchaser, consignee and end user of the order "
            f"({'; '.join(lic.parties)})"
        )
    text += "."
    if rule.review_policy:
        text += f" The authority's licence review policy: {rule.review_policy}."
    if rule.license_exceptions:
        text += (
            f" A licence exception ({', '.join(rule.license_exceptions)}) may serve instead where the line is "
            "eligible (15 CFR 740.8)."
        )
    if gap is not None:
        text += f" Not enough on its own: such a licence {gap}."
    elif depends_on_dates:
        text += (
            " The line also depends on a scheduled date the pack could not confirm (engine.law-unconfirmed): "
            "confirm it too."
        )
    else:
        text += " With it on file, this finding is allowed."
    if reach:
        text += f" Or give the item's `origin`: pack {f.pack} reaches it only if it is of an origin the pack follows."
    return RemedyValue("license", text, gap is None and not depends_on_dates, lic)


def _classify(text: str, fields: Sequence[str]) -> RemedyValue:
    return RemedyValue("classify", text, False, None, tuple(fields))


def _engine_remedy(f: FindingValue) -> RemedyValue:
    rid = f.rule_id
    who = "; ".join(f.parties) or "the party"
    if rid == "engine.unclassified-item":
        return _classify(
            "Classify the item: give its ECCN (`eccn`, `EAR99` if it is not on the Commerce Control List), other "
            "jurisdictions' control numbers (`control_codes`) or a catalog `product`; the rules then decide it.",
            _CLASSIFY_FIELDS,
        )
    if rid == "engine.classification-conflict":
        return _classify(
            "Correct the classification: the order's control number (or tariff code) and the catalog's product "
            "disagree; fix whichever is wrong.",
            (*_CLASSIFY_FIELDS, "hs_code"),
        )
    if rid == "engine.hs-candidates":
        return _classify(
            "Name the item: give its catalog `product` or its control number; the tariff code alone does not say "
            "which controlled item it is.",
            ("product", "eccn", "control_codes"),
        )
    if rid in ("engine.possible-party-match", "engine.possible-owner-match", "engine.possible-exporter-match"):
        return RemedyValue(
            "screen",
            f"Confirm or rule out the possible match of {who if f.parties else 'the exporter'} with the listed "
            "entry (`match`). If it is not the listed party, record a clearance (`compliance clearances add`); if "
            "it is, the listed party's rules apply.",
            False,
        )
    if rid == "engine.listed-party":
        return RemedyValue(
            "screen",
            f"Confirm the role of {who} in the order, and whether a requirement tied to its listing reaches it; "
            "a listed party is not cleared by this engine.",
            False,
        )
    if rid == "engine.law-unconfirmed":
        return RemedyValue(
            "confirm-law",
            "Confirm whether each scheduled change named above took effect (a newer announcement or rule "
            "extending, ending or replacing it); the pack's next review will decide it.",
            False,
        )
    if rid == "engine.end-use-text":
        return _classify(
            "Declare the end use the text states (`end_use_codes`, e.g. `military`, `wmd`), whose rules then "
            "decide the order, or correct the text if it is wrong.",
            ("end_use_codes", "end_use"),
        )
    if rid == "engine.control-code-not-decided":
        return RemedyValue(
            "confirm-law",
            "Determine the licence requirement of this control number to the order's countries under the cited "
            "law (for the EAR: the ECCN's reasons for control against the Commerce Country Chart); ship under a "
            "covering licence, or record the no-licence-required determination with the order. Naming the "
            "catalog product, if the item is one, lets the product's rules decide it.",
            False,
        )
    if rid == "engine.outside-coverage":
        return RemedyValue(
            "confirm-law",
            "Decide with packs that cover this date, or confirm the law in force on it by hand.",
            False,
        )
    return RemedyValue(
        "review",
        "A compliance officer must decide this by hand (the engine could not).",
        False,
    )


def remedy_for(
    f: FindingValue,
    rule: Rule | None,
    order: OrderTerms,
    on: dt.date,
    line: Line | None,
    lines: Sequence[Line],
    *,
    depends_on_dates: bool = False,
) -> RemedyValue | None:
    """The remedy of one finding (``None`` for an allow). ``rule`` is the finding's rule (``None`` for ``engine.*``)."""
    if f.outcome == "allow":
        return None
    if rule is None or line is None:
        return _engine_remedy(f)
    reach = f.pack in line.facts.reach
    if isinstance(rule, LicenseRule):
        return license_remedy(rule, f, order, on, line, lines, depends_on_dates=depends_on_dates, reach=reach)
    if reach:
        return _classify(
            f"Give the item's `origin`: pack {f.pack} follows goods of some origins wherever they are, and this "
            "rule applies only if the item is one.",
            ("origin",),
        )
    if depends_on_dates and (not rule.effective_from_confirmed or not rule.effective_to_confirmed):
        return RemedyValue(
            "confirm-law",
            f"Confirm whether the scheduled change behind {rule.id} took effect (its note names the source); the "
            "decision depends on it.",
            False,
        )
    if rule.effect == "deny":
        return RemedyValue(
            "not-permitted",
            f"Not permitted as ordered: {rule.title.rstrip('.')}. No licence on file cures it; change what makes "
            "the rule apply (item, destination, parties or end use) or do not ship.",
            False,
        )
    return RemedyValue(
        "review",
        f"A compliance officer must review it: {rule.title.rstrip('.')}. Record the outcome before shipping.",
        False,
    )


def attach_remedies(
    tx: Transaction,
    on: dt.date,
    resolved: Sequence[tuple[Line, Sequence[FindingValue]]],
    shared: Sequence[FindingValue],
    rules: Mapping[str, Rule],
) -> None:
    """Give every non-allow finding its remedy (findings are plain values, filled in place once built)."""
    lines = [line for line, _fs in resolved]
    order = order_terms(tx)
    for line, findings in resolved:
        dated = any(f.rule_id == "engine.law-unconfirmed" for f in findings)
        for f in findings:
            if f.outcome != "allow" and f.remedy is None:
                rule = rules.get(f.rule_id) if f.pack != "engine" else None
                f.remedy = remedy_for(f, rule, order, on, line, lines, depends_on_dates=dated)
    for f in shared:
        if f.outcome != "allow" and f.remedy is None:
            f.remedy = _engine_remedy(f)
