"""Resolution: from the rules that applied to a decision. The order is stated once, here.

1. Every applicable rule yields a finding on its line.
2. ``deny`` -> the line is denied.
3. ``license_required`` -> allowed only if a licence on file covers it (authority, date, product or
   control code, countries, parties, end uses, quantity and value: :mod:`compliance.evaluate.licenses`);
   review when a licence may cover it but a term cannot be checked; otherwise denied, naming the authority,
   the review policy and why each licence on file does not cover it.
4. ``review`` -> held for a compliance officer.
5. Fail closed: an unclassified item, a possible party-list match, a listed party that no rule named (in
   any role), a pack that may reach an item only through its origin with no rule deciding it, a date
   outside a pack's coverage or a matching error is a ``review`` finding the engine adds itself
   (rule ids ``engine.*``).
6. A line's decision is the worst of its findings and the transaction-wide findings
   (deny > review > allow); the transaction's decision is the worst of its lines. No finding -> allow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from compliance.evaluate.facts import Line, PartyFacts
from compliance.evaluate.licenses import LicenseFacts, Verdict, check_license, license_facts
from compliance.evaluate.match.predicates import CompiledRule
from compliance.evaluate.ownership import describe_owned
from compliance.evaluate.values import CitationValue, FindingValue, LineValue
from compliance.models.decision import Outcome
from compliance.models.pack import LicenseRule, PartyEntry
from compliance.models.transaction import Transaction

__all__ = [
    "SEVERITY",
    "LicenseFacts",
    "engine_finding",
    "license_facts",
    "line_value",
    "resolve_line",
    "unnamed_listings",
    "worst",
]

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
    lines: Sequence[Line] = (),
    follows: Mapping[str, tuple[str, ...]] | None = None,
) -> list[FindingValue]:
    """The findings on one line. ``citations`` maps ``id()`` of a rule or party entry to its citations;
    ``lines`` are all the transaction's lines (a licence's quantity and value cover them together);
    ``follows`` maps a pack id to the origins its scope follows (for lines it reaches only through an unknown
    origin, whose findings are reviews)."""
    lines = lines or (line,)
    reach = line.facts.reach
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
            verdicts: list[tuple[LicenseFacts, Verdict]] = []
            for lic in licenses:
                verdict = check_license(lic, rule, on, tx, line, lines, named, pack)
                verdicts.append((lic, verdict))
                if verdict.status == "covers":
                    break
            covering = next((lic for lic, v in verdicts if v.status == "covers"), None)
            unsure = [(lic, v) for lic, v in verdicts if v.status == "unsure"]
            if covering is not None:
                outcome, license_id = "allow", covering.license.id
                how = verdicts[-1][1].reason
                message = (
                    f"{message} Covered by licence {covering.license.id} ({covering.license.authority})"
                    f"{' ' + how if how else ''}."
                )
            elif unsure:
                outcome = "review"
                why = "; ".join(f"licence {lic.license.id} may cover it, but {v.reason}" for lic, v in unsure)
                message = f"{message} Licence required from {authority}: {why}. Confirm before shipping."
            else:
                outcome = "deny"
                policy = f"; licence review policy: {review_policy}" if review_policy else ""
                ledger = any(lic.balance is not None for lic in licenses)
                where = "on file or in the licence ledger" if ledger else "on file"
                message = f"{message} Licence required from {authority}{policy}; no licence {where} covers this line."
                # A ledger licence for another authority, date or item is not worth naming (there may be thousands).
                shown = [(lic, v) for lic, v in verdicts if lic.balance is None or v.relevant]
                if shown:
                    why = "; ".join(
                        f"{'licence ' if lic.balance is not None else ''}{lic.license.id} {v.reason}"
                        for lic, v in shown
                    )
                    message = f"{message} Licences {where}: {why}."
        else:
            outcome = "deny" if rule.effect == "deny" else "review"
        if pack in reach and outcome != "allow":
            # The pack follows goods of some origins and the order does not give this item's: the engine cannot
            # tell whether the rule applies, so it says so (review) rather than deciding either way.
            of = " or ".join((follows or {}).get(pack, ())) or "a followed"
            outcome = "review"
            message = (
                f"The item's origin is not given; pack {pack} follows goods of {of} origin wherever they are, and "
                f"if this item is one, this applies: {message} Give the item's `origin` to decide."
            )
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
                f"Line {line.number}: {what}no control number (eccn) is given for the law that applies, so no rule "
                "can be applied with confidence. Classify the item (give `eccn`, e.g. `EAR99`, `control_codes` "
                "for other jurisdictions, or a catalog product) before shipping.",
            )
        )
    for pack, code, decided in line.undecided:
        findings.append(
            engine_finding(
                "engine.control-code-not-decided",
                line.number,
                "Control number outside what the pack decides",
                f"Line {line.number}: pack {pack} does not decide the licence requirements of {code} ("
                + (
                    f"its rules decide {', '.join(decided.control_codes)}"
                    if decided.control_codes
                    else "its rules decide the catalog's products, not codes: name the product if it is one"
                )
                + "), so the absence of a finding would not mean that no "
                f"licence is needed. Determine the licence requirement for {code} to this destination from the "
                "cited law, then ship under a covering licence or record the no-licence-required determination "
                "with the order.",
                citations=citations.get(id(decided), ()),
            )
        )
    if line.code_conflict is not None:
        conflict_pack, given, catalog_code = line.code_conflict
        what = "ECCN" if conflict_pack.startswith("us-") else f"{conflict_pack} control code"
        findings.append(
            engine_finding(
                "engine.classification-conflict",
                line.number,
                "Classification differs from catalog",
                f"Line {line.number}: the order says {what} {given} but the catalog classifies "
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
        line.item.normalized,
    )


def unnamed_listings(
    parties: PartyFacts,
    findings: Sequence[FindingValue],
    lists: Mapping[str, tuple[str, str]],
    packs_in_play: frozenset[str],
    citations: Mapping[int, tuple[CitationValue, ...]],
) -> list[FindingValue]:
    """A party listed exactly on a list of a pack that applies to the order, in a role no rule named it in
    (a listed freight forwarder, an `other` party): review, never a pass. One finding per party and role, naming
    every listing. ``lists`` maps list id -> (title, pack)."""
    # Named by a rule; an engine review (a possible match on another entry) does not settle an exact listing.
    named = {name for f in findings if f.pack != "engine" for name in f.parties}
    grouped: dict[tuple[str, str], list[tuple[str, PartyEntry]]] = {}
    for name, role, list_id, entry in parties.listed:
        title, pack = lists[list_id]
        if name in named or pack not in packs_in_play:
            continue
        found = grouped.setdefault((name, role), [])
        if all(e is not entry for _t, e in found):
            found.append((title, entry))
    out: list[FindingValue] = []
    for (name, role), found in grouped.items():
        where = "; ".join(f"{_listed(entry)} on {title}" for title, entry in found)
        cites: list[CitationValue] = []
        for _title, entry in found:
            cites.extend(c for c in citations[id(entry)] if c not in cites)
        out.append(
            engine_finding(
                "engine.listed-party",
                None,
                f"Listed party in the order ({role.replace('_', ' ')})",
                f"Party {name!r} ({role}) matches {where}, and no rule applied to it in that role. A listed party "
                "anywhere in the order must be reviewed: a licence requirement tied to the listing may reach it in "
                "another role, and a listed forwarder or other party is a red flag (15 CFR part 732 Supplement "
                "No. 3). Confirm its role before shipping.",
                parties=(name,),
                citations=cites,
            )
        )
    return out
