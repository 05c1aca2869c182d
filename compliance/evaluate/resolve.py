"""Resolution: from the rules that applied to a decision. The order is stated once, here.

1. Every applicable rule yields a finding on its line.
2. ``deny`` -> the line is denied.
3. ``license_required`` -> allowed only if a licence on file covers it (authority, date, product or
   control code, destination, party); otherwise denied, naming the authority and review policy.
4. ``review`` -> held for a compliance officer.
5. Fail closed: an unclassified item, a possible party-list match, a date outside a pack's coverage
   or a matching error is a ``review`` finding the engine adds itself (rule ids ``engine.*``).
6. A line's decision is the worst of its findings and the transaction-wide findings
   (deny > review > allow); the transaction's decision is the worst of its lines. No finding -> allow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from compliance.evaluate.exceptions import exception_covers, exception_refusal
from compliance.evaluate.facts import Line, PartyFacts
from compliance.evaluate.match.predicates import CompiledRule
from compliance.evaluate.ownership import describe_owned
from compliance.evaluate.values import CitationValue, FindingValue, LineValue
from compliance.models.decision import Outcome
from compliance.models.pack import LicenseRule, PartyEntry
from compliance.models.transaction import License, Transaction
from compliance.packs.catalog import Catalog
from compliance.screening.index import normalize_name

__all__ = ["SEVERITY", "LicenseFacts", "engine_finding", "license_facts", "line_value", "resolve_line", "worst"]

SEVERITY: dict[str, int] = {"allow": 0, "review": 1, "deny": 2}


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    result: Outcome = "allow"
    for outcome in outcomes:
        if SEVERITY[outcome] > SEVERITY[result]:
            result = outcome
    return result


def engine_finding(
    rule_id: str,
    line: int | None,
    title: str,
    message: str,
    *,
    parties: tuple[str, ...] = (),
    citations: Sequence[CitationValue] = (),
) -> FindingValue:
    return FindingValue(rule_id, "engine", "engine", "review", line, parties, title, message, tuple(citations))


@dataclass(slots=True)
class LicenseFacts:
    """A licence on file with its lists resolved once per transaction (catalog ids, normalised names)."""

    license: License
    products: frozenset[str] | None
    eccns: frozenset[str] | None
    destinations: frozenset[str] | None
    parties: frozenset[str] | None


def license_facts(tx: Transaction, catalog: Catalog) -> tuple[LicenseFacts, ...]:
    out = []
    for lic in tx.licenses:
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
            )
        )
    return tuple(out)


def _covers(
    lic: LicenseFacts, rule: LicenseRule, on: dt.date, tx: Transaction, line: Line, parties: tuple[str, ...], pack: str
) -> bool:
    terms = lic.license
    if terms.authority != rule.authority or not (terms.valid_from <= on <= terms.valid_to):
        return False
    if terms.exception is not None and not exception_covers(terms, rule, on, line):
        return False  # a licence exception (NAC/ACA) covers only the rules and lines it is made for
    if lic.destinations is not None and tx.destination not in lic.destinations:
        return False
    if lic.products is not None and (line.product is None or line.product.id not in lic.products):
        return False
    # Line codes include parent paragraphs, so a licence for 3A090 covers a 3A090.a line.
    if lic.eccns is not None and not any((pack, code) in line.facts.codes for code in lic.eccns):
        return False
    if lic.parties is not None:
        if not parties:
            # A licence restricted to named parties covers the order only if every party is named.
            if not all(normalize_name(p.name) in lic.parties for p in tx.parties):
                return False
        elif not all(normalize_name(p) in lic.parties for p in parties):
            return False
    return True


def _with_listings(
    cites: tuple[CitationValue, ...], listings: list[tuple[CitationValue, ...]]
) -> tuple[CitationValue, ...]:
    """The rule's citations, then each listing's (the first thing an officer looks up), without repeats."""
    out = list(cites)
    seen = {c.model for c in cites}
    for listing in listings:
        for c in listing:
            if c.model not in seen:
                seen.add(c.model)
                out.append(c)
    return tuple(out)


def _listed(entry: PartyEntry) -> str:
    note = ": " + " ".join(entry.note.split()).rstrip(".") if entry.note else ""
    return f"{entry.name} (listed from {entry.added}{note})"


def resolve_line(
    tx: Transaction,
    on: dt.date,
    line: Line,
    fired: Sequence[CompiledRule],
    parties: PartyFacts,
    licenses: tuple[LicenseFacts, ...],
    citations: Mapping[int, tuple[CitationValue, ...]],
) -> list[FindingValue]:
    """The findings on one line. ``citations`` maps ``id()`` of a rule or party entry to its citations."""
    findings: list[FindingValue] = []
    for compiled in fired:
        rule = compiled.packrule.rule
        pack = compiled.packrule.pack
        names: list[str] = []
        for lid in compiled.party_lists:
            names.extend(parties.by_list.get(lid, ()))
        for gid in compiled.hq_groups:
            names.extend(parties.by_hq_group.get(gid, ()))
        for lid in compiled.owner_lists:
            names.extend(parties.by_owner_list.get(lid, ()))
        named = tuple(dict.fromkeys(names))
        cites = citations[id(rule)]
        listed = [e for lid in compiled.party_lists for e in parties.entries.get(lid, ())]
        owned = [o for lid in compiled.owner_lists for o in parties.owner_entries.get(lid, ())]
        if listed or owned:
            cites = _with_listings(cites, [citations[id(e)] for e in [*listed, *(o[3] for o in owned)]])
        outcome: Outcome
        license_id = authority = review_policy = None
        message = rule.message
        if listed:
            message = f"{message} Listed: {'; '.join(_listed(e) for e in listed)}."
        if owned:
            message = f"{message} Owned by listed parties: {describe_owned(owned)}."
        if isinstance(rule, LicenseRule):
            authority, review_policy = rule.authority, rule.review_policy
            covering = next((lic for lic in licenses if _covers(lic, rule, on, tx, line, named, pack)), None)
            if covering is not None:
                outcome, license_id = "allow", covering.license.id
                message = f"{message} Covered by licence {covering.license.id} ({covering.license.authority})."
            else:
                outcome = "deny"
                policy = f"; licence review policy: {review_policy}" if review_policy else ""
                message = f"{message} Licence required from {authority}{policy}; no licence on file covers this line."
                refused = [
                    why
                    for lic in licenses
                    if lic.license.authority == rule.authority
                    and (why := exception_refusal(lic.license, rule, on, line)) is not None
                ]
                if refused:
                    message = f"{message} Licence exceptions on file that do not apply: {'; '.join(refused)}."
        else:
            outcome = "deny" if rule.effect == "deny" else "review"
        findings.append(
            FindingValue(
                rule.id,
                pack,
                rule.effect,
                outcome,
                line.number,
                named,
                rule.title,
                message,
                cites,
                license_id,
                authority,
                review_policy,
                rule.note,
            )
        )
    if line.unclassified:
        item = line.item
        what = f"product {item.product!r} is not in the catalog and " if item.product else ""
        findings.append(
            engine_finding(
                "engine.unclassified-item",
                line.number,
                "Item not classified",
                f"Line {line.number}: {what}no control number (eccn) is given, so no rule can be applied with "
                "confidence. Classify the item (give `eccn`, e.g. `EAR99`, or a catalog product) before shipping.",
            )
        )
    if line.code_conflict is not None:
        given, catalog_code = line.code_conflict
        findings.append(
            engine_finding(
                "engine.classification-conflict",
                line.number,
                "Classification differs from catalog",
                f"Line {line.number}: the order says ECCN {given} but the catalog classifies "
                f"{line.product.name if line.product else 'the product'} as {catalog_code}; both were applied. "
                "Confirm the classification.",
            )
        )
    return findings


def line_value(line: Line, findings: Sequence[FindingValue], shared: Sequence[FindingValue]) -> LineValue:
    return LineValue(
        line.number,
        worst(f.outcome for f in [*findings, *shared]),
        line.product.id if line.product else None,
        line.codes,
    )
