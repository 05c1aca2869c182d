"""``compliance validate``: every problem in a set of rule packs, from YAML syntax to rules that can never fire.

Three layers, all reported in one run:

1. **Load** (:func:`compliance.packs.collect_packs`): syntax, schema, unknown keys, wrong types, unknown
   references, duplicates, inverted windows, sentinel values. The engine refuses packs with these errors.
2. **Quality** (here): citation forms (:mod:`compliance.citations`), control-code shapes, overlapping
   windows of one rule's versions and of one country's group membership, test cases naming unknown rules.
3. **Static analysis** (here, warnings carrying both locations): rules that can never fire, rules shadowed
   by a wider rule with the same effect, rules whose effects contradict on the same condition and date,
   rules in force only outside their pack's coverage, and end-use codes the transaction vocabulary accepts
   that no rule tests (when the packs test end uses at all; codes documented as informational excepted).

Static analysis works on the predicate trees of :mod:`compliance.evaluate.match.predicates`, the same trees both
matchers evaluate. It is **sound**: "never fires", "shadowed" and "conflicting" are only said when proven.
Approximations, all in the direction of saying nothing:

* each field is reasoned about on its own; links between fields (a destination implies its country
  groups, a product implies its tags and codes) are ignored, so ``destinations: [CN]`` with
  ``not: {destination_groups: [D:1]}`` is not reported although it cannot fire;
* conditions are expanded to disjunctive normal form; past :data:`MAX_TERMS` terms the answer is "unknown";
* shadowing and conflicts are looked for only between rules of the same pack (their scopes differ otherwise).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from compliance.authoring.citelinks import missing_urls
from compliance.citations import check_citation
from compliance.codes import check_control_code
from compliance.errors import ExitCode, Location, PackError, Problem
from compliance.evaluate.facts import Atom
from compliance.evaluate.match.predicates import And, Cmp, Has, In, Node, Not, Or, condition_node, scope_node
from compliance.models.pack import (
    CatalogFile,
    Condition,
    ControlCode,
    CountryGroupsFile,
    GroupMember,
    MaterialsFile,
    PackMeta,
    Rule,
    RulesFile,
)
from compliance.models.transaction import END_USE_CODES, INFORMATIONAL_END_USE_CODES
from compliance.packs.files import ParsedFile
from compliance.packs.load import collect_packs
from compliance.packs.packset import PackRule, PackSet
from compliance.source import Document, PathKey

__all__ = [
    "MAX_TERMS",
    "ValidationReport",
    "analyse",
    "check_control_code",
    "quality_problems",
    "satisfiable",
    "validate",
]

SCHEMA_VERSION = "1"
MAX_TERMS = 256


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What ``validate`` found: every problem, sorted, plus what was checked (for SARIF and JUnit)."""

    problems: tuple[Problem, ...]
    files: tuple[str, ...]
    rules: int
    cases: int

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "warning")

    def exit_code(self, *, strict: bool = False) -> ExitCode:
        if self.errors or (strict and self.warnings):
            return ExitCode.PACK_ERROR
        return ExitCode.ALLOW

    def summary(self) -> str:
        return (
            f"{len(self.files)} file(s), {self.rules} rule(s), {self.cases} test case(s): "
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "schema_version": SCHEMA_VERSION,
            "summary": {
                "files": len(self.files),
                "rules": self.rules,
                "cases": self.cases,
                "errors": len(self.errors),
                "warnings": len(self.warnings),
            },
            "problems": [p.to_dict() for p in self.problems],
        }


def validate(roots: Sequence[str | Path]) -> ValidationReport:
    """Every problem in the packs (and their test cases) under ``roots``; never raises on bad content."""
    from compliance.authoring.cases import load_cases  # cases import the engine; keep `lint` importable without it

    collected = collect_packs(roots)
    problems = list(collected.problems)
    problems += quality_problems(collected.files)
    n_cases = 0
    if collected.packset is not None:
        problems += analyse(collected.packset)
        case_roots: list[str | Path] = [r for r in roots if Path(r).is_dir()] + list(collected.test_files)
        try:
            n_cases = len(load_cases(case_roots, {r.rule.id for r in collected.packset.rules}))
        except PackError as err:
            problems += err.problems
    files = sorted({f.name for f in collected.files} | {p.location.file for p in problems} | set(collected.test_files))
    rules = (
        len(collected.packset.rules)
        if collected.packset
        else sum(len(f.model.rules) for f in collected.files if isinstance(f.model, RulesFile))
    )
    return ValidationReport(tuple(sorted(set(problems))), tuple(files), rules, n_cases)


# --------------------------------------------------------------------------------------------- quality


def quality_problems(files: Iterable[ParsedFile]) -> list[Problem]:
    """Citation forms, control-code shapes and overlapping windows in files that loaded."""
    files = list(files)
    out: list[Problem] = []
    for f in files:
        out += _citation_problems(f.doc)
        if isinstance(f.model, RulesFile):
            for i, rule in f.rules():
                for key in ("when", "unless"):
                    out += _code_problems(f.doc, f.model.pack, ("rules", i, key), getattr(rule, key) is not None)
        elif isinstance(f.model, CatalogFile):
            for i, product in enumerate(f.model.products):
                out += _product_code_problems(f.doc, ("products", i), product.controls)
        elif isinstance(f.model, MaterialsFile):
            for i, family in enumerate(f.model.families):
                out += _product_code_problems(f.doc, ("families", i), family.controls)
                for j, form in enumerate(family.forms):
                    out += _product_code_problems(f.doc, ("families", i, "forms", j), form.controls)
        elif isinstance(f.model, CountryGroupsFile):
            out += _membership_overlaps(f)
    out += _version_overlaps(files)
    return out


def _product_code_problems(doc: Document, at: PathKey, controls: dict[str, ControlCode]) -> list[Problem]:
    out: list[Problem] = []
    for pack, control in controls.items():
        if control.code is not None:
            bad = check_control_code(pack, control.code)
            if bad:
                where = doc.locate((*at, "controls", pack, "code"))
                out.append(Problem(where, "control-code-shape", f"controls.{pack}.code: {bad[0]}", help=bad[1]))
    return out


def _citation_problems(doc: Document) -> list[Problem]:
    out: list[Problem] = []

    def walk(value: object, at: PathKey) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                if key in ("citations", "sources") and isinstance(sub, list):
                    for i, cite in enumerate(sub):
                        if isinstance(cite, dict) and isinstance(cite.get("cite"), str):
                            url = cite.get("url")
                            bad = check_citation(cite["cite"], url if isinstance(url, str) else None)
                            if bad:
                                out.append(
                                    Problem(doc.locate((*at, key, i, "cite")), "citation-form", bad[0], help=bad[1])
                                )
                else:
                    walk(sub, (*at, key))
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(sub, (*at, i))

    walk(doc.data, ())
    for m in missing_urls(doc):
        out.append(
            Problem(
                doc.locate((*m.at, "cite")),
                "citation-url",
                f"citation {m.cite!r} has no url, and its form gives one",
                level="warning",
                help=f'add `url: "{m.url}"` (scripts/fill_citation_urls.py adds them all), or `secondary: true` '
                "if the text cited is not the instrument itself",
            )
        )
    return out


def _code_problems(doc: Document, pack: str, at: PathKey, present: bool) -> list[Problem]:
    out: list[Problem] = []

    def walk(value: object, path: PathKey) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                if key == "control_codes" and isinstance(sub, list):
                    for j, code in enumerate(sub):
                        bad = check_control_code(pack, code) if isinstance(code, str) else None
                        if bad:
                            where = doc.locate((*path, key, j))
                            out.append(Problem(where, "control-code-shape", f"control_codes: {bad[0]}", help=bad[1]))
                else:
                    walk(sub, (*path, key))
        elif isinstance(value, list):
            for j, sub in enumerate(value):
                walk(sub, (*path, j))

    if present and isinstance(doc.data, dict):
        node: object = doc.data
        for part in at:
            node = node[part] if isinstance(node, (dict, list)) else None  # type: ignore[index]
        walk(node, at)
    return out


def _overlap(a: tuple[dt.date | None, dt.date | None], b: tuple[dt.date | None, dt.date | None]) -> bool:
    lo = max(a[0] or dt.date.min, b[0] or dt.date.min)
    hi = min(a[1] or dt.date.max, b[1] or dt.date.max)
    return lo <= hi


def _membership_overlaps(f: ParsedFile) -> list[Problem]:
    assert isinstance(f.model, CountryGroupsFile)
    out: list[Problem] = []
    for i, group in enumerate(f.model.groups):
        seen: dict[str, list[tuple[tuple[dt.date | None, dt.date | None], Location]]] = {}
        for j, member in enumerate(group.members):
            country, window = (
                (member.country, (member.from_, member.to))
                if isinstance(member, GroupMember)
                else (member, (None, None))
            )
            here = f.doc.locate(("groups", i, "members", j))
            for other, there in seen.get(country, []):
                if _overlap(window, other):
                    out.append(
                        Problem(
                            here,
                            "overlapping-window",
                            f"{group.id}: {country} is listed twice for overlapping dates (also at {there})",
                            level="warning",
                            help="merge the entries or make the dates disjoint",
                            related=(there,),
                        )
                    )
            seen.setdefault(country, []).append((window, here))
    return out


# `us-ear.ac.3a090-license-2025` and `us-ear.ac.3a090-license-v2` are versions of `us-ear.ac.3a090-license`.
_VERSION_SUFFIX = re.compile(r"-(?:v\d+|\d{4}(?:-\d{2}){0,2})$")


def id_stem(rule_id: str) -> str:
    return _VERSION_SUFFIX.sub("", rule_id)


def _version_overlaps(files: list[ParsedFile]) -> list[Problem]:
    """Versions of one rule (same id stem) must hand over, not overlap: both would fire on the same date."""
    by_stem: dict[str, list[tuple[Rule, Location]]] = {}
    for f in files:
        for i, rule in f.rules():
            by_stem.setdefault(id_stem(rule.id), []).append((rule, f.doc.locate(("rules", i, "id"))))
    out: list[Problem] = []
    for versions in by_stem.values():
        for (a, a_at), (b, b_at) in combinations(versions, 2):
            if a.id != b.id and _overlap((a.effective_from, a.effective_to), (b.effective_from, b.effective_to)):
                out.append(
                    Problem(
                        b_at,
                        "overlapping-window",
                        f"rule {b.id!r} is a version of {a.id!r} ({a_at}) and both are "
                        f"in force on {max(a.effective_from, b.effective_from)}",
                        level="warning",
                        help="give the older version an `effective_to` the day before the newer one starts",
                        related=(a_at,),
                    )
                )
    return out


# --------------------------------------------------------------------------------------- static analysis

Literal_ = tuple[bool, Node]  # (positive?, atom)
_FIELD_KEYS = {
    "product": "products",
    "tags": "product_tags",
    "codes": "control_codes",
    "destination": "destinations",
    "dest_groups": "destination_groups",
    "subdivision": "destination_subdivisions",
    "origin": "origins",
    "exporter_country": "exporter_countries",
    "activity": "activities",
    "end_uses": "end_use_codes",
    "party_lists": "party_lists",
    "party_hq_groups": "party_headquarters_groups",
    "party_owner_lists": "party_owner_lists",
    "exporter_lists": "exporter_lists",
    "datacenter": "datacenter",
    "scope": "pack scope",
    "country_tests": "transaction_countries",
}


class _TooComplex(Exception):
    pass


def _dnf(node: Node, positive: bool = True) -> list[list[Literal_]]:
    """Disjunctive normal form of ``node`` (negated when not ``positive``); raises when it would be too big."""
    if isinstance(node, Not):
        return _dnf(node.part, not positive)
    if isinstance(node, (And, Or)):
        conjunctive = isinstance(node, And) == positive
        if not conjunctive:
            terms = [t for child in node.parts for t in _dnf(child, positive)]
            if len(terms) > MAX_TERMS:
                raise _TooComplex
            return terms
        product: list[list[Literal_]] = [[]]
        for child in node.parts:
            product = [a + b for a in product for b in _dnf(child, positive)]
            if len(product) > MAX_TERMS:
                raise _TooComplex
        return product
    return [[(positive, node)]]


def _conflict(term: list[Literal_]) -> str | None:
    """The field on which ``term`` contradicts itself, or ``None`` when it may hold (fields taken one by one)."""
    allowed: dict[str, set[str]] = {}
    excluded: dict[str, set[str]] = {}
    needs: dict[str, list[set[Atom]]] = {}
    lacks: dict[str, set[Atom]] = {}
    bounds: dict[str, list[tuple[bool, str, float]]] = {}
    for positive, atom in term:
        if isinstance(atom, In):
            values = set(atom.values)
            if positive:
                allowed[atom.field] = allowed[atom.field] & values if atom.field in allowed else values
            else:
                excluded.setdefault(atom.field, set()).update(values)
        elif isinstance(atom, Has):
            atoms = set(atom.values)
            if positive:
                needs.setdefault(atom.field, []).append(atoms)
            else:
                lacks.setdefault(atom.field, set()).update(atoms)
        elif isinstance(atom, Cmp):
            bounds.setdefault(atom.field, []).append((positive, atom.op, atom.bound))
    for name, values in allowed.items():
        if not values - excluded.get(name, set()):
            return name
    for name, sets in needs.items():
        if any(not s - lacks.get(name, set()) for s in sets):
            return name
    for name, tests in bounds.items():
        if any(p for p, _o, _v in tests) and _empty_interval(tests):
            return name  # only when a positive test makes the value present; `not` alone holds when absent
    return None


_NEGATE = {"gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}


def _empty_interval(tests: list[tuple[bool, str, float]]) -> bool:
    lo, lo_open, hi, hi_open = float("-inf"), False, float("inf"), False
    for positive, op, value in tests:
        op = op if positive else _NEGATE[op]
        if op in ("gt", "gte") and (value > lo or (value == lo and op == "gt")):
            lo, lo_open = value, op == "gt"
        elif op in ("lt", "lte") and (value < hi or (value == hi and op == "lt")):
            hi, hi_open = value, op == "lt"
    return lo > hi or (lo == hi and (lo_open or hi_open))


def satisfiable(node: Node) -> bool | None:
    """``False`` only when ``node`` provably never holds; ``None`` when too complex to tell."""
    try:
        terms = _dnf(node)
    except _TooComplex:
        return None
    return any(_conflict(t) is None for t in terms)


def _implies(a: Node, b: Node) -> bool:
    """``a`` provably implies ``b`` (``a and not b`` never holds)."""
    return satisfiable(And((a, Not(b)))) is False


def _rule_node(pr: PackRule) -> Node:
    """The rule's condition with its scope, without its window (windows are compared as dates)."""
    parts: list[Node] = [scope_node(pr), condition_node(pr.rule.when, pr.pack)]
    if pr.rule.unless is not None:
        parts.append(Not(condition_node(pr.rule.unless, pr.pack)))
    return And(tuple(parts))


def _never_reason(node: Node) -> str | None:
    try:
        terms = _dnf(node)
    except _TooComplex:
        return None
    reasons = [_conflict(t) for t in terms]
    if any(r is None for r in reasons):
        return None
    names = sorted({r for r in reasons if r})
    return ", ".join(
        _FIELD_KEYS.get(n, "specs." + n.removeprefix("spec_") if n.startswith("spec_") else n) for n in names
    )


def _window(rule: Rule) -> tuple[dt.date, dt.date | None]:
    return rule.effective_from, rule.effective_to


def _fmt_window(lo: dt.date, hi: dt.date | None) -> str:
    return f"{lo} to {hi or 'open'}"


def analyse(packset: PackSet) -> list[Problem]:
    """Static analysis of a loaded pack set: warnings, each naming both places involved."""
    out: list[Problem] = []
    metas = {p.meta.id: (p.meta, p.location) for p in packset.packs}
    nodes = {pr.rule.id: _rule_node(pr) for pr in packset.rules}
    dead: set[str] = set()
    for pr in packset.rules:
        reason = _never_reason(nodes[pr.rule.id])
        if reason is not None:
            dead.add(pr.rule.id)  # a rule that never fires is "implied" by everything: keep it out of pairs
            out.append(
                Problem(
                    pr.location,
                    "never-fires",
                    f"rule {pr.rule.id!r} can never fire: its conditions on {reason} contradict each other",
                    level="warning",
                    help="remove the contradiction or the rule",
                )
            )
        meta_at = metas.get(pr.pack)
        if meta_at is not None:
            out += _coverage(pr, *meta_at)
    by_pack: dict[str, list[PackRule]] = {}
    for pr in packset.rules:
        if pr.rule.id not in dead:
            by_pack.setdefault(pr.pack, []).append(pr)
    for rules in by_pack.values():
        for a, b in combinations(rules, 2):
            out += _pair(a, b, nodes)
    out += _untested_vocabulary(packset)
    return out


def _end_uses(cond: Condition | None) -> set[str]:
    if cond is None:
        return set()
    found: set[str] = set(cond.end_use_codes or ())
    for sub in [*(cond.any or ()), *(cond.all or ()), *([cond.not_] if cond.not_ is not None else [])]:
        found |= _end_uses(sub)
    return found


def _untested_vocabulary(packset: PackSet) -> list[Problem]:
    """An end-use code a transaction may declare but no rule tests is silently ignored: say so.

    Only for pack sets that test end uses at all (a pack set about something else does not claim the
    vocabulary); informational codes (``INFORMATIONAL_END_USE_CODES``) are exempt by documentation."""
    tested: set[str] = set()
    first: dict[str, Location] = {}
    for pr in packset.rules:
        found = _end_uses(pr.rule.when) | _end_uses(pr.rule.unless)
        if found:
            first.setdefault(pr.pack, pr.location)
        tested |= found
    if not tested:
        return []
    metas = {p.meta.id: p.location for p in packset.packs}
    pack = sorted(first)[0]
    at = metas.get(pack, first[pack])
    return [
        Problem(
            at,
            "untested-vocabulary",
            f"end-use code {code!r} is accepted in transactions but no rule tests it: an order declaring it is "
            "decided as if it had not",
            level="warning",
            help="add a rule that tests it, or document it as informational (INFORMATIONAL_END_USE_CODES in "
            "compliance/models/transaction.py)",
        )
        for code in END_USE_CODES
        if code not in tested and code not in INFORMATIONAL_END_USE_CODES
    ]


def _coverage(pr: PackRule, meta: PackMeta, meta_at: Location) -> list[Problem]:
    lo, hi = _window(pr.rule)
    if (hi is not None and hi < meta.coverage_from) or (meta.coverage_to is not None and lo > meta.coverage_to):
        return [
            Problem(
                pr.location,
                "window-outside-coverage",
                f"rule {pr.rule.id!r} is in force {_fmt_window(lo, hi)}, entirely outside the coverage of pack "
                f"{meta.id!r}, {_fmt_window(meta.coverage_from, meta.coverage_to)} ({meta_at}); it can only fire "
                "on dates the engine sends to review",
                level="warning",
                help="widen the pack's coverage or correct the rule's dates",
                related=(meta_at,),
            )
        ]
    return []


def _pair(a: PackRule, b: PackRule, nodes: dict[str, Node]) -> list[Problem]:
    wa, wb = _window(a.rule), _window(b.rule)
    if not _overlap(wa, wb):
        return []
    lo = max(wa[0], wb[0])
    his = [h for h in (wa[1], wb[1]) if h is not None]
    span = _fmt_window(lo, min(his) if his else None)
    na, nb = nodes[a.rule.id], nodes[b.rule.id]
    same = a.rule.effect == b.rule.effect and getattr(a.rule, "authority", None) == getattr(b.rule, "authority", None)
    a_in_b, b_in_a = _implies(na, nb), _implies(nb, na)
    out: list[Problem] = []
    if same:
        # Report the narrower rule; of two equal ones, the later.
        if b_in_a:
            out.append(_shadow(b, a, span, equal=a_in_b))
        elif a_in_b:
            out.append(_shadow(a, b, span, equal=False))
    elif a_in_b and b_in_a:
        out.append(
            Problem(
                b.location,
                "conflicting-effects",
                f"rules {a.rule.id!r} ({a.rule.effect}, {a.location}) and {b.rule.id!r} ({b.rule.effect}) apply "
                f"under the same condition from {span} with different effects",
                level="warning",
                help="decide which effect the law gives and remove or narrow the other rule",
                related=(a.location,),
            )
        )
    return out


def _shadow(narrow: PackRule, wide: PackRule, span: str, *, equal: bool) -> Problem:
    how = "the same condition as" if equal else "a narrower condition than"
    return Problem(
        narrow.location,
        "shadowed-rule",
        f"rule {narrow.rule.id!r} has {how} {wide.rule.id!r} ({wide.location}) and the same effect "
        f"({narrow.rule.effect}) from {span}: wherever it fires, {wide.rule.id!r} fires too",
        level="warning",
        help="merge the rules (keep both citations) or narrow the wider one",
        related=(wide.location,),
    )
