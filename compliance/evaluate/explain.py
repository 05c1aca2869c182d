"""Why each rule did or did not apply to each line: ``Engine.explain`` and ``compliance check --explain``.

For every line, each rule whose pack's scope covers it is traced with the *reference* semantics of the predicate
tree (:func:`compliance.evaluate.match.predicates.evaluate`, the plain-Python matcher the durable-rules backend is
tested to agree with): its effective window first, then its ``when`` condition, then its ``unless`` exemption;
the first test that fails is said with the line's own value ("destination DE not in D:5 on 2025-09-01"). A rule
that fired names its outcome and, for a licence requirement, each licence on file with the reason it does or
does not cover the line (:func:`compliance.evaluate.licenses.check_license`, as the decision does). The decision
itself comes from the engine's own matcher and is included unchanged.

Not traced: rules of packs whose scope does not cover the line (listed by pack), and the shadows of rules past an
unconfirmed end (the ``engine.law-unconfirmed`` finding says what they change).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from compliance.evaluate.facts import Atom, Line, LineFacts, transaction_countries
from compliance.evaluate.licenses import check_license, license_facts
from compliance.evaluate.match.predicates import (
    And,
    Cmp,
    CompiledRule,
    Has,
    In,
    Node,
    Not,
    Or,
    condition_node,
    country_test_id,
    country_tests,
    evaluate,
    field_value,
)
from compliance.evaluate.values import DecisionValue, to_model
from compliance.models.explain import Explanation, LicenseTrial, LineExplanation, RuleTrace
from compliance.models.pack import Condition, LicenseRule
from compliance.models.transaction import Transaction
from compliance.packs.packset import PackSet

__all__ = ["Context", "explain_decision", "first_failure"]

_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


@dataclass(frozen=True, slots=True)
class Context:
    """What the words of a failing test need beyond the line: the transaction's countries, and the
    `transaction_countries` conditions by test id."""

    countries: tuple[str, ...] = ()
    tests: Mapping[str, Condition] = field(default_factory=dict)


def _atom(a: Atom) -> str:
    if isinstance(a, tuple):
        first, second = a
        # (pack, code) for control codes, (list or group, role) for party tests
        return f"{second}" if "-" in first and second[:1].isdigit() else f"{first} as {second}"
    return a


def _vals(values: Sequence[Atom]) -> str:
    # (list, role) pairs grouped by list: `us-entity-list as purchaser/end_user`
    grouped: dict[str, list[str]] = {}
    plain: list[str] = []
    for v in values:
        if isinstance(v, tuple) and not (v[1][:1].isdigit()):
            grouped.setdefault(v[0], []).append(v[1])
        else:
            plain.append(_atom(v))
    return ", ".join([*plain, *(f"{k} as {'/'.join(roles)}" for k, roles in grouped.items())])


def _country_text(cond: Condition) -> str:
    """A `transaction_countries` condition in words (only country keys may appear in one)."""
    parts: list[str] = []
    if cond.destinations:
        parts.append(f"in {', '.join(cond.destinations)}")
    if cond.destination_groups:
        parts.append(f"in {', '.join(cond.destination_groups)}")
    parts += [_country_text(sub) for sub in cond.all or ()]
    if cond.any:
        parts.append("(" + " or ".join(_country_text(sub) for sub in cond.any) + ")")
    if cond.not_ is not None:
        parts.append(f"not {_country_text(cond.not_)}")
    return " and ".join(parts)


def _set(present: object) -> str:
    if isinstance(present, frozenset) and present:
        return ", ".join(sorted(_atom(a) for a in present))
    return "none"


def _leaf(node: In | Has | Cmp, facts: LineFacts, ctx: Context) -> str:
    """Why a leaf test fails on ``facts``, with the line's value."""
    if isinstance(node, Cmp):
        if node.field == "date":
            return f"date {facts.date} not {_OPS[node.op]} {int(node.bound)}"
        value = field_value(facts, node.field)
        name = node.field.removeprefix("spec_")
        if value is None:
            return f"spec {name} not known (an unknown spec never matches; needs {_OPS[node.op]} {node.bound:g})"
        return f"spec {name} = {value:g}, not {_OPS[node.op]} {node.bound:g}"
    present = field_value(facts, node.field)
    vals = _vals(node.values)
    match node.field:
        case "destination":
            return f"destination {facts.destination} not in {vals}"
        case "product":
            return f"product {facts.product or '(no catalog product)'} is not {vals}"
        case "datacenter":
            return f"datacenter is {facts.datacenter}, not {vals}"
        case "subdivision":
            return f"destination subdivision {facts.subdivision or '(none)'} not in {vals}"
        case "origin":
            return f"origin {facts.origin or '(not given)'} not in {vals}"
        case "exporter_country":
            return f"exporter country {facts.exporter_country or '(not given)'} not in {vals}"
        case "activity":
            return f"activity {facts.activity} not in {vals}"
        case "dest_groups":
            return f"destination {facts.destination} not in {vals} on {facts.date}"
        case "tags":
            return f"product {facts.product or '(no catalog product)'} has none of the tags {vals}"
        case "codes":
            mine = sorted(code for _pack, code in facts.codes)
            return f"control codes ({', '.join(mine) or 'none given or catalogued'}) include none of {vals}"
        case "end_uses":
            return f"declared end uses ({_set(present)}) include none of {vals}"
        case "party_lists":
            return f"no party on {vals} on {facts.date}"
        case "party_hq_groups":
            return f"no party headquartered in {vals} on {facts.date}"
        case "party_owner_lists":
            return f"no party owned 50% or more by entries of {vals}"
        case "exporter_lists":
            return f"the exporter is not on {vals}"
        case "country_tests":
            tests = [ctx.tests.get(str(v)) for v in node.values]
            what = " or ".join(_country_text(t) for t in tests if t is not None) or "meets the rule's country test"
            return f"no country of the transaction ({', '.join(ctx.countries)}) is {what} on {facts.date}"
        case "scope":
            return f"pack {vals} does not cover the line"
    return f"{node.field} ({_set(present) if isinstance(present, frozenset) else present}) not in {vals}"


def _holds(node: Node, facts: LineFacts) -> str:
    """What holds, for a failing ``not`` (the thing it excludes is present)."""
    match node:
        case In(name, values):
            return f"{name} {field_value(facts, name)} is {_vals(values)}"
        case Has(name, values):
            hit = sorted(_atom(v) for v in values if v in field_value(facts, name))  # type: ignore[operator]
            return f"{name.replace('_', ' ')} include {', '.join(hit)}"
        case Cmp(name, op, bound):
            return f"{name.removeprefix('spec_')} {_OPS[op]} {bound:g}"
        case And(parts):
            return " and ".join(_holds(p, facts) for p in parts)
        case Or(parts):
            return next(_holds(p, facts) for p in parts if evaluate(p, facts))
        case Not(part):
            return f"not ({first_failure(part, facts) or 'it'})"
    raise TypeError(f"unknown predicate {node!r}")


def first_failure(node: Node, facts: LineFacts, ctx: Context | None = None) -> str | None:
    """The first test of ``node`` that fails on ``facts``, in words; ``None`` when the whole node holds."""
    ctx = ctx or Context()
    match node:
        case In() | Has() | Cmp():
            return None if evaluate(node, facts) else _leaf(node, facts, ctx)
        case And(parts):
            for part in parts:
                why = first_failure(part, facts, ctx)
                if why is not None:
                    return why
            return None
        case Or(parts):
            whys = [first_failure(p, facts, ctx) for p in parts]
            if any(w is None for w in whys):
                return None
            return "none of: " + "; ".join(w for w in whys if w)
        case Not(part):
            return f"excluded: {_holds(part, facts)}" if evaluate(part, facts) else None
    raise TypeError(f"unknown predicate {node!r}")


def _window(rule: LicenseRule | object, on: dt.date) -> str | None:
    start = getattr(rule, "effective_from", None)
    end = getattr(rule, "effective_to", None)
    if start is not None and on < start:
        return f"not yet in force on {on} (from {start})"
    if end is not None and on > end:
        return f"no longer in force on {on} (ended {end})"
    return None


def explain_decision(
    packset: PackSet,
    rules: Sequence[CompiledRule],
    tx: Transaction,
    on: dt.date,
    lines: Sequence[Line],
    value: DecisionValue,
) -> Explanation:
    """The explanation of ``value`` (the engine's decision of ``tx`` on ``on``), from the enriched ``lines``."""
    decision = to_model(value)
    tests: dict[str, Condition] = {}
    for compiled in rules:
        rule = compiled.packrule.rule
        for cond in [*country_tests(rule.when), *country_tests(rule.unless)]:
            tests.setdefault(country_test_id(cond), cond)
    ctx = Context(transaction_countries(tx), tests)
    licenses = license_facts(tx, packset.catalog) if tx.licenses else ()
    by_line = {ld.line: ld for ld in decision.lines}
    found = {(f.rule_id, f.line): f for f in value.findings}
    shared = [f"{f.rule_id}: {f.outcome}" for f in value.findings if f.line is None]
    out: list[LineExplanation] = []
    for line in lines:
        facts = line.facts
        traces: list[RuleTrace] = []
        for compiled in rules:
            pack = compiled.packrule.pack
            if pack not in facts.scope:
                continue
            rule = compiled.packrule.rule
            why = _window(rule, on) or first_failure(condition_node(rule.when, pack), facts, ctx)
            if why is None and rule.unless is not None and evaluate(condition_node(rule.unless, pack), facts):
                why = f"exempt (unless): {_holds(condition_node(rule.unless, pack), facts)}"
            if why is not None:
                traces.append(
                    RuleTrace(rule_id=rule.id, pack=pack, effect=rule.effect, status="not-applicable", failed=why)
                )
                continue
            finding = found.get((rule.id, line.number))
            trials: list[LicenseTrial] = []
            if isinstance(rule, LicenseRule):
                named = finding.parties if finding is not None else ()
                for lic in licenses:
                    verdict = check_license(lic, rule, on, tx, line, lines, named, pack)
                    trials.append(LicenseTrial(license=lic.license.id, status=verdict.status, reason=verdict.reason))
                    if verdict.status == "covers":
                        break
            traces.append(
                RuleTrace(
                    rule_id=rule.id,
                    pack=pack,
                    effect=rule.effect,
                    status="fired",
                    outcome=finding.outcome if finding is not None else None,
                    licenses=trials,
                )
            )
        traces.sort(key=lambda t: (t.status != "fired", t.rule_id))
        ld = by_line[line.number]
        checks = [f"{f.rule_id}: {f.outcome}" for f in value.findings if f.line == line.number and f.pack == "engine"]
        out.append(
            LineExplanation(
                line=line.number,
                decision=ld.decision,
                product=ld.product,
                control_codes=ld.control_codes,
                packs_in_scope=sorted(facts.scope),
                rules=traces,
                engine_checks=[*checks, *shared],
            )
        )
    return Explanation(transaction_id=tx.id, as_of=on, matcher="reference", lines=out, decision=decision)
