"""Load rule packs from directories, validate them as a whole, and freeze them into a :class:`PackSet`.

Every problem in every file is collected in one pass (schema, references, duplicates) and raised as one
:class:`PackError`, so a pack author sees the whole list with file:line:column, not one error per run.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from compliance.catalog import Catalog
from compliance.errors import InputError, Location, PackError, Problem
from compliance.models.pack import (
    CatalogFile,
    Condition,
    CountryGroup,
    CountryGroupsFile,
    GroupMember,
    PackFile,
    PackMeta,
    PartyEntry,
    PartyListFile,
    Rule,
    RulesFile,
)
from compliance.source import Document, PathKey, parse_bytes, read_bounded

__all__ = [
    "TEST_DIR_NAMES",
    "Collected",
    "LoadedPack",
    "PackRule",
    "PackSet",
    "ParsedFile",
    "PartyList",
    "collect_packs",
    "load_packs",
    "pydantic_problems",
    "sentinel_problems",
]

TEST_DIR_NAMES = frozenset({"tests"})
_FILE_ADAPTER: TypeAdapter[PackFile] = TypeAdapter(PackFile)


@dataclass(frozen=True, slots=True)
class PackRule:
    """A rule with what the engine needs beside it: its pack and where it was written."""

    rule: Rule
    pack: str
    location: Location


@dataclass(frozen=True, slots=True)
class LoadedPack:
    meta: PackMeta
    sha256: str
    files: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class PartyList:
    id: str
    pack: str
    title: str
    entries: tuple[PartyEntry, ...]
    citations: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class PackSet:
    """Everything loaded, validated and frozen; shared read-only by every evaluation."""

    packs: tuple[LoadedPack, ...]
    rules: tuple[PackRule, ...]
    catalog: Catalog
    groups: dict[str, CountryGroup]
    party_lists: dict[str, PartyList]
    warnings: tuple[Problem, ...] = ()
    locations: dict[str, Location] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for pack in self.packs:
            digest.update(f"{pack.meta.id}\0{pack.sha256}\n".encode())
        return digest.hexdigest()

    def group_members(self, group_id: str, on: dt.date) -> frozenset[str]:
        members: set[str] = set()
        for member in self.groups[group_id].members:
            if isinstance(member, str):
                members.add(member)
            elif (member.from_ is None or member.from_ <= on) and (member.to is None or on <= member.to):
                members.add(member.country)
        return frozenset(members)


# Every field name in the pack contract, for "did you mean" on an unknown key.
def _field_names() -> list[str]:
    from compliance.models import pack as pack_models

    names: set[str] = set()
    for obj in vars(pack_models).values():
        fields = getattr(obj, "model_fields", None)
        if isinstance(fields, dict):
            for name, info in fields.items():
                names.add(info.alias or name)
    return sorted(names)


def pydantic_problems(exc: ValidationError, doc: Document, *, vocabulary: Sequence[str] | None = None) -> list[Problem]:
    """Turn a pydantic error into located problems; union tags in ``loc`` are dropped.

    ``vocabulary`` is the field names offered as "did you mean" for an unknown key (default: the pack contract's).
    """
    pack_contract = vocabulary is None
    vocabulary = _field_names() if vocabulary is None else vocabulary
    problems = []
    for err in exc.errors(include_url=False):
        loc, kind = _data_path(doc.data, tuple(err["loc"]), err["type"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        help_text = None
        field_name = ".".join(str(p) for p in loc) or "(document)"
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else ""
            location = doc.locate(loc, key=True)
            close = difflib.get_close_matches(key, vocabulary, n=1, cutoff=0.6) if vocabulary else []
            msg = f"unknown key {key!r}"
            if close:
                help_text = f"did you mean {close[0]!r}?"
            code = "unknown-key"
        elif kind == "missing":
            location = doc.locate(loc[:-1])
            msg = f"required field {str(loc[-1])!r} is missing"
            code = "missing-field"
        else:
            location = doc.locate(loc)
            code = _CODES.get(kind, "invalid-value")
        if pack_contract:
            tag = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
            location, code, msg, help_text = _refine(doc, loc, kind, location, code, msg, help_text, tag)
        problems.append(Problem(location, code, f"{field_name}: {msg}", help=help_text))
    return problems


_TYPE_ERRORS = frozenset(
    {
        "string_type",
        "int_type",
        "float_type",
        "bool_type",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
        "int_from_float",
        "date_type",
    }
)


def _refine(
    doc: Document,
    loc: PathKey,
    kind: str,
    location: Location,
    code: str,
    msg: str,
    help_text: str | None,
    tag: str,
) -> tuple[Location, str, str, str | None]:
    """Pack-specific codes for problems that have a name in the house style (``missing-citation``, ...)."""
    if loc and loc[-1] in ("citations", "sources") and kind in ("missing", "too_short"):
        return (
            location,
            "missing-citation",
            "every rule and data record cites the law behind it",
            ('add `citations: [{cite: "15 CFR 744.11"}]` (see docs/ci.md for recognised forms)'),
        )
    if kind == "value_error" and msg.startswith("effective_to "):
        return doc.locate((*loc, "effective_to")), "inverted-window", msg, "effective_to is the last day in force"
    if kind == "union_tag_invalid" and tag:
        return doc.locate((*loc, tag)), code, msg, help_text  # point at `effect: forbid`, not the whole rule
    if kind in _TYPE_ERRORS:
        return location, "wrong-type", msg, help_text
    return location, code, msg, help_text


_CODES = {
    "union_tag_invalid": "invalid-value",
    "union_tag_not_found": "missing-field",
    "literal_error": "invalid-value",
    "string_pattern_mismatch": "invalid-format",
    "value_error": "invalid-value",
    "too_short": "empty",
}


def _data_path(data: object, loc: tuple[object, ...], kind: str) -> tuple[PathKey, str]:
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and isinstance(part, str):
            if part in node:
                out.append(part)
                node = node[part]
            elif last and kind in ("missing", "extra_forbidden"):
                out.append(part)
            # else: a discriminated-union tag or model name that is not in the data
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif last and isinstance(part, (str, int)) and kind in ("missing", "extra_forbidden"):
            out.append(part)
    return tuple(out), kind


def iter_pack_files(roots: Sequence[str | Path]) -> Iterator[tuple[Path, str]]:
    """YAML files under each root (or the root file itself), in a stable order; test folders are skipped."""
    for root in roots:
        root_path = Path(root)
        if root_path.is_file():
            yield root_path, str(root_path)
            continue
        if not root_path.is_dir():
            raise PackError([Problem(Location(str(root_path)), "no-such-path", "rule pack directory does not exist")])
        files = sorted(
            p
            for p in root_path.rglob("*")
            if p.suffix in (".yaml", ".yml")
            and p.is_file()
            and not (TEST_DIR_NAMES & set(p.relative_to(root_path).parts[:-1]))
        )
        for p in files:
            yield p, str(p)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """One pack file that parsed and matched its model; kept for the checks ``validate`` adds."""

    name: str
    raw: bytes
    doc: Document
    model: object
    # For a rules file recovered rule by rule after a schema error: the index in the file of each rule kept.
    rule_index: tuple[int, ...] | None = None

    def rules(self) -> list[tuple[int, Rule]]:
        """``(index in the file, rule)`` for each rule this file contributes."""
        if not isinstance(self.model, RulesFile):
            return []
        if self.rule_index is None:
            return list(enumerate(self.model.rules))
        return list(zip(self.rule_index, self.model.rules, strict=True))


@dataclass(frozen=True, slots=True)
class Collected:
    """The outcome of reading packs without raising: every problem, and the pack set when there are no errors."""

    packset: PackSet | None
    problems: tuple[Problem, ...]
    files: tuple[ParsedFile, ...]
    test_files: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "error")


def load_packs(roots: Sequence[str | Path]) -> PackSet:
    """Load and validate every pack under ``roots``; raise :class:`PackError` listing every problem."""
    collected = collect_packs(roots)
    if collected.errors or collected.packset is None:
        raise PackError(list(collected.problems))
    return collected.packset


def collect_packs(roots: Sequence[str | Path]) -> Collected:
    """Read every pack file under ``roots`` and report every problem in one pass; never raises on bad content."""
    problems: list[Problem] = []
    parsed: list[ParsedFile] = []
    test_files: list[str] = []
    try:
        paths = list(iter_pack_files(roots))
    except PackError as err:
        return Collected(None, err.problems, ())
    for path, name in paths:
        try:
            raw = read_bounded(path, name)
            doc = parse_bytes(raw, name)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(doc.data, dict) and doc.data.get("kind") == "tests":
            test_files.append(name)  # a test-case file given by name; `cases` reads it
            continue
        if not isinstance(doc.data, dict) or "kind" not in doc.data:
            problems.append(
                Problem(
                    doc.locate(()),
                    "missing-field",
                    "(document): required field 'kind' is missing",
                    help="start the file with `kind: pack`, `rules`, `catalog`, `country-groups` or `party-list`",
                )
            )
            continue
        sentinels = sentinel_problems(doc)
        try:
            model = _FILE_ADAPTER.validate_python(doc.data)
        except ValidationError as exc:
            # A sentinel is reported once, as itself, not again as the type error it also causes.
            taken = {p.location for p in sentinels}
            problems.extend(p for p in pydantic_problems(exc, doc) if p.location not in taken)
            problems.extend(sentinels)
            recovered = _recover_rules(doc, raw)
            if recovered is not None:
                parsed.append(recovered)
            continue
        problems.extend(sentinels)
        parsed.append(ParsedFile(name, raw, doc, model))
    if not parsed and not problems and not test_files:
        problems.append(Problem(Location(", ".join(str(r) for r in roots)), "no-packs", "no rule pack files found"))
    packset = _assemble(parsed, problems)
    return Collected(packset, tuple(sorted(problems)), tuple(parsed), tuple(test_files))


# The enricher fills empty list facts with "~" (compliance.enrich.EMPTY), and YAML reads a bare `~` as
# null, which pydantic takes as "key absent": `destinations: ~` would silently drop a test and widen
# the rule. Neither may appear as a condition value.
SENTINEL = "~"


def sentinel_problems(doc: Document) -> list[Problem]:
    """Every null or ``"~"`` inside a rule's ``when``/``unless``, located."""
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "rules" or not isinstance(data.get("rules"), list):
        return []
    out: list[Problem] = []

    def walk(value: object, at: PathKey) -> None:
        if value is None or value == SENTINEL:
            out.append(
                Problem(
                    doc.locate(at),
                    "sentinel-value",
                    f"{'.'.join(str(p) for p in at)}: `~` (null) is not a condition value; "
                    "the engine uses it internally for 'no value'",
                    help="list real values, or remove the key to make no test on it",
                )
            )
        elif isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, (*at, key))
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(sub, (*at, i))

    for i, rule in enumerate(data["rules"]):
        if isinstance(rule, dict):
            for key in ("when", "unless"):
                if key in rule:
                    walk(rule[key], ("rules", i, key))
    return out


_RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)


def _recover_rules(doc: Document, raw: bytes) -> ParsedFile | None:
    """After a schema error in a rules file, keep the rules that are valid (ignoring their unknown keys, which
    are already reported) so their references and ids are still checked: every problem in one run."""
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "rules" or not isinstance(data.get("rules"), list):
        return None
    pack = data.get("pack")
    if not isinstance(pack, str):
        return None
    kept: list[tuple[int, Rule]] = []
    for i, item in enumerate(data["rules"]):
        candidate = item
        for _attempt in range(2):
            try:
                kept.append((i, _RULE_ADAPTER.validate_python(candidate)))
                break
            except ValidationError as exc:
                errors = exc.errors(include_url=False)
                if _attempt or not isinstance(item, dict) or any(e["type"] != "extra_forbidden" for e in errors):
                    break
                unknown = {_data_path(item, tuple(e["loc"]), e["type"])[0] for e in errors}
                candidate = {k: v for k, v in item.items() if (k,) not in unknown}
    if not kept:
        return None
    model = RulesFile.model_construct(kind="rules", pack=pack, rules=[r for _i, r in kept])
    return ParsedFile(doc.path, raw, doc, model, tuple(i for i, _r in kept))


def _assemble(parsed: list[ParsedFile], problems: list[Problem]) -> PackSet | None:
    metas: dict[str, tuple[PackMeta, Location]] = {}
    files_by_pack: dict[str, list[tuple[str, bytes]]] = {}
    products = []
    groups: dict[str, CountryGroup] = {}
    group_pack: dict[str, str] = {}
    lists: dict[str, PartyList] = {}
    rules: list[PackRule] = []
    rule_docs: list[tuple[Document, PathKey, PackRule]] = []
    seen_rules: dict[str, Location] = {}
    product_locs: dict[str, Location] = {}
    locations: dict[str, Location] = {}

    for f in parsed:
        name, raw, doc, model = f.name, f.raw, f.doc, f.model
        if isinstance(model, PackMeta):
            loc = doc.locate(("id",))
            if model.id in metas:
                problems.append(
                    Problem(loc, "duplicate-pack", f"pack {model.id!r} is also defined at {metas[model.id][1]}")
                )
                continue
            metas[model.id] = (model, loc)
            files_by_pack.setdefault(model.id, []).append((name, raw))
            continue
        pack_id: str = getattr(model, "pack", "")
        files_by_pack.setdefault(pack_id, []).append((name, raw))
        if isinstance(model, RulesFile):
            for i, rule in f.rules():
                loc = doc.locate(("rules", i, "id"))
                packrule = PackRule(rule, pack_id, loc)
                if rule.id in seen_rules:
                    problems.append(
                        Problem(
                            loc,
                            "duplicate-rule-id",
                            f"rule id {rule.id!r} is already used at {seen_rules[rule.id]}",
                            help="rule ids are never reused; give this rule a new id",
                            related=(seen_rules[rule.id],),
                        )
                    )
                    continue
                seen_rules[rule.id] = loc
                locations[rule.id] = loc
                if not rule.id.startswith(pack_id + "."):
                    problems.append(
                        Problem(loc, "rule-id-prefix", f"rule id {rule.id!r} must start with its pack id {pack_id!r}.")
                    )
                rules.append(packrule)
                rule_docs.append((doc, ("rules", i), packrule))
        elif isinstance(model, CatalogFile):
            for i, product in enumerate(model.products):
                loc = doc.locate(("products", i, "id"))
                if product.id in product_locs:
                    problems.append(
                        Problem(
                            loc,
                            "duplicate-product",
                            f"product {product.id!r} is also defined at {product_locs[product.id]}",
                        )
                    )
                    continue
                product_locs[product.id] = loc
                products.append((product, doc, i))
        elif isinstance(model, CountryGroupsFile):
            for i, group in enumerate(model.groups):
                loc = doc.locate(("groups", i, "id"))
                if group.id in groups:
                    problems.append(Problem(loc, "duplicate-group", f"country group {group.id!r} is defined twice"))
                    continue
                groups[group.id] = group
                group_pack[group.id] = pack_id
                for j, member in enumerate(group.members):
                    if isinstance(member, GroupMember) and member.from_ and member.to and member.to < member.from_:
                        problems.append(
                            Problem(
                                doc.locate(("groups", i, "members", j, "to")),
                                "inverted-window",
                                f"membership of {member.country} ends before it starts",
                            )
                        )
        elif isinstance(model, PartyListFile):
            loc = doc.locate(("id",))
            if model.id in lists:
                problems.append(Problem(loc, "duplicate-party-list", f"party list {model.id!r} is defined twice"))
                continue
            lists[model.id] = PartyList(model.id, pack_id, model.title, tuple(model.entries), tuple(model.citations))
            for i, entry in enumerate(model.entries):
                if entry.removed and entry.removed < entry.added:
                    problems.append(
                        Problem(
                            doc.locate(("entries", i, "removed")),
                            "inverted-window",
                            f"entry {entry.name!r} is removed before it is added",
                        )
                    )

    # Files must name a pack that exists.
    for f in parsed:
        doc, model = f.doc, f.model
        ref: str | None = getattr(model, "pack", None)
        if ref is not None and ref not in metas:
            close = difflib.get_close_matches(ref, list(metas), n=1)
            problems.append(
                Problem(
                    doc.locate(("pack",)),
                    "unknown-pack",
                    f"pack {ref!r} has no pack.yaml (kind: pack)",
                    help=f"did you mean {close[0]!r}?" if close else None,
                )
            )

    catalog = Catalog.build(p for p, _d, _i in products)
    alias_owner: dict[str, str] = {}
    for product, doc, i in products:
        for key in Catalog.alias_keys(product):
            owner = alias_owner.setdefault(key, product.id)
            if owner != product.id:
                problems.append(
                    Problem(
                        doc.locate(("products", i, "aliases")),
                        "ambiguous-alias",
                        f"product {product.id!r} shares the alias {key!r} with {owner!r}",
                    )
                )
        for pack_id in product.controls:
            if pack_id not in metas:
                problems.append(
                    Problem(
                        doc.locate(("products", i, "controls", pack_id), key=True),
                        "unknown-pack",
                        f"control codes name unknown pack {pack_id!r}",
                    )
                )

    tags = {t for p in catalog.products.values() for t in p.tags}
    spec_names = {s for p in catalog.products.values() for s in p.specs}
    for doc, base, packrule in rule_docs:
        rule = packrule.rule
        _check_refs(rule.when, doc, (*base, "when"), catalog, tags, spec_names, groups, lists, problems)
        if rule.unless is not None:
            _check_refs(rule.unless, doc, (*base, "unless"), catalog, tags, spec_names, groups, lists, problems)

    packs = []
    for pack_id, (meta, loc) in sorted(metas.items()):
        digest = hashlib.sha256()
        files = sorted(files_by_pack.get(pack_id, []))
        for fname, raw in files:
            digest.update(Path(fname).name.encode() + b"\0" + hashlib.sha256(raw).hexdigest().encode() + b"\n")
        packs.append(LoadedPack(meta, digest.hexdigest(), tuple(f for f, _ in files), loc))
    if any(p.level == "error" for p in problems):
        return None
    resolved = tuple(_resolve_products(r, catalog) for r in rules)
    return PackSet(
        tuple(packs), resolved, catalog, groups, lists, tuple(p for p in problems if p.level != "error"), locations
    )


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


def _check_refs(
    cond: Condition,
    doc: Document,
    at: PathKey,
    catalog: Catalog,
    tags: set[str],
    spec_names: set[str],
    groups: dict[str, CountryGroup],
    lists: dict[str, PartyList],
    problems: list[Problem],
) -> None:
    def unknown(key: str, i: int, value: str, known: Iterable[str], what: str) -> None:
        close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.6)
        problems.append(
            Problem(
                doc.locate((*at, key, i)),
                f"unknown-{what.replace(' ', '-')}",
                f"{key}: unknown {what} {value!r}",
                help=f"did you mean {close[0]!r}?" if close else None,
            )
        )

    for i, name in enumerate(cond.products or []):
        if catalog.resolve(name) is None:
            unknown("products", i, name, catalog.products, "product")
    for i, tag in enumerate(cond.product_tags or []):
        if tag not in tags:
            unknown("product_tags", i, tag, tags, "product tag")
    for key in ("destination_groups", "party_headquarters_groups"):
        for i, gid in enumerate(getattr(cond, key) or []):
            if gid not in groups:
                unknown(key, i, gid, groups, "country group")
    for i, lid in enumerate(cond.party_lists or []):
        if lid not in lists:
            unknown("party_lists", i, lid, lists, "party list")
    for name in cond.specs or {}:
        if name not in spec_names:
            problems.append(
                Problem(
                    doc.locate((*at, "specs", name), key=True),
                    "unknown-spec",
                    f"specs: no catalog product has a {name!r} parameter",
                    level="warning",
                )
            )
    for key in ("any", "all"):
        for i, sub in enumerate(getattr(cond, key) or []):
            _check_refs(sub, doc, (*at, key, i), catalog, tags, spec_names, groups, lists, problems)
    if cond.not_ is not None:
        _check_refs(cond.not_, doc, (*at, "not"), catalog, tags, spec_names, groups, lists, problems)
