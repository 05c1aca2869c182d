"""Who owns a party: the BIS Affiliates rule (FR Doc. 2025-19001, 15 CFR 744.11(a)(1)) as facts for the rules.

Under the rule, a foreign entity owned 50% or more, directly or indirectly, individually or in aggregate, by
entities on the Entity List (or the MEU List) is subject to the same licence requirements as its owners; with
several listed owners the most restrictive requirement applies (every matching rule fires, and the worst wins);
and an exporter who knows a party has listed owners but cannot establish their share must treat the party as
subject (Red Flag 29, Supp. No. 3 to part 732). When the rule is in force is the packs' business (dated rules that
test ``party_owner_lists``); this module only says, for each party, which lists it would be subject to.

What the engine does with ``owners`` (``Party.owners``):

* **Given**: each owner is screened against the party lists, like a party. The shares of the owners listed on a
  pack's lists are added up (an owner on several lists of a pack counts once); 50% or more, or any listed owner
  whose share is not given, makes the party an affiliate of every list its listed owners are on. An owner whose
  name only resembles a listed one (and matches none exactly) is a review (``engine.possible-owner-match``), as for
  parties; so is a listed owner whose share of 1% or less looks like a fraction (0.5 for 50%: give shares in
  percent). These reviews are raised only on dates when a rule that tests ownership is in force.
* **Not given** (``owners`` absent): ownership was not checked. The engine cannot apply the rule and does not
  assume either way: the party is screened on its own name only, and no finding says so. The exporter's duty to
  know its customer (and Red Flag 29 when it knows of listed owners) is not discharged by the engine.
* **Empty** (``owners: []``): the order states that the party has no owners to report; treated like "given".

Indirect ownership is the user's to compute: give each owner's total (direct plus indirect) share. Only
entities are screened; the aggregation is per pack, so an owner on MOFCOM's list does not add to a share held
by Entity List owners.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compliance.evaluate.facts import Atom, PartyFacts
from compliance.evaluate.match.predicates import CompiledRule, Has, walk_atoms
from compliance.evaluate.values import CitationValue, FindingValue
from compliance.models.pack import PartyEntry
from compliance.models.transaction import Party
from compliance.packs.packset import PackSet
from compliance.screening.index import PartyIndex, ScreenHit

__all__ = [
    "AFFILIATE_SHARE",
    "OwnerFacts",
    "Windows",
    "describe_owned",
    "owner_facts",
    "owner_findings",
    "owner_rules_from",
]

# list id -> the windows of the rules that test it through `party_owner_lists` or `exporter_lists`
Windows = Mapping[str, tuple[tuple[dt.date, dt.date | None], ...]]

# 15 CFR 744.11(a)(1) as added by FR Doc. 2025-19001: "50 percent or more".
AFFILIATE_SHARE = 50.0
# A listed owner's share at or below this looks like a fraction (0.5 meant as 50%): review, never a silent pass.
_FRACTION_LIKE = 1.0


@dataclass(frozen=True, slots=True)
class OwnerFacts:
    lists: frozenset[Atom]  # list ids and (list id, role) pairs the parties are affiliates of
    by_list: Mapping[str, tuple[str, ...]]  # list id -> names of the parties owned by its entries
    entries: Mapping[str, tuple[tuple[str, str, float | None, PartyEntry], ...]]  # (party, owner, share, entry)
    possible: tuple[tuple[str, str, ScreenHit], ...]  # (party, owner, hit) needing review


_NONE = OwnerFacts(frozenset(), {}, {}, ())


def owner_facts(parties: Sequence[Party], index: PartyIndex, on: dt.date, list_pack: Mapping[str, str]) -> OwnerFacts:
    """The affiliate listings of ``parties`` on ``on``; ``list_pack`` maps each list id to its pack."""
    if not any(p.owners for p in parties):
        return _NONE
    atoms: set[Atom] = set()
    by_list: dict[str, list[str]] = {}
    entries: dict[str, list[tuple[str, str, float | None, PartyEntry]]] = {}
    possible: list[tuple[str, str, ScreenHit]] = []
    for party in parties:
        # pack -> owner index -> (share, {list id: entry})
        listed: dict[str, dict[int, tuple[float | None, dict[str, PartyEntry]]]] = {}
        for i, owner in enumerate(party.owners or ()):
            hits = index.screen(owner.name, owner.country, on)
            identified = any(h.match == "exact" for h in hits)
            for hit in hits:
                if hit.match != "exact":
                    # An owner that is a listed entry exactly is identified; names merely like it are other entities.
                    if not identified:
                        possible.append((party.name, owner.name, hit))
                    continue
                pack = list_pack.get(hit.list_id, "")
                share, lists = listed.setdefault(pack, {}).setdefault(i, (owner.share, {}))
                lists.setdefault(hit.list_id, hit.entry)
                if owner.share is not None and owner.share <= _FRACTION_LIKE:
                    possible.append(
                        (
                            party.name,
                            owner.name,
                            ScreenHit(
                                hit.list_id,
                                hit.entry,
                                "possible",
                                f"listed owner {owner.name!r} holds {owner.share:g}% of {party.name!r}; if that "
                                "was meant as a fraction (0.5 for 50%), the party may be an affiliate: shares "
                                "are in percent",
                            ),
                        )
                    )
        for owners in listed.values():
            shares = [share for share, _lists in owners.values()]
            unknown = any(s is None for s in shares)
            total = sum(s for s in shares if s is not None)
            if not unknown and total < AFFILIATE_SHARE:
                continue
            for i, (share, lists) in owners.items():
                owner_name = (party.owners or [])[i].name
                for list_id, entry in lists.items():
                    atoms.add(list_id)
                    atoms.add((list_id, party.role))
                    by_list.setdefault(list_id, []).append(party.name)
                    entries.setdefault(list_id, []).append((party.name, owner_name, share, entry))
    return OwnerFacts(
        frozenset(atoms),
        {k: tuple(dict.fromkeys(v)) for k, v in by_list.items()},
        {k: tuple(v) for k, v in entries.items()},
        tuple(possible),
    )


def describe_owned(owned: Sequence[tuple[str, str, float | None, PartyEntry]]) -> str:
    """`Acme GmbH owned by 'Huawei Technologies Co., Ltd.' (60%; listed from 2019-05-16)`, for a finding's message."""
    parts = []
    for party, owner, share, entry in owned:
        held = f"{share:g}%" if share is not None else "share not known, treated as 50% or more (Red Flag 29)"
        parts.append(f"{party} owned by {owner!r} ({held}; listed as {entry.name!r} from {entry.added})")
    return "; ".join(dict.fromkeys(parts))


def owner_rules_from(rules: Sequence[CompiledRule]) -> Windows:
    """For each list that rules test through ownership or the exporter, the windows of those rules.

    A doubtful owner (or exporter) match matters only on a date some such rule is in force: before the Affiliates
    rule, who owns a customer changed nothing under the EAR, and the engine does not send it to review.
    """
    out: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for compiled in rules:
        rule = compiled.packrule.rule
        for atom in walk_atoms(compiled.node):
            if isinstance(atom, Has) and atom.field in ("party_owner_lists", "exporter_lists"):
                for value in atom.values:
                    list_id = value if isinstance(value, str) else value[0]
                    out.setdefault(list_id, []).append((rule.effective_from, rule.effective_to))
    return {k: tuple(sorted(set(v), key=lambda w: (w[0], w[1] or dt.date.max))) for k, v in out.items()}


def _in_force(windows: Windows, list_id: str, on: dt.date) -> bool:
    return any(lo <= on and (hi is None or on <= hi) for lo, hi in windows.get(list_id, ()))


def owner_findings(
    on: dt.date,
    parties: PartyFacts,
    packset: PackSet,
    windows: Windows,
    citations: Mapping[int, tuple[CitationValue, ...]],
) -> list[FindingValue]:
    """Review findings for owners (and exporters) whose match on a list the rules test could not be settled."""
    out: list[FindingValue] = []
    for party, owner, hit in parties.owner_possible:
        if not _in_force(windows, hit.list_id, on):
            continue
        listing = packset.party_lists[hit.list_id]
        out.append(
            _engine_review(
                "engine.possible-owner-match",
                f"Possible listed owner ({listing.title})",
                f"Party {party!r}, owner {owner!r}: {hit.why} on {listing.title}. A party owned 50% or more by listed "
                "entities is subject to their listing while the Affiliates rule is in force (15 CFR 744.11(a)(1); "
                "Red Flag 29): confirm or rule out the match and the share before shipping.",
                (party,),
                citations[id(hit.entry)],
            )
        )
    for exporter, hit in parties.exporter_possible:
        if not _in_force(windows, hit.list_id, on):
            continue
        listing = packset.party_lists[hit.list_id]
        out.append(
            _engine_review(
                "engine.possible-exporter-match",
                f"Exporter may be on {listing.title}",
                f"Exporter {exporter!r}: {hit.why} on {listing.title}. Confirm whether the exporter is the listed "
                "company before shipping.",
                (),
                citations[id(hit.entry)],
            )
        )
    return out


def _engine_review(
    rule_id: str, title: str, message: str, parties: tuple[str, ...], cites: tuple[CitationValue, ...]
) -> FindingValue:
    # As resolve.engine_finding builds it (not imported: resolve imports this module to describe owners).
    return FindingValue(rule_id, "engine", "engine", "review", None, parties, title, message, cites)
