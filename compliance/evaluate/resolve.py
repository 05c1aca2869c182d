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
from collections.abc import Iterable, Sequence

from compliance.evaluate.enrich import LineFacts, PartyFacts
from compliance.evaluate.match.predicates import CompiledRule
from compliance.models._base import construct
from compliance.models.decision import Finding, LineDecision, Outcome
from compliance.models.pack import Citation, Condition, LicenseRule
from compliance.models.transaction import License, Transaction
from compliance.packs.catalog import Catalog
from compliance.screening.index import normalize_name

__all__ = ["SEVERITY", "engine_finding", "resolve_line", "rule_parties", "worst"]

SEVERITY: dict[str, int] = {"allow": 0, "review": 1, "deny": 2}


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    result: Outcome = "allow"
    for outcome in outcomes:
        if SEVERITY[outcome] > SEVERITY[result]:
            result = outcome
    return result


def rule_parties(cond: Condition | None) -> tuple[set[str], set[str]]:
    """Party lists and headquarters groups a condition tests, to say which party triggered a rule."""
    lists: set[str] = set()
    groups: set[str] = set()
    if cond is None:
        return lists, groups
    lists.update(cond.party_lists or ())
    groups.update(cond.party_headquarters_groups or ())
    # Only conditions that must hold name the party; a party test inside `any` may not be why it fired.
    for sub in cond.all or ():
        sub_lists, sub_groups = rule_parties(sub)
        lists |= sub_lists
        groups |= sub_groups
    return lists, groups


def engine_finding(
    rule_id: str,
    line: int | None,
    title: str,
    message: str,
    *,
    party: str | None = None,
    citations: Sequence[Citation] = (),
) -> Finding:
    return construct(
        Finding,
        rule_id=rule_id,
        pack="engine",
        effect="engine",
        outcome="review",
        line=line,
        party=party,
        title=title,
        message=message,
        citations=list(citations),
        license=None,
        authority=None,
        review_policy=None,
        note=None,
    )


def _covers(
    lic: License,
    rule: LicenseRule,
    on: dt.date,
    tx: Transaction,
    lf: LineFacts,
    party: str | None,
    pack: str,
    catalog: Catalog,
) -> bool:
    if lic.authority != rule.authority or not (lic.valid_from <= on <= lic.valid_to):
        return False
    if lic.destinations is not None and tx.destination not in lic.destinations:
        return False
    if lic.products is not None:
        if lf.product is None:
            return False
        ids = set()
        for name in lic.products:
            product = catalog.resolve(name)
            ids.add(product.id if product else name)
        if lf.product.id not in ids:
            return False
    if lic.eccns is not None:
        line_codes = {c.split(":", 1)[1] for c in lf.codes if c.startswith(pack + ":")}
        if not any(code in line_codes for code in lic.eccns):  # line codes include parent paragraphs
            return False
    if lic.parties is not None:
        named = {normalize_name(p) for p in lic.parties}
        if party is None:
            # A licence restricted to named parties covers the order only if every party is named.
            if not all(normalize_name(p.name) in named for p in tx.parties):
                return False
        elif not all(normalize_name(p) in named for p in party.split("; ")):
            return False
    return True


def resolve_line(
    tx: Transaction, on: dt.date, lf: LineFacts, fired: Sequence[CompiledRule], parties: PartyFacts, catalog: Catalog
) -> list[Finding]:
    findings: list[Finding] = []
    for compiled in fired:
        rule = compiled.packrule.rule
        pack = compiled.packrule.pack
        lists, groups = rule_parties(rule.when)
        names: list[str] = []
        for lid in sorted(lists):
            names.extend(parties.by_list.get(lid, ()))
        for gid in sorted(groups):
            names.extend(parties.by_hq_group.get(gid, ()))
        party = "; ".join(dict.fromkeys(names)) or None
        citations = list(rule.citations)
        listed = [e for lid in sorted(lists) for e in parties.entries.get(lid, ())]
        for entry in listed:  # the listing itself is the first thing an officer looks up
            citations.extend(c for c in entry.citations if c not in citations)
        outcome: Outcome
        license_id = None
        authority = review_policy = None
        message = rule.message
        if listed:
            details = "; ".join(
                f"{e.name} (listed from {e.added}{': ' + ' '.join(e.note.split()).rstrip('.') if e.note else ''})"
                for e in listed
            )
            message = f"{message} Listed: {details}."
        if isinstance(rule, LicenseRule):
            authority, review_policy = rule.authority, rule.review_policy
            covering = next((lic for lic in tx.licenses if _covers(lic, rule, on, tx, lf, party, pack, catalog)), None)
            if covering is not None:
                outcome, license_id = "allow", covering.id
                message = f"{message} Covered by licence {covering.id} ({covering.authority})."
            else:
                outcome = "deny"
                policy = f"; licence review policy: {review_policy}" if review_policy else ""
                message = f"{message} Licence required from {authority}{policy}; no licence on file covers this line."
        else:
            outcome = "deny" if rule.effect == "deny" else "review"
        findings.append(
            construct(
                Finding,
                rule_id=rule.id,
                pack=pack,
                effect=rule.effect,
                outcome=outcome,
                line=lf.line,
                party=party,
                title=rule.title,
                message=message,
                citations=citations,
                license=license_id,
                authority=authority,
                review_policy=review_policy,
                note=rule.note,
            )
        )
    if lf.unclassified:
        named = f"product {lf.item.product!r} is not in the catalog and " if lf.item.product else ""
        findings.append(
            engine_finding(
                "engine.unclassified-item",
                lf.line,
                "Item not classified",
                f"Line {lf.line}: {named}no control number (eccn) is given, so no rule can be applied with "
                "confidence. Classify the item (give `eccn`, e.g. `EAR99`, or a catalog product) before shipping.",
            )
        )
    if lf.code_conflict is not None:
        given, catalog_code = lf.code_conflict
        findings.append(
            engine_finding(
                "engine.classification-conflict",
                lf.line,
                "Classification differs from catalog",
                f"Line {lf.line}: the order says ECCN {given} but the catalog classifies "
                f"{lf.product.name if lf.product else 'the product'} as {catalog_code}; both were applied. "
                "Confirm the classification.",
            )
        )
    return findings


def line_decision(lf: LineFacts, findings: Sequence[Finding], shared: Sequence[Finding]) -> LineDecision:
    return construct(
        LineDecision,
        line=lf.line,
        decision=worst(f.outcome for f in [*findings, *shared]),
        product=lf.product.id if lf.product else None,
        control_codes=list(lf.codes),
    )
