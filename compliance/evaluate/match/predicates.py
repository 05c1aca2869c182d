"""Rule conditions as a small predicate tree over the flat line facts, shared by both matchers.

``compile_rule`` turns a rule's YAML condition (plus its pack scope and effective window) into a tree of
small immutable nodes. The reference matcher evaluates the tree directly; the durable-rules matcher translates it into
a ruleset. Both therefore see exactly the same logic, which the property tests check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from compliance.evaluate.enrich import date_number
from compliance.models.pack import Condition
from compliance.packs.packset import PackRule

__all__ = ["LIST_FIELDS", "SCALAR_FIELDS", "CompiledRule", "Node", "compile_rule", "evaluate"]

Op = Literal["gt", "gte", "lt", "lte"]


@dataclass(frozen=True, slots=True)
class In:
    """A scalar field is one of ``values``."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Has:
    """A list field shares at least one of ``values``."""

    field: str
    values: tuple[str, ...]


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
LIST_FIELDS = ("tags", "codes", "specs_known", "dest_groups", "end_uses", "party_lists", "party_hq_groups", "scope")


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int
    packrule: PackRule
    node: Node

    @property
    def id(self) -> str:
        return self.packrule.rule.id


def _roles(values: Sequence[str], roles: Sequence[str] | None) -> tuple[str, ...]:
    if not roles:
        return tuple(values)
    return tuple(f"{v}@{r}" for v in values for r in roles)


def condition_node(cond: Condition, pack: str) -> Node:
    parts: list[Node] = []
    if cond.products:
        parts.append(In("product", tuple(cond.products)))
    if cond.product_tags:
        parts.append(Has("tags", tuple(cond.product_tags)))
    if cond.control_codes:
        parts.append(Has("codes", tuple(f"{pack}:{c}" for c in cond.control_codes)))
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
    for sub in cond.all or ():
        parts.append(condition_node(sub, pack))
    if cond.any:
        parts.append(Or(tuple(condition_node(sub, pack) for sub in cond.any)))
    if cond.not_ is not None:
        parts.append(Not(condition_node(cond.not_, pack)))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def compile_rule(index: int, packrule: PackRule) -> CompiledRule:
    rule = packrule.rule
    parts: list[Node] = [
        Has("scope", (packrule.pack,)),
        Cmp("date", "gte", float(date_number(rule.effective_from))),
    ]
    if rule.effective_to is not None:
        parts.append(Cmp("date", "lte", float(date_number(rule.effective_to))))
    parts.append(condition_node(rule.when, packrule.pack))
    if rule.unless is not None:
        parts.append(Not(condition_node(rule.unless, packrule.pack)))
    return CompiledRule(index, packrule, And(tuple(parts)))


def evaluate(node: Node, fact: dict[str, object]) -> bool:
    """The reference semantics of a predicate tree; the durable-rules translation must agree."""
    match node:
        case In(field, values):
            return fact.get(field) in values
        case Has(field, values):
            present = fact.get(field)
            return isinstance(present, (tuple, list)) and any(v in values for v in present)
        case Cmp(field, op, bound):
            value = fact.get(field)
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
            return all(evaluate(n, fact) for n in parts)
        case Or(parts):
            return any(evaluate(n, fact) for n in parts)
        case Not(part):
            return not evaluate(part, fact)
    raise TypeError(f"unknown predicate {node!r}")
