"""Rule conditions as a small predicate tree over the flat line facts, shared by both matchers.

``compile_rule`` turns a rule's YAML condition (plus its pack scope and effective window) into a tree of
tuples. The reference matcher evaluates the tree directly; the durable-rules matcher translates it into
a ruleset. Both therefore see exactly the same logic, which the property tests check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from compliance.enrich import date_number
from compliance.models.pack import Condition
from compliance.packs import PackRule

__all__ = ["LIST_FIELDS", "SCALAR_FIELDS", "CompiledRule", "Node", "compile_rule", "evaluate"]

Op = Literal["gt", "gte", "lt", "lte"]
# ("in", field, values) scalar field is one of values; ("has", field, values) list field shares a value;
# ("cmp", field, op, number) numeric test, false when the field is absent;
# ("and", nodes), ("or", nodes), ("not", node).
Node = Union[
    tuple[Literal["in"], str, tuple[str, ...]],
    tuple[Literal["has"], str, tuple[str, ...]],
    tuple[Literal["cmp"], str, Op, float],
    tuple[Literal["and"], tuple["Node", ...]],
    tuple[Literal["or"], tuple["Node", ...]],
    tuple[Literal["not"], "Node"],
]

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


def _roles(values: list[str], roles: list[str] | None) -> tuple[str, ...]:
    if not roles:
        return tuple(values)
    return tuple(f"{v}@{r}" for v in values for r in roles)


def condition_node(cond: Condition, pack: str) -> Node:
    parts: list[Node] = []
    if cond.products:
        parts.append(("in", "product", tuple(cond.products)))
    if cond.product_tags:
        parts.append(("has", "tags", tuple(cond.product_tags)))
    if cond.control_codes:
        parts.append(("has", "codes", tuple(f"{pack}:{c}" for c in cond.control_codes)))
    for name, bound in sorted((cond.specs or {}).items()):
        for op in ("gt", "gte", "lt", "lte"):
            value = getattr(bound, op)
            if value is not None:
                parts.append(("cmp", "spec_" + name, op, float(value)))  # type: ignore[arg-type]
    if cond.datacenter is not None:
        # Fail closed: an item not stated to be non-datacenter is treated as a datacenter item.
        parts.append(("in", "datacenter", ("yes", "unknown") if cond.datacenter else ("no",)))
    if cond.destinations:
        parts.append(("in", "destination", tuple(cond.destinations)))
    if cond.destination_groups:
        parts.append(("has", "dest_groups", tuple(cond.destination_groups)))
    if cond.destination_subdivisions:
        parts.append(("in", "subdivision", tuple(cond.destination_subdivisions)))
    if cond.origins:
        parts.append(("in", "origin", tuple(cond.origins)))
    if cond.exporter_countries:
        parts.append(("in", "exporter_country", tuple(cond.exporter_countries)))
    if cond.activities:
        parts.append(("in", "activity", tuple(cond.activities)))
    if cond.end_use_codes:
        parts.append(("has", "end_uses", tuple(cond.end_use_codes)))
    if cond.party_lists:
        parts.append(("has", "party_lists", _roles(cond.party_lists, cond.party_roles)))
    if cond.party_headquarters_groups:
        parts.append(("has", "party_hq_groups", _roles(cond.party_headquarters_groups, cond.party_roles)))
    for sub in cond.all or ():
        parts.append(condition_node(sub, pack))
    if cond.any:
        parts.append(("or", tuple(condition_node(sub, pack) for sub in cond.any)))
    if cond.not_ is not None:
        parts.append(("not", condition_node(cond.not_, pack)))
    return parts[0] if len(parts) == 1 else ("and", tuple(parts))


def compile_rule(index: int, packrule: PackRule) -> CompiledRule:
    rule = packrule.rule
    parts: list[Node] = [
        ("has", "scope", (packrule.pack,)),
        ("cmp", "date", "gte", float(date_number(rule.effective_from))),
    ]
    if rule.effective_to is not None:
        parts.append(("cmp", "date", "lte", float(date_number(rule.effective_to))))
    parts.append(condition_node(rule.when, packrule.pack))
    if rule.unless is not None:
        parts.append(("not", condition_node(rule.unless, packrule.pack)))
    return CompiledRule(index, packrule, ("and", tuple(parts)))


def evaluate(node: Node, fact: dict[str, object]) -> bool:
    """The reference semantics of a predicate tree; the durable-rules translation must agree."""
    tag = node[0]
    if tag == "in":
        return fact.get(node[1]) in node[2]  # type: ignore[misc]
    if tag == "has":
        values = fact.get(node[1]) or ()
        return any(v in node[2] for v in values)  # type: ignore[attr-defined,operator]
    if tag == "cmp":
        value = fact.get(node[1])
        if not isinstance(value, (int, float)):
            return False
        op, bound = node[2], node[3]  # type: ignore[misc]
        if op == "gte":
            return value >= bound
        if op == "gt":
            return value > bound
        if op == "lte":
            return value <= bound
        return value < bound
    if tag == "and":
        return all(evaluate(n, fact) for n in node[1])  # type: ignore[union-attr]
    if tag == "or":
        return any(evaluate(n, fact) for n in node[1])  # type: ignore[union-attr]
    if tag == "not":
        return not evaluate(node[1], fact)  # type: ignore[arg-type]
    raise ValueError(f"unknown predicate {tag!r}")
