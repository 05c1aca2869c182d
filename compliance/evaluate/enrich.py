"""Turn a transaction into flat per-line facts the matchers test: the *enrich* step.

Membership questions (is the destination in D:5 on this date? is a party on the Entity List? which
product is `NVIDIA H20`?) are answered here with Python sets and dicts, never as OR chains inside a
durable-rules ruleset (see docs/design.md, durable-rules note 4). Pure: no I/O, no clock.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

from compliance.models.pack import PartyEntry, Product
from compliance.models.transaction import Item, Transaction
from compliance.packs.catalog import code_ancestors
from compliance.packs.packset import PackSet
from compliance.screening.index import PartyIndex, ScreenHit

__all__ = ["EMPTY", "Enricher", "LineFacts", "PartyFacts", "date_number"]

# durable-rules' `$iall` is false on an empty list, so every list field carries this sentinel;
# pack validation forbids it as a value, so it never matches a rule.
EMPTY = "~"


def date_number(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@dataclass(frozen=True, slots=True)
class PartyFacts:
    """Screening results for a transaction's parties, shared by all its lines."""

    lists: tuple[str, ...]  # "list" and "list@role"
    hq_groups: tuple[str, ...]  # "group" and "group@role"
    by_list: dict[str, tuple[str, ...]]  # list id -> party names that hit it (exact)
    by_hq_group: dict[str, tuple[str, ...]]  # group id -> party names headquartered there
    possible: tuple[tuple[str, ScreenHit], ...]  # (party name, hit) needing review
    entries: dict[str, tuple[PartyEntry, ...]] = field(default_factory=dict)  # list id -> entries matched exactly


@dataclass(frozen=True, slots=True)
class LineFacts:
    line: int
    item: Item
    product: Product | None
    codes: tuple[str, ...]  # "pack:code", with parent paragraphs
    fact: dict[str, object]  # what the matchers see
    unclassified: bool
    code_conflict: tuple[str, str] | None


class Enricher:
    """Built once per pack set; ``enrich`` is then a pure function of the transaction."""

    def __init__(self, packset: PackSet) -> None:
        self.packset = packset
        self.parties = PartyIndex({lid: pl.entries for lid, pl in packset.party_lists.items()})
        self._groups_cache: dict[tuple[str, int], tuple[str, ...]] = {}
        bounds: set[dt.date] = set()
        for group in packset.groups.values():
            for member in group.members:
                if not isinstance(member, str):
                    if member.from_ is not None:
                        bounds.add(member.from_)
                    if member.to is not None:
                        bounds.add(member.to + dt.timedelta(days=1))
        self._group_bounds = sorted(bounds)
        self._scopes = [(p.meta.id, p.meta.scope) for p in packset.packs if p.meta.scope is not None]

    def groups_of(self, country: str, on: dt.date) -> tuple[str, ...]:
        # Membership only changes on the dates members join or leave, so cache per interval between them.
        key = (country, bisect.bisect_right(self._group_bounds, on))
        cached = self._groups_cache.get(key)
        if cached is None:
            cached = tuple(sorted(g for g in self.packset.groups if country in self.packset.group_members(g, on)))
            if len(self._groups_cache) < 50_000:
                self._groups_cache[key] = cached
        return cached

    def parties_of(self, tx: Transaction) -> PartyFacts:
        lists: set[str] = set()
        hq: set[str] = set()
        by_list: dict[str, list[str]] = {}
        entries: dict[str, list[PartyEntry]] = {}
        by_hq: dict[str, list[str]] = {}
        possible: list[tuple[str, ScreenHit]] = []
        for party in tx.parties:
            for hit in self.parties.screen(party.name, party.country, tx.date):
                if hit.match == "exact":
                    lists.update((hit.list_id, f"{hit.list_id}@{party.role}"))
                    by_list.setdefault(hit.list_id, []).append(party.name)
                    entries.setdefault(hit.list_id, []).append(hit.entry)
                else:
                    possible.append((party.name, hit))
            for group in self.groups_of(party.headquarters or party.country, tx.date):
                hq.update((group, f"{group}@{party.role}"))
                by_hq.setdefault(group, []).append(party.name)
        return PartyFacts(
            tuple(sorted(lists)) or (EMPTY,),
            tuple(sorted(hq)) or (EMPTY,),
            {k: tuple(dict.fromkeys(v)) for k, v in by_list.items()},
            {k: tuple(dict.fromkeys(v)) for k, v in by_hq.items()},
            tuple(possible),
            {k: tuple({id(e): e for e in v}.values()) for k, v in entries.items()},
        )

    def enrich(self, tx: Transaction) -> tuple[PartyFacts, list[LineFacts]]:
        parties = self.parties_of(tx)
        when = date_number(tx.date)
        dest_groups = self.groups_of(tx.destination, tx.date) or (EMPTY,)
        exporter_country = tx.exporter.country if tx.exporter else ""
        end_uses = tuple(sorted(set(tx.end_use_codes))) or (EMPTY,)
        lines = []
        for item in tx.items:
            product = self.packset.catalog.resolve(item.product) if item.product else None
            codes: list[str] = []
            conflict = None
            if product is not None:
                for pack_id, control in product.controls.items():
                    if control.code:
                        codes.extend(f"{pack_id}:{c}" for c in code_ancestors(control.code))
            if item.eccn:
                # The `eccn` field holds a US ECCN (the field's name is the EAR's term).
                catalog_code = product.controls.get("us-ear") if product else None
                if catalog_code and catalog_code.code and catalog_code.code != item.eccn:
                    conflict = (item.eccn, catalog_code.code)
                codes.extend(f"us-ear:{c}" for c in code_ancestors(item.eccn))
            specs: dict[str, float] = {name: v.value for name, v in product.specs.items()} if product else {}
            specs.update(item.specs)  # the order's own figures win over catalog figures
            datacenter = item.datacenter if item.datacenter is not None else (product.datacenter if product else None)
            origin = item.origin or ""
            scope = []
            for pack_id, sc in self._scopes:
                if (
                    (exporter_country and exporter_country in sc.exporter_countries)
                    or (origin and origin in sc.origins)
                    or (sc.controlled_products and product is not None and pack_id in product.controls)
                    or (sc.control_code_given and item.eccn is not None)
                    # Fail closed: with no exporter given, an item of unknown or home origin is in scope.
                    or (not exporter_country and (not origin or origin in sc.exporter_countries))
                ):
                    scope.append(pack_id)
            fact: dict[str, object] = {
                "kind": "line",
                "date": when,
                "product": product.id if product else "",
                "tags": tuple(product.tags) if product and product.tags else (EMPTY,),
                "codes": tuple(dict.fromkeys(codes)) or (EMPTY,),
                "specs_known": tuple(sorted(specs)) or (EMPTY,),
                "datacenter": "unknown" if datacenter is None else ("yes" if datacenter else "no"),
                "destination": tx.destination,
                "subdivision": tx.destination_subdivision or "",
                "dest_groups": dest_groups,
                "origin": origin,
                "exporter_country": exporter_country,
                "activity": tx.activity,
                "end_uses": end_uses,
                "party_lists": parties.lists,
                "party_hq_groups": parties.hq_groups,
                "scope": tuple(scope) or (EMPTY,),
            }
            for name, value in specs.items():
                fact["spec_" + name] = value
            unclassified = product is None and item.eccn is None
            lines.append(LineFacts(item.line, item, product, tuple(dict.fromkeys(codes)), fact, unclassified, conflict))
        return parties, lines
