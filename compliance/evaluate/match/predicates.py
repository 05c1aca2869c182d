"""Rule conditions as a small predicate tree over the typed line facts, shared by both matchers.

``compile_rule`` turns a rule's YAML condition (plus its pack scope and effective window) into a tree of
small immutable nodes. The reference matcher evaluates the tree directly; the durable-rules matcher translates
it into a ruleset. Both therefore see exactly the same logic, which the property tests check.

Fields are the :class:`~compliance.evaluate.facts.LineFacts` attributes, plus ``spec_<name>`` for a
technical parameter. Dates are compared as ``YYYYMMDD`` numbers (:func:`date_number`), which read well in
messages and compare like the dates they stand for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from compliance.evaluate.facts import Atom, LineFacts
from compliance.models.pack import Condition
from compliance.packs.packset import PackRule

__all__ = [
    "LIST_FIELDS",
    "SCALAR_FIELDS",
    "And",
    "Cmp",
    "CompiledRule",
    "Has",
    "In",
    "Node",
    "Not",
    "Or",
    "compile_rule",
    "condition_node",
    "country_test_id",
    "country_tests",
    "date_number",
    "evaluate",
    "field_value",
    "rule_owner_lists",
    "rule_parties",
    "scope_node",
    "walk_atoms",
]

Op = Literal["gt", "gte", "lt", "lte"]


def date_number(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@dataclass(frozen=True, slots=True)
class In:
    """A scalar field is one of ``values``."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Has:
    """A set-valued field shares at least one of ``values``."""

    field: str
    values: tuple[Atom, ...]


@dataclass(frozen=True, slots=True)
class Cmp:
    """A numeric comparison; false when the field is absent (an unknown spec never matches)."""

    field: str
    op: Op
    bound: float


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


Node = In | Has | Cmp | And | Or | Not

SCALAR_FIELDS = ("product", "datacenter", "destination", "subdivision", "origin", "exporter_country", "activity")
LIST_FIELDS = (
    "tags",
    "codes",
    "dest_groups",
    "end_uses",
    "party_lists",
    "party_hq_groups",
    "scope",
    "country_tests",
    "party_owner_lists",
    "exporter_lists",
)


def field_value(facts: LineFacts, name: str) -> object:
    """The value a predicate on ``name`` tests: an attribute, ``spec_<name>`` (None when unknown) or the date."""
    if name == "date":
        return date_number(facts.date)
    if name.startswith("spec_"):
        return facts.specs.get(name[5:])
    return getattr(facts, name)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to match: its predicate tree, and what the resolver needs of it, computed once."""

    index: int
    packrule: PackRule
    node: Node
    party_lists: tuple[str, ...] = ()  # lists whose listing makes the rule fire: their parties are named
    hq_groups: tuple[str, ...] = ()  # likewise for headquarters groups
    owner_lists: tuple[str, ...] = ()  # likewise for lists whose entries own a party (the Affiliates rule)

    @property
    def id(self) -> str:
        return self.packrule.rule.id


def _roles(values: Sequence[str], roles: Sequence[str] | None) -> tuple[Atom, ...]:
    if not roles:
        return tuple(values)
    return tuple((v, r) for v in values for r in roles)


def condition_node(cond: Condition, pack: str) -> Node:
    parts: list[Node] = []
    if cond.products:
        parts.append(In("product", tuple(cond.products)))
    if cond.product_tags:
        parts.append(Has("tags", tuple(cond.product_tags)))
    if cond.control_codes:
        parts.append(Has("codes", tuple((pack, c) for c in cond.control_codes)))
    for name, bound in sorted((cond.specs or {}).items()):
        ops: tuple[tuple[Op, float | None], ...] = (
            ("gt", bound.gt),
            ("gte", bound.gte),
            ("lt", bound.lt),
            ("lte", bound.lte),
        )
        parts.extend(Cmp("spec_" + name, op, float(value)) for op, value in ops if value is not None)
    if cond.datacenter is not None:
        # Fail closed: an item not stated to be non-datacenter is treated as a datacenter item.
        parts.append(In("datacenter", ("yes", "unknown") if cond.datacenter else ("no",)))
    if cond.destinations:
        parts.append(In("destination", tuple(cond.destinations)))
    if cond.destination_groups:
        parts.append(Has("dest_groups", tuple(cond.destination_groups)))
    if cond.destination_subdivisions:
        parts.append(In("subdivision", tuple(cond.destination_subdivisions)))
    if cond.origins:
        parts.append(In("origin", tuple(cond.origins)))
    if cond.exporter_countries:
        parts.append(In("exporter_country", tuple(cond.exporter_countries)))
    if cond.activities:
        parts.append(In("activity", tuple(cond.activities)))
    if cond.end_use_codes:
        parts.append(Has("end_uses", tuple(cond.end_use_codes)))
    if cond.party_lists:
        parts.append(Has("party_lists", _roles(cond.party_lists, cond.party_roles)))
    if cond.party_headquarters_groups:
        parts.append(Has("party_hq_groups", _roles(cond.party_headquarters_groups, cond.party_roles)))
    if cond.transaction_countries is not None:
        # "Some country of the transaction satisfies ..." is answered per country in the enrich step (a
        # quantifier the matchers need not know): the line carries the ids of the tests that hold.
        parts.append(Has("country_tests", (country_test_id(cond.transaction_countries),)))
    if cond.party_owner_lists:
        parts.append(Has("party_owner_lists", _roles(cond.party_owner_lists, cond.party_roles)))
    if cond.exporter_lists:
        parts.append(Has("exporter_lists", tuple(cond.exporter_lists)))
    for sub in cond.all or ():
        parts.append(condition_node(sub, pack))
    if cond.any:
        parts.append(Or(tuple(condition_node(sub, pack) for sub in cond.any)))
    if cond.not_ is not None:
        parts.append(Not(condition_node(cond.not_, pack)))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def country_test_id(cond: Condition) -> str:
    """A stable id for a `transaction_countries` condition: equal conditions share it (and its answer)."""
    canonical = json.dumps(cond.model_dump(mode="json", exclude_none=True, by_alias=True), sort_keys=True)
    return "tc-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def country_tests(cond: Condition | None) -> Iterator[Condition]:
    """Every `transaction_countries` condition inside ``cond``, however deep."""
    if cond is None:
        return
    if cond.transaction_countries is not None:
        yield cond.transaction_countries
    for sub in [*(cond.any or ()), *(cond.all or ()), *([cond.not_] if cond.not_ is not None else [])]:
        yield from country_tests(sub)


def scope_node(packrule: PackRule) -> Node:
    """The pack-scope test every rule carries (a pack reaching a line only through an unknown origin is in the
    line's scope too; the resolver tells them apart by ``LineFacts.reach``)."""
    return Has("scope", (packrule.pack,))


def rule_parties(cond: Condition | None) -> tuple[set[str], set[str]]:
    """Party lists and headquarters groups a condition requires, to say which party triggered a rule."""
    lists, groups, _owners = _required_parties(cond)
    return lists, groups


def rule_owner_lists(cond: Condition | None) -> set[str]:
    """Lists a condition requires to own a party (the Affiliates rule), to name the party and its owner."""
    return _required_parties(cond)[2]


def _required_parties(cond: Condition | None) -> tuple[set[str], set[str], set[str]]:
    lists: set[str] = set()
    groups: set[str] = set()
    owners: set[str] = set()
    if cond is None:
        return lists, groups, owners
    lists.update(cond.party_lists or ())
    groups.update(cond.party_headquarters_groups or ())
    owners.update(cond.party_owner_lists or ())
    # Only conditions that must hold name the party; a party test inside `any` may not be why it fired.
    for sub in cond.all or ():
        sub_lists, sub_groups, sub_owners = _required_parties(sub)
        lists |= sub_lists
        groups |= sub_groups
        owners |= sub_owners
    return lists, groups, owners


def compile_rule(index: int, packrule: PackRule) -> CompiledRule:
    rule = packrule.rule
    # Selective tests first, the window last: a date matches most rules' windows at once, and durable-rules
    # walks its network depth first with a stack of 64 pending nodes (see match/durable.py, trap 9).
    parts: list[Node] = [scope_node(packrule), condition_node(rule.when, packrule.pack)]
    if rule.unless is not None:
        parts.append(Not(condition_node(rule.unless, packrule.pack)))
    parts.append(Cmp("date", "gte", float(date_number(rule.effective_from))))
    if rule.effective_to is not None:
        parts.append(Cmp("date", "lte", float(date_number(rule.effective_to))))
    lists, groups, owners = _required_parties(rule.when)
    return CompiledRule(
        index, packrule, And(tuple(parts)), tuple(sorted(lists)), tuple(sorted(groups)), tuple(sorted(owners))
    )


def walk_atoms(node: Node) -> list[In | Has | Cmp]:
    """The leaves of a predicate tree, in order."""
    match node:
        case In() | Has() | Cmp():
            return [node]
        case And(parts) | Or(parts):
            return [a for n in parts for a in walk_atoms(n)]
        case Not(part):
            return walk_atoms(part)
    raise TypeError(f"unknown predicate {node!r}")


def evaluate(node: Node, facts: LineFacts) -> bool:
    """The reference semantics of a predicate tree; the durable-rules translation must agree."""
    match node:
        case In(name, values):
            return field_value(facts, name) in values
        case Has(name, values):
            present = field_value(facts, name)
            return isinstance(present, frozenset) and not present.isdisjoint(values)
        case Cmp(name, op, bound):
            value = field_value(facts, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return False
            if op == "gte":
                return value >= bound
            if op == "gt":
                return value > bound
            if op == "lte":
                return value <= bound
            return value < bound
        case And(parts):
            return all(evaluate(n, facts) for n in parts)
        case Or(parts):
            return any(evaluate(n, facts) for n in parts)
        case Not(part):
            return not evaluate(part, facts)
    raise TypeError(f"unknown predicate {node!r}")
