"""Turn a transaction into typed per-line facts the matchers test: the *enrich* step.

Membership questions (is the destination in D:5 on this date? is a party on the Entity List? which
product is `NVIDIA H20`?) are answered here with Python sets and dicts, never as OR chains inside a
durable-rules ruleset (durable-rules note 4). Pure: no I/O, no clock; the caches only remember answers
that depend on nothing but their key.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping

from compliance.codes import pack_jurisdiction
from compliance.evaluate.facts import Atom, Datacenter, Line, LineFacts, PartyFacts, transaction_countries
from compliance.evaluate.hs import classify
from compliance.evaluate.match.predicates import Node, condition_node, country_test_id, country_tests, evaluate
from compliance.evaluate.ownership import owner_facts
from compliance.models.pack import DecidedCodes, PartyEntry, Product, Scope
from compliance.models.transaction import Item, Transaction
from compliance.packs.catalog import code_ancestors
from compliance.packs.packset import PackSet
from compliance.screening.clearances import ClearanceBook, Verdict
from compliance.screening.index import PartyIndex, ScreenHit

__all__ = ["Enricher"]

# Bounded caches: ERP batches repeat products, destinations and customers, and memory must stay flat
# over a stream of any length.
_MAX_CACHE = 50_000


class _ItemFacts:
    """What an item resolves to, independent of the transaction around it (cached per item shape)."""

    __slots__ = (
        "codes",
        "codes_set",
        "conflict",
        "datacenter",
        "hs_candidates",
        "hs_conflict",
        "jurisdictions",
        "product",
        "specs",
        "tags",
        "undecided",
    )

    def __init__(
        self,
        product: Product | None,
        codes: tuple[tuple[str, str], ...],
        specs: Mapping[str, float],
        datacenter: Datacenter,
        conflict: tuple[str, str, str] | None,
        jurisdictions: frozenset[str],
        hs_candidates: tuple[Product, ...] = (),
        hs_conflict: str | None = None,
        undecided: tuple[tuple[str, str, DecidedCodes], ...] = (),
    ) -> None:
        self.product = product
        self.codes = codes
        self.codes_set = frozenset(codes)
        self.specs = specs
        self.datacenter = datacenter
        self.tags = frozenset(product.tags) if product else frozenset()
        self.conflict = conflict
        self.jurisdictions = jurisdictions  # jurisdictions whose code the order itself gives (`US` for `eccn`)
        self.hs_candidates = hs_candidates
        self.hs_conflict = hs_conflict
        self.undecided = undecided  # (pack, code): codes whose licence requirements the pack does not decide


class Enricher:
    """Built once per pack set; ``enrich`` is then a pure function of the transaction and the date."""

    def __init__(self, packset: PackSet, clearances: ClearanceBook | None = None) -> None:
        self.packset = packset
        lists = packset.party_lists
        self.parties = PartyIndex({lid: pl.entries for lid, pl in lists.items() if pl.applies_to == "parties"})
        self.exporters = PartyIndex({lid: pl.entries for lid, pl in lists.items() if pl.applies_to == "exporter"})
        self._list_packs = {lid: pl.pack for lid, pl in lists.items()}
        self.clearances = clearances or ClearanceBook()
        self._groups_cache: dict[tuple[str, int], frozenset[str]] = {}
        self._item_cache: dict[tuple[object, ...], _ItemFacts] = {}
        # Keyed by (exporter country, origin, product id, jurisdictions coded): bounded by countries x products.
        self._scope_cache: dict[tuple[str, str, str, frozenset[str]], tuple[frozenset[str], frozenset[str]]] = {}
        # `transaction_countries` conditions of every rule, each answered once per set of countries and date.
        tests: dict[str, Node] = {}
        for pr in packset.rules:
            for cond in (pr.rule.when, pr.rule.unless):
                for sub in country_tests(cond):
                    tests.setdefault(country_test_id(sub), condition_node(sub, pr.pack))
        self._country_tests: tuple[tuple[str, Node], ...] = tuple(sorted(tests.items()))
        self._country_cache: dict[tuple[tuple[str, ...], int], frozenset[str]] = {}
        self._jurisdictions = {p.meta.id: pack_jurisdiction(p.meta.id) for p in packset.packs}
        # The packs an order's own codes are given to: a complement pack (us-ear-fdp) covers only lines its
        # other pack does not, and an item with a US ECCN is always in us-ear's scope.
        self._code_packs = {
            pid: j for pid, j in self._jurisdictions.items() if j is not None and not _complement(packset, pid)
        }
        self._decides: dict[str, tuple[frozenset[str], DecidedCodes]] = {
            p.meta.id: (frozenset(p.meta.decides.control_codes), p.meta.decides)
            for p in packset.packs
            if p.meta.decides is not None
        }
        bounds: set[dt.date] = set()
        for group in packset.groups.values():
            for member in group.members:
                if not isinstance(member, str):
                    if member.from_ is not None:
                        bounds.add(member.from_)
                    if member.to is not None:
                        bounds.add(member.to + dt.timedelta(days=1))
        self._group_bounds = sorted(bounds)
        self._scopes: tuple[tuple[str, Scope], ...] = tuple((p.meta.id, p.meta.scope) for p in packset.packs)
        # Packs whose scope is every line another pack's does not cover (Scope.complement_of), decided last.
        self._complements = tuple((pid, sc.complement_of) for pid, sc in self._scopes if sc.complement_of)

    def groups_of(self, country: str, on: dt.date) -> frozenset[str]:
        # Membership only changes on the dates members join or leave, so cache per interval between them.
        key = (country, bisect.bisect_right(self._group_bounds, on))
        cached = self._groups_cache.get(key)
        if cached is None:
            cached = frozenset(g for g in self.packset.groups if country in self.packset.group_members(g, on))
            if len(self._groups_cache) < _MAX_CACHE:
                self._groups_cache[key] = cached
        return cached

    def country_tests_of(self, countries: tuple[str, ...], on: dt.date) -> frozenset[str]:
        """Ids of the `transaction_countries` conditions that some of ``countries`` satisfies on ``on``."""
        if not self._country_tests:
            return frozenset()
        key = (countries, bisect.bisect_right(self._group_bounds, on))
        cached = self._country_cache.get(key)
        if cached is None:
            each = [LineFacts(date=on, destination=c, dest_groups=self.groups_of(c, on)) for c in countries]
            cached = frozenset(tid for tid, node in self._country_tests if any(evaluate(node, f) for f in each))
            if len(self._country_cache) >= _MAX_CACHE:
                self._country_cache.clear()
            self._country_cache[key] = cached
        return cached

    def parties_of(self, tx: Transaction, on: dt.date) -> PartyFacts:
        lists: set[Atom] = set()
        hq: set[Atom] = set()
        by_list: dict[str, list[str]] = {}
        entries: dict[str, dict[int, PartyEntry]] = {}
        hits: dict[str, list[tuple[str, str, ScreenHit]]] = {}
        by_hq: dict[str, list[str]] = {}
        possible: list[tuple[str, ScreenHit]] = []
        screened: list[tuple[str, str, ScreenHit, Verdict]] = []
        listed: list[tuple[str, str, str, PartyEntry]] = []
        for party in tx.parties:
            for hit in self.parties.screen(party.name, party.country, on):
                if hit.match == "exact":
                    lists.add(hit.list_id)
                    lists.add((hit.list_id, party.role))
                    by_list.setdefault(hit.list_id, []).append(party.name)
                    entries.setdefault(hit.list_id, {})[id(hit.entry)] = hit.entry
                    hits.setdefault(hit.list_id, []).append((party.name, party.country, hit))
                    listed.append((party.name, party.role, hit.list_id, hit.entry))
                    continue
                verdict = Verdict(None)
                if self.clearances:
                    sha = self.parties.sha256(hit.entry)
                    verdict = self.clearances.find(party.name, party.country, hit.list_id, hit.entry.name, sha, on)
                if verdict.applied is None:
                    possible.append((party.name, hit))
                screened.append((party.name, party.country, hit, verdict))
            for group in self.groups_of(party.headquarters or party.country, on):
                hq.add(group)
                hq.add((group, party.role))
                by_hq.setdefault(group, []).append(party.name)
        owned = owner_facts(tx.parties, self.parties, on, self._list_packs)
        exporter_lists: set[Atom] = set()
        exporter_entries: dict[str, list[PartyEntry]] = {}
        exporter_possible: list[tuple[str, ScreenHit]] = []
        if tx.exporter is not None:
            for hit in self.exporters.screen(tx.exporter.name, tx.exporter.country, on):
                if hit.match == "exact":
                    exporter_lists.add(hit.list_id)
                    exporter_entries.setdefault(hit.list_id, []).append(hit.entry)
                else:
                    exporter_possible.append((tx.exporter.name, hit))
        return PartyFacts(
            frozenset(lists),
            frozenset(hq),
            {k: tuple(dict.fromkeys(v)) for k, v in by_list.items()},
            {k: tuple(dict.fromkeys(v)) for k, v in by_hq.items()},
            tuple(possible),
            {k: tuple(v.values()) for k, v in entries.items()},
            {k: tuple(v) for k, v in hits.items()},
            tuple(screened),
            owned.lists,
            owned.by_list,
            owned.entries,
            owned.possible,
            frozenset(exporter_lists),
            {k: tuple(v) for k, v in exporter_entries.items()},
            tuple(exporter_possible),
            tuple(listed),
        )

    def item_facts(self, item: Item, nomenclature: str = "") -> _ItemFacts:
        """What ``item`` resolves to; ``nomenclature`` is the country whose national digits its ``hs_code`` uses."""
        tariff = (item.hs_code, nomenclature) if item.hs_code else None
        key = (
            item.product,
            item.eccn,
            item.datacenter,
            tuple(item.specs.items()),
            tariff,
            tuple(item.control_codes.items()),
        )
        cached = self._item_cache.get(key)
        if cached is not None:
            return cached
        product = self.packset.catalog.resolve(item.product) if item.product else None
        hs = classify(self.packset.catalog, item.hs_code, product, nomenclature)
        if product is None and hs.product is not None:
            product = hs.product  # classified by its dedicated tariff line (evaluate/hs.py)
        codes: list[tuple[str, str]] = []
        undecided: list[tuple[str, str, DecidedCodes]] = []
        conflict = None
        if product is not None:
            for pack_id, control in product.controls.items():
                if control.code:
                    codes.extend((pack_id, c) for c in code_ancestors(control.code))
        # The order's own codes: `eccn` is the US ECCN (the field's name is the EAR's term), `control_codes`
        # other jurisdictions'; each applies to the packs of its jurisdiction.
        given = {"US": item.eccn} if item.eccn else {}
        given.update(item.control_codes)
        for pack_id, jurisdiction in self._code_packs.items():
            code = given.get(jurisdiction)
            if code is None:
                continue
            catalog_code = product.controls.get(pack_id) if product else None
            if conflict is None and catalog_code and catalog_code.code and catalog_code.code != code:
                conflict = (pack_id, code, catalog_code.code)
            codes.extend((pack_id, c) for c in code_ancestors(code))
            # The order's own code: decided if the pack says so, or if it is the catalog product's (or a
            # paragraph of it, or its parent), whose rules the pack has.
            if not (catalog_code and catalog_code.code and _related(code, catalog_code.code)):
                undecided.extend(self._undecided(pack_id, code))
        specs: dict[str, float] = {name: v.value for name, v in product.specs.items()} if product else {}
        specs.update(item.specs)  # the order's own figures win over catalog figures
        known = item.datacenter if item.datacenter is not None else (product.datacenter if product else None)
        datacenter: Datacenter = "unknown" if known is None else ("yes" if known else "no")
        facts = _ItemFacts(
            product,
            tuple(dict.fromkeys(codes)),
            specs,
            datacenter,
            conflict,
            frozenset(given),
            hs.candidates,
            hs.conflict,
            tuple({(p, c): (p, c, d) for p, c, d in undecided}.values()),
        )
        if len(self._item_cache) >= _MAX_CACHE:
            self._item_cache.clear()
        self._item_cache[key] = facts
        return facts

    def _undecided(self, pack_id: str, code: str) -> list[tuple[str, str, DecidedCodes]]:
        decides = self._decides.get(pack_id)
        if decides is None or any(c in decides[0] for c in code_ancestors(code)):
            return []
        return [(pack_id, code, decides[1])]

    def _scope(
        self, exporter_country: str, origin: str, product: Product | None, coded: frozenset[str]
    ) -> tuple[frozenset[str], frozenset[str]]:
        key = (exporter_country, origin, product.id if product else "", coded)
        cached = self._scope_cache.get(key)
        if cached is None:
            cached = self._scope_cache[key] = self._compute_scope(exporter_country, origin, product, coded)
        return cached

    def covers(self, tx: Transaction, item: Item, product: Product) -> frozenset[str]:
        """The packs whose scope would cover ``item`` if it were ``product`` (for HS candidates)."""
        exporter_country = tx.exporter.country if tx.exporter else ""
        coded = frozenset(["US"] if item.eccn else []) | frozenset(item.control_codes)
        return self._scope(exporter_country, item.origin or "", product, coded)[0]

    def _compute_scope(
        self, exporter_country: str, origin: str, product: Product | None, coded: frozenset[str]
    ) -> tuple[frozenset[str], frozenset[str]]:
        """(packs whose scope covers the line, packs that may reach it only through the item's origin)."""
        scope = []
        reach = []
        for pack_id, sc in self._scopes:
            if sc.complement_of:
                continue
            jurisdiction = self._jurisdictions.get(pack_id)
            has_code = jurisdiction is not None and jurisdiction in coded
            if (
                (exporter_country and exporter_country in sc.exporter_countries)
                or (origin and origin in sc.origins)
                or (sc.controlled_products and product is not None and pack_id in product.controls)
                or (sc.control_code_given and has_code)
                # Fail closed: with no exporter given, an item of unknown or home origin is in scope.
                or (not exporter_country and (not origin or origin in sc.exporter_countries))
            ):
                scope.append(pack_id)
            elif sc.origins and not origin:
                # The pack follows goods of some origins, and this item's origin is not given: it may reach the
                # line. Its rules are matched; one that applies is a review (the resolver says why).
                reach.append(pack_id)
        scope += [pid for pid, other in self._complements if other not in scope]
        return frozenset(scope), frozenset(reach)

    def enrich(self, tx: Transaction, on: dt.date) -> tuple[PartyFacts, list[Line]]:
        parties = self.parties_of(tx, on)
        dest_groups = self.groups_of(tx.destination, on)
        exporter_country = tx.exporter.country if tx.exporter else ""
        end_uses = frozenset(tx.end_use_codes)
        countries = self.country_tests_of(transaction_countries(tx), on)
        lines = []
        for item in tx.items:
            # An HS code's national digits are read in the exporter's nomenclature (the export declaration's).
            resolved = self.item_facts(item, exporter_country)
            origin = item.origin or ""
            scope, reach = self._scope(exporter_country, origin, resolved.product, resolved.jurisdictions)
            facts = LineFacts(
                date=on,
                destination=tx.destination,
                product=resolved.product.id if resolved.product else "",
                tags=resolved.tags,
                codes=resolved.codes_set,
                specs=resolved.specs,
                datacenter=resolved.datacenter,
                subdivision=tx.destination_subdivision or "",
                dest_groups=dest_groups,
                origin=origin,
                exporter_country=exporter_country,
                activity=tx.activity,
                end_uses=end_uses,
                party_lists=parties.lists,
                party_hq_groups=parties.hq_groups,
                scope=scope | reach if reach else scope,
                reach=reach,
                party_owner_lists=parties.owner_lists,
                exporter_lists=parties.exporter_lists,
                country_tests=countries,
            )
            # Unclassified: no catalog product, and no code of any jurisdiction whose pack applies to the line
            # (or no code at all when none applies): a PRC code alone does not classify an item for the EAR.
            needed = {self._jurisdictions.get(p) for p in scope} - {None}
            have = resolved.jurisdictions
            unclassified = resolved.product is None and not (needed & have if needed else have)
            lines.append(
                Line(
                    item,
                    resolved.product,
                    resolved.codes,
                    facts,
                    unclassified,
                    resolved.conflict,
                    resolved.hs_candidates,
                    resolved.hs_conflict,
                    tuple(u for u in resolved.undecided if u[0] in scope or u[0] in reach),
                )
            )
        return parties, lines


def _related(a: str, b: str) -> bool:
    return a in code_ancestors(b) or b in code_ancestors(a)


def _complement(packset: PackSet, pack_id: str) -> bool:
    return any(p.meta.id == pack_id and p.meta.scope.complement_of for p in packset.packs)
