"""Memoised matching: lines the rules cannot tell apart match the same rules, so ask the core once.

Matching is a pure function of the line facts, and a predicate tree's truth depends only on the truth
of its atoms (``destination in {CN, MO}``, ``codes share {3A090}``, ``spec_tpp >= 4800``, ``date >= ...``).
The cache key is therefore the facts *projected* onto what the atoms can see, field by field:

* a scalar tested by ``In`` keeps its value if some rule names it, else becomes "other";
* a set tested by ``Has`` keeps only the values some rule names (``{D:1, D:4, D:5, B}`` -> ``{D:1, D:5}``);
* a number or date tested by ``Cmp`` becomes the tuple of answers to every comparison made on it
  (all date boundaries come from the predicate trees themselves, so windows and any other date test
  are exact to the day).

Equal keys give equal truth to every atom, hence equal matches (``tests/match/test_memo.py`` checks it
against the uncached path). Distinct customers, quantities and unlisted countries collapse to the same
key, so a first pass over a new corpus is mostly answered from the cache too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from compliance.evaluate.facts import Atom, LineFacts
from compliance.evaluate.match.base import Matcher
from compliance.evaluate.match.predicates import And, Cmp, CompiledRule, Has, In, Node, Not, Or, date_number

__all__ = ["MemoMatcher", "Projection"]

# Bounded so a 1M-record stream stays well under 300 MB.
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


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda v, b: v > b,
    "gte": lambda v, b: v >= b,
    "lt": lambda v, b: v < b,
    "lte": lambda v, b: v <= b,
}


class Projection:
    """Maps line facts to the tuple of what the rules' atoms can tell apart."""

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
        self._dates = tuple(sorted(numbers.pop("date", set())))
        self._specs = tuple(
            (name.removeprefix("spec_"), tuple(sorted(tests))) for name, tests in sorted(numbers.items())
        )

    @property
    def date_boundaries(self) -> tuple[tuple[str, float], ...]:
        """Every date comparison the rules make (``("gte", 20250409.0)``, ...): the days a match can change."""
        return self._dates

    def key(self, facts: LineFacts) -> Key:
        parts: list[object] = []
        for name, names in self._scalars:
            value = getattr(facts, name)
            parts.append(value if value in names else _OTHER)
        for name, atoms in self._sets:
            parts.append(atoms & getattr(facts, name))
        day = date_number(facts.date)
        parts.append(tuple(_COMPARE[op](day, bound) for op, bound in self._dates))
        for name, tests in self._specs:
            value = facts.specs.get(name)
            parts.append(None if value is None else tuple(_COMPARE[op](value, bound) for op, bound in tests))
        return tuple(parts)


class MemoMatcher:
    """Wraps a matcher with a bounded cache keyed by the projected line facts."""

    def __init__(self, inner: Matcher, rules: Sequence[CompiledRule]) -> None:
        self.inner = inner
        self.name = f"{inner.name}+memo"
        self.projection = Projection(rules)
        self._cache: dict[Key, tuple[int, ...]] = {}
        self.hits = 0
        self.misses = 0

    def match(self, facts: Sequence[LineFacts]) -> list[tuple[int, ...]]:
        keys = [self.projection.key(f) for f in facts]
        out: list[tuple[int, ...] | None] = [self._cache.get(k) for k in keys]
        todo = [i for i, hit in enumerate(out) if hit is None]
        self.hits += len(facts) - len(todo)
        self.misses += len(todo)
        if todo:
            fresh = self.inner.match([facts[i] for i in todo])
            if len(self._cache) + len(todo) > _MAX_ENTRIES:
                self._cache.clear()  # bounded memory; a rebuilt cache costs one match per distinct key
            for i, fired in zip(todo, fresh, strict=True):
                out[i] = fired
                self._cache[keys[i]] = fired
        return [f for f in out if f is not None]

    def close(self) -> None:
        self._cache.clear()
        self.inner.close()
