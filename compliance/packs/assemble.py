"""Join parsed pack files into packs and check what spans files: ids, references, aliases, hashes.

Each file kind contributes its records (``_Assembler.add``); then references are checked (files name a
pack that exists, rules name groups, lists, products, tags and specs that exist, catalog aliases are not
shared) and the result is frozen. Every problem is appended to the caller's list; no pack set is built
while any is an error.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from pathlib import Path

from compliance.errors import Location, Problem
from compliance.models.pack import (
    CatalogFile,
    Condition,
    CountryGroup,
    CountryGroupsFile,
    GroupMember,
    MaterialsFile,
    PackMeta,
    PartyListFile,
    Product,
    RulesFile,
)
from compliance.packs.catalog import Catalog
from compliance.packs.files import ParsedFile
from compliance.packs.materials import family_products
from compliance.packs.packset import LoadedPack, PackRule, PackSet, PartyList
from compliance.source import Document, PathKey

__all__ = ["assemble"]


def assemble(parsed: list[ParsedFile], problems: list[Problem]) -> PackSet | None:
    """The frozen pack set of ``parsed`` files, or ``None`` when ``problems`` (extended here) hold an error."""
    assembler = _Assembler(problems)
    for f in parsed:
        assembler.add(f)
    assembler.check_pack_refs(parsed)
    catalog = assembler.check_catalog()
    assembler.check_rule_refs(catalog)
    packs = assembler.hash_packs()
    if any(p.level == "error" for p in problems):
        return None
    rules = tuple(_resolve_products(r, catalog) for r in assembler.rules)
    warnings = tuple(p for p in problems if p.level != "error")
    return PackSet(tuple(packs), rules, catalog, assembler.groups, assembler.lists, warnings, assembler.locations)


class _Assembler:
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.metas: dict[str, tuple[PackMeta, Location]] = {}
        self.files_by_pack: dict[str, list[tuple[str, bytes]]] = {}
        self.products: list[tuple[Product, Document, PathKey]] = []
        self.product_locs: dict[str, Location] = {}
        self.groups: dict[str, CountryGroup] = {}
        self.lists: dict[str, PartyList] = {}
        self.rules: list[PackRule] = []
        self.rule_docs: list[tuple[Document, PathKey, PackRule]] = []
        self.locations: dict[str, Location] = {}

    def add(self, f: ParsedFile) -> None:
        model = f.model
        if isinstance(model, PackMeta):
            self._add_meta(f, model)
            return
        pack_id: str = getattr(model, "pack", "")
        self.files_by_pack.setdefault(pack_id, []).append((f.name, f.raw))
        if isinstance(model, RulesFile):
            self._add_rules(f, pack_id)
        elif isinstance(model, CatalogFile):
            self._add_products(f, model)
        elif isinstance(model, MaterialsFile):
            self._add_materials(f, model)
        elif isinstance(model, CountryGroupsFile):
            self._add_groups(f, model)
        elif isinstance(model, PartyListFile):
            self._add_party_list(f, model, pack_id)

    def _add_meta(self, f: ParsedFile, meta: PackMeta) -> None:
        loc = f.doc.locate(("id",))
        if meta.id in self.metas:
            self.problems.append(
                Problem(loc, "duplicate-pack", f"pack {meta.id!r} is also defined at {self.metas[meta.id][1]}")
            )
            return
        self.metas[meta.id] = (meta, loc)
        self.files_by_pack.setdefault(meta.id, []).append((f.name, f.raw))

    def _add_rules(self, f: ParsedFile, pack_id: str) -> None:
        for i, rule in f.rules():
            loc = f.doc.locate(("rules", i, "id"))
            if rule.id in self.locations:
                first = self.locations[rule.id]
                self.problems.append(
                    Problem(
                        loc,
                        "duplicate-rule-id",
                        f"rule id {rule.id!r} is already used at {first}",
                        help="rule ids are never reused; give this rule a new id",
                        related=(first,),
                    )
                )
                continue
            self.locations[rule.id] = loc
            if not rule.id.startswith(pack_id + "."):
                self.problems.append(
                    Problem(loc, "rule-id-prefix", f"rule id {rule.id!r} must start with its pack id {pack_id!r}.")
                )
            packrule = PackRule(rule, pack_id, loc)
            self.rules.append(packrule)
            self.rule_docs.append((f.doc, ("rules", i), packrule))

    def _add_products(self, f: ParsedFile, model: CatalogFile) -> None:
        for i, product in enumerate(model.products):
            self._add_product(f, product, ("products", i))

    def _add_materials(self, f: ParsedFile, model: MaterialsFile) -> None:
        for i, family in enumerate(model.families):
            for j, product in family_products(family):
                self._add_product(f, product, ("families", i, "forms", j))

    def _add_product(self, f: ParsedFile, product: Product, at: PathKey) -> None:
        loc = f.doc.locate((*at, "id"))  # a generated id points at its form
        if product.id in self.product_locs:
            self.problems.append(
                Problem(
                    loc,
                    "duplicate-product",
                    f"product {product.id!r} is also defined at {self.product_locs[product.id]}",
                )
            )
            return
        self.product_locs[product.id] = loc
        self.products.append((product, f.doc, at))

    def _add_groups(self, f: ParsedFile, model: CountryGroupsFile) -> None:
        for i, group in enumerate(model.groups):
            loc = f.doc.locate(("groups", i, "id"))
            if group.id in self.groups:
                self.problems.append(Problem(loc, "duplicate-group", f"country group {group.id!r} is defined twice"))
                continue
            self.groups[group.id] = group
            for j, member in enumerate(group.members):
                if isinstance(member, GroupMember) and member.from_ and member.to and member.to < member.from_:
                    self.problems.append(
                        Problem(
                            f.doc.locate(("groups", i, "members", j, "to")),
                            "inverted-window",
                            f"membership of {member.country} ends before it starts",
                        )
                    )

    def _add_party_list(self, f: ParsedFile, model: PartyListFile, pack_id: str) -> None:
        loc = f.doc.locate(("id",))
        if model.id in self.lists:
            self.problems.append(Problem(loc, "duplicate-party-list", f"party list {model.id!r} is defined twice"))
            return
        self.lists[model.id] = PartyList(
            model.id, pack_id, model.title, tuple(model.entries), tuple(model.citations), model.applies_to
        )
        for i, entry in enumerate(model.entries):
            if entry.removed and entry.removed < entry.added:
                self.problems.append(
                    Problem(
                        f.doc.locate(("entries", i, "removed")),
                        "inverted-window",
                        f"entry {entry.name!r} is removed before it is added",
                    )
                )

    def check_pack_refs(self, parsed: list[ParsedFile]) -> None:
        """Files must name a pack that exists; a pack's scope may be the complement of another (plain) pack's."""
        for meta, loc in self.metas.values():
            other = meta.scope.complement_of
            if other is None:
                continue
            if other not in self.metas or self.metas[other][0].scope.complement_of is not None or other == meta.id:
                self.problems.append(
                    Problem(
                        loc,
                        "unknown-pack",
                        f"scope.complement_of: {other!r} is not another pack with a scope of its own",
                        help="name a pack whose scope lists exporter countries, origins or controlled products",
                    )
                )
        for f in parsed:
            ref: str | None = getattr(f.model, "pack", None)
            if ref is not None and ref not in self.metas:
                close = difflib.get_close_matches(ref, list(self.metas), n=1)
                self.problems.append(
                    Problem(
                        f.doc.locate(("pack",)),
                        "unknown-pack",
                        f"pack {ref!r} has no pack.yaml (kind: pack)",
                        help=f"did you mean {close[0]!r}?" if close else None,
                    )
                )

    def check_catalog(self) -> Catalog:
        """The catalog, after checking that no two products share an alias and controls name real packs."""
        catalog = Catalog.build(p for p, _d, _at in self.products)
        alias_owner: dict[str, str] = {}
        for product, doc, at in self.products:
            for key in Catalog.alias_keys(product):
                owner = alias_owner.setdefault(key, product.id)
                if owner != product.id:
                    self.problems.append(
                        Problem(
                            doc.locate((*at, "aliases")),
                            "ambiguous-alias",
                            f"product {product.id!r} shares the alias {key!r} with {owner!r}",
                        )
                    )
            for pack_id in product.controls:
                if pack_id not in self.metas:
                    self.problems.append(
                        Problem(
                            doc.locate((*at, "controls", pack_id), key=True),
                            "unknown-pack",
                            f"control codes name unknown pack {pack_id!r}",
                        )
                    )
        return catalog

    def check_rule_refs(self, catalog: Catalog) -> None:
        refs = _Refs(catalog, self.groups, self.lists, self.problems)
        for doc, base, packrule in self.rule_docs:
            rule = packrule.rule
            refs.check(rule.when, doc, (*base, "when"))
            if rule.unless is not None:
                refs.check(rule.unless, doc, (*base, "unless"))

    def hash_packs(self) -> list[LoadedPack]:
        """Each pack with the sha256 of its files (name and content hash, in path order)."""
        packs = []
        for pack_id, (meta, loc) in sorted(self.metas.items()):
            digest = hashlib.sha256()
            files = sorted(self.files_by_pack.get(pack_id, []))
            for fname, raw in files:
                digest.update(Path(fname).name.encode() + b"\0" + hashlib.sha256(raw).hexdigest().encode() + b"\n")
            packs.append(LoadedPack(meta, digest.hexdigest(), tuple(f for f, _ in files), loc))
        return packs


class _Refs:
    """Checks that every name a condition uses (product, tag, group, list, spec) is defined somewhere."""

    def __init__(
        self,
        catalog: Catalog,
        groups: dict[str, CountryGroup],
        lists: dict[str, PartyList],
        problems: list[Problem],
    ) -> None:
        self.catalog = catalog
        self.groups = groups
        self.lists = lists
        self.problems = problems
        self.tags = {t for p in catalog.products.values() for t in p.tags}
        self.spec_names = {s for p in catalog.products.values() for s in p.specs}

    def _unknown(
        self, doc: Document, at: PathKey, key: str, i: int, value: str, known: Iterable[str], what: str
    ) -> None:
        close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.6)
        self.problems.append(
            Problem(
                doc.locate((*at, key, i)),
                f"unknown-{what.replace(' ', '-')}",
                f"{key}: unknown {what} {value!r}",
                help=f"did you mean {close[0]!r}?" if close else None,
            )
        )

    def check(self, cond: Condition, doc: Document, at: PathKey) -> None:
        for i, name in enumerate(cond.products or []):
            if self.catalog.resolve(name) is None:
                self._unknown(doc, at, "products", i, name, self.catalog.products, "product")
        for i, tag in enumerate(cond.product_tags or []):
            if tag not in self.tags:
                self._unknown(doc, at, "product_tags", i, tag, self.tags, "product tag")
        for key in ("destination_groups", "party_headquarters_groups"):
            for i, gid in enumerate(getattr(cond, key) or []):
                if gid not in self.groups:
                    self._unknown(doc, at, key, i, gid, self.groups, "country group")
        for key, applies_to in (
            ("party_lists", "parties"),
            ("party_owner_lists", "parties"),
            ("exporter_lists", "exporter"),
        ):
            known = [lid for lid, pl in self.lists.items() if pl.applies_to == applies_to]
            for i, lid in enumerate(getattr(cond, key) or []):
                if lid not in self.lists:
                    self._unknown(doc, at, key, i, lid, known, "party list")
                elif self.lists[lid].applies_to != applies_to:
                    self.problems.append(
                        Problem(
                            doc.locate((*at, key, i)),
                            "wrong-party-list",
                            f"{key}: list {lid!r} is screened against the {self.lists[lid].applies_to}, "
                            f"not the {applies_to}",
                            help=f"use `{'exporter_lists' if applies_to == 'parties' else 'party_lists'}` for it, "
                            "or change the list's `applies_to`",
                        )
                    )
        for name in cond.specs or {}:
            if name not in self.spec_names:
                self.problems.append(
                    Problem(
                        doc.locate((*at, "specs", name), key=True),
                        "unknown-spec",
                        f"specs: no catalog product has a {name!r} parameter",
                        level="warning",
                    )
                )
        for key in ("any", "all"):
            for i, sub in enumerate(getattr(cond, key) or []):
                self.check(sub, doc, (*at, key, i))
        if cond.not_ is not None:
            self.check(cond.not_, doc, (*at, "not"))


def _resolve_products(packrule: PackRule, catalog: Catalog) -> PackRule:
    """Rules may name products by alias; store canonical ids so matching compares ids only."""

    def fix(cond: Condition) -> Condition:
        updates: dict[str, object] = {}
        if cond.products:
            ids = []
            for name in cond.products:
                product = catalog.resolve(name)
                ids.append(product.id if product else name)
            updates["products"] = ids
        for key in ("any", "all"):
            subs = getattr(cond, key)
            if subs:
                updates[key] = [fix(c) for c in subs]
        if cond.not_ is not None:
            updates["not_"] = fix(cond.not_)
        return cond.model_copy(update=updates) if updates else cond

    rule = packrule.rule
    new_rule = rule.model_copy(update={"when": fix(rule.when), "unless": fix(rule.unless) if rule.unless else None})
    return PackRule(new_rule, packrule.pack, packrule.location)
