"""Memoised matching: lines the rules cannot tell apart match the same rules, so ask the core once.

Matching is a pure function of the line facts, and a predicate tree's truth depends only on the truth
of its atoms (``destination in {CN, MO}``, ``codes share {3A090}``, ``spec_tpp >= 4800``, ``date >= ...``).
The cache key is therefore the facts *projected* onto what the atoms can see, field by field:

* a scalar tested by ``In`` keeps its value if some rule names it, else becomes "other";
* a set tested by ``Has`` keeps only the values some rule names (``{D:1, D:4, D:5, B}`` -> ``{D:1, D:5}``);
* a number or date tested by ``Cmp`` becomes its position among the bounds the rules compare it with
  (all date boundaries come from the predicate trees themselves, so windows and any other date test are
  exact to the day).

Rules are independent of one another, so they are matched in *segments*: rules of one pack that test the
same fields (or a subset of them) share a segment, with its own projection, cache and matching core. A
segment's key leaves out every field its rules do not test, so the embargo rules are not asked again
for each new customer, nor the Entity List rules for each new product: a first pass over a new corpus is
answered mostly from the cache too. Equal keys give equal truth to every atom of the segment, hence equal
matches (``tests/match/test_memo.py`` checks it against the uncached path).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence

from compliance.evaluate.facts import Atom, LineFacts
from compliance.evaluate.match.base import Matcher
from compliance.evaluate.match.predicates import And, Cmp, CompiledRule, Has, In, Node, Not, Or

__all__ = ["MemoMatcher", "Projection", "fields_of", "segments"]

# Bounded so a 1M-record stream stays well under 300 MB (per segment; keys are a few small tuples).
_MAX_ENTRIES = 50_000
_OTHER = "\x00other"

Key = tuple[object, ...]


def _atoms(node: Node) -> list[In | Has | Cmp]:
    match node:
        case In() | Has() | Cmp():
            return [node]
        case And(parts) | Or(parts):
            return [a for n in parts for a in _atoms(n)]
        case Not(part):
            return _atoms(part)
    raise TypeError(f"unknown predicate {node!r}")


def fields_of(rule: CompiledRule) -> frozenset[str]:
    """The fields a rule's atoms test (its scope and dates included)."""
    return frozenset(a.field for a in _atoms(rule.node))


def segments(rules: Sequence[CompiledRule]) -> list[list[CompiledRule]]:
    """Rules grouped so that each group's cache key is small: per pack, by the fields they test.

    Field sets are taken largest first; a rule joins the first segment of its pack whose fields include all
    of its own (its key space then adds nothing), else it starts a segment.
    """
    chosen: list[tuple[str, frozenset[str], list[CompiledRule]]] = []
    for rule in sorted(rules, key=lambda r: (r.packrule.pack, -len(fields_of(r)), r.index)):
        fields = fields_of(rule)
        for pack, have, members in chosen:
            if pack == rule.packrule.pack and fields <= have:
                members.append(rule)
                break
        else:
            chosen.append((rule.packrule.pack, fields, [rule]))
    return [sorted(members, key=lambda r: r.index) for _pack, _fields, members in chosen]


def _points(tests: set[tuple[str, float]], integral: bool) -> tuple[float, ...]:
    """The values at which some comparison changes its answer.

    For integers (dates as YYYYMMDD) every test is a threshold ``value >= point``: ``> b`` and ``<= b``
    change at ``b + 1``. For real numbers, both sides of each bound matter (``bisect_left``/``right``).
    """
    if not integral:
        return tuple(sorted({b for _op, b in tests}))
    out = set()
    for op, bound in tests:
        out.add(float(math.ceil(bound)) if op in ("gte", "lt") else float(math.floor(bound) + 1))
    return tuple(sorted(out))


class Projection:
    """Maps line facts to the tuple of what some rules' atoms can tell apart."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        scalars: dict[str, set[str]] = {}
        sets: dict[str, set[Atom]] = {}
        numbers: dict[str, set[tuple[str, float]]] = {}
        for rule in rules:
            for atom in _atoms(rule.node):
                if isinstance(atom, In):
                    scalars.setdefault(atom.field, set()).update(atom.values)
                elif isinstance(atom, Has):
                    sets.setdefault(atom.field, set()).update(atom.values)
                else:
                    numbers.setdefault(atom.field, set()).add((atom.op, atom.bound))
        self._scalars: tuple[tuple[str, frozenset[str]], ...] = tuple(
            (name, frozenset(values)) for name, values in sorted(scalars.items())
        )
        self._sets: tuple[tuple[str, frozenset[Atom]], ...] = tuple(
            (name, frozenset(values)) for name, values in sorted(sets.items())
        )
        self._dates = _points(numbers.pop("date", set()), integral=True)
        self._specs = tuple(
            (name.removeprefix("spec_"), _points(tests, integral=False)) for name, tests in sorted(numbers.items())
        )
        self._key: Callable[[LineFacts], Key] = self._build()

    @property
    def date_boundaries(self) -> tuple[float, ...]:
        """The days (as YYYYMMDD) on which some rule of these starts or stops applying."""
        return self._dates

    def _build(self) -> Callable[[LineFacts], Key]:
        """The key function, generated as straight-line code: it runs for every line, several times."""
        env: dict[str, object] = {"_right": bisect.bisect_right, "_left": bisect.bisect_left, "_OTHER": _OTHER}
        parts: list[str] = []
        if self._dates:
            env["_dates"] = self._dates
            parts.append("_right(_dates, (d := f.date).year * 10000 + d.month * 100 + d.day)")
        for i, (name, names) in enumerate(self._scalars):
            env[f"_n{i}"] = names
            parts.append(f"(v if (v := f.{name}) in _n{i} else _OTHER)")
        for i, (name, atoms) in enumerate(self._sets):
            env[f"_a{i}"] = atoms
            parts.append(f"_a{i} & f.{name}")
        for i, (name, points) in enumerate(self._specs):
            env[f"_p{i}"] = points
            get = f"f.specs.get({name!r})"
            parts.append(f"(None if (v := {get}) is None else (_left(_p{i}, v), _right(_p{i}, v)))")
        source = "def key(f):\n    return (" + "".join(p + ", " for p in parts) + ")\n"
        exec(compile(source, "<projection>", "exec"), env)  # fields and names come from validated packs
        key: Callable[[LineFacts], Key] = env["key"]  # type: ignore[assignment]
        return key

    def key(self, facts: LineFacts) -> Key:
        return self._key(facts)


class _Segment:
    __slots__ = ("cache", "inner", "key", "pack")

    def __init__(self, rules: Sequence[CompiledRule], inner: Matcher) -> None:
        self.pack = rules[0].packrule.pack
        self.key = Projection(rules).key
        self.inner = inner
        self.cache: dict[Key, tuple[int, ...]] = {}


class MemoMatcher:
    """Matches through two levels of bounded caches: the whole line, then segment by segment.

    The line cache is keyed by the projection over all rules: a repeated pattern costs one key and one
    look-up. A new pattern is matched segment by segment, where most keys are already known (a new
    customer does not change what the embargo rules see), and only segments with a new key ask the core.
    """

    def __init__(self, parts: Sequence[tuple[Sequence[CompiledRule], Matcher]]) -> None:
        self._segments = [_Segment(rules, inner) for rules, inner in parts if rules]
        self._line_key = Projection([r for rules, _inner in parts for r in rules]).key
        self._lines: dict[Key, tuple[int, ...]] = {}
        names = sorted({s.inner.name for s in self._segments}) or ["none"]
        self.name = f"{'+'.join(names)}+memo"
        self.hits = 0  # lines answered from the line cache
        self.misses = 0  # segment keys the core had to match

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    def match(self, facts: Sequence[LineFacts]) -> list[tuple[int, ...]]:
        out: list[tuple[int, ...] | None] = []
        pending: list[int] = []
        keys: list[Key] = []
        for i, line in enumerate(facts):
            key = self._line_key(line)
            hit = self._lines.get(key)
            out.append(hit)
            if hit is None:
                pending.append(i)
                keys.append(key)
        self.hits += len(facts) - len(pending)
        if pending:
            fresh = self._match_segments([facts[i] for i in pending])
            if len(self._lines) + len(pending) > _MAX_ENTRIES:
                self._lines.clear()
            for i, key, result in zip(pending, keys, fresh, strict=True):
                self._lines[key] = result
                out[i] = result
        return [r for r in out if r is not None]

    def _match_segments(self, facts: Sequence[LineFacts]) -> list[tuple[int, ...]]:
        fired: list[list[int]] = [[] for _ in facts]
        for segment in self._segments:
            todo: list[int] = []
            keys: list[Key] = []
            for i, line in enumerate(facts):
                if segment.pack not in line.scope:
                    continue  # every rule of the segment requires its pack's scope
                key = segment.key(line)
                hit = segment.cache.get(key)
                if hit is None:
                    todo.append(i)
                    keys.append(key)
                elif hit:
                    fired[i].extend(hit)
            self.misses += len(todo)
            if todo:
                fresh = segment.inner.match([facts[i] for i in todo])
                if len(segment.cache) + len(todo) > _MAX_ENTRIES:
                    segment.cache.clear()  # bounded memory; a rebuilt cache costs one match per distinct key
                for i, key, result in zip(todo, keys, fresh, strict=True):
                    segment.cache[key] = result
                    fired[i].extend(result)
        return [tuple(sorted(f)) for f in fired]

    def close(self) -> None:
        self._lines.clear()
        for segment in self._segments:
            segment.cache.clear()
            segment.inner.close()
