"""Memoised matching: the same line fact always matches the same rules, so ask the core once.

Matching is a pure function of the line fact. The only date tests in a ruleset are the rules' windows
(``date >= effective_from`` and ``date <= effective_to``), so two dates between the same two consecutive
window boundaries match identically; the cache key replaces the date by the start of its interval. Group
membership and party-list listings, which also depend on the date, are already resolved into the fact by
the enrich step, so they are part of the key. ERP batches repeat products, destinations and customers, so
most lines are answered from the cache (``tests/match/test_memo.py`` checks it against the uncached path).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence

from compliance.evaluate.enrich import date_number
from compliance.evaluate.match import Matcher
from compliance.evaluate.match.predicates import CompiledRule

__all__ = ["MemoMatcher", "window_boundaries"]

# Bounded so a 1M-record stream stays well under 300 MB; a key is a tuple of ~18 fields (~1 KB).
_MAX_ENTRIES = 50_000


def window_boundaries(rules: Sequence[CompiledRule]) -> list[int]:
    """Every date (as YYYYMMDD) on which some rule starts or stops applying, ascending."""
    points: set[int] = set()
    for compiled in rules:
        rule = compiled.packrule.rule
        points.add(date_number(rule.effective_from))
        if rule.effective_to is not None:
            points.add(date_number(rule.effective_to + dt.timedelta(days=1)))
    return sorted(points)


class MemoMatcher:
    """Wraps a matcher with a bounded cache keyed by the canonical line fact."""

    def __init__(self, inner: Matcher, rules: Sequence[CompiledRule]) -> None:
        self.inner = inner
        self.name = f"{inner.name}+memo"
        self._boundaries = window_boundaries(rules)
        self._cache: dict[tuple[tuple[str, object], ...], tuple[int, ...]] = {}
        self.hits = 0
        self.misses = 0

    def _key(self, fact: dict[str, object]) -> tuple[tuple[str, object], ...]:
        day = fact["date"]
        assert isinstance(day, int)
        i = bisect.bisect_right(self._boundaries, day)
        canonical = self._boundaries[i - 1] if i else 0
        return tuple(sorted((k, canonical if k == "date" else v) for k, v in fact.items()))

    def match(self, facts: Sequence[dict[str, object]]) -> list[tuple[int, ...]]:
        keys = [self._key(f) for f in facts]
        out: list[tuple[int, ...] | None] = [self._cache.get(k) for k in keys]
        todo = [i for i, hit in enumerate(out) if hit is None]
        self.hits += len(facts) - len(todo)
        self.misses += len(todo)
        if todo:
            fresh = self.inner.match([facts[i] for i in todo])
            if len(self._cache) + len(todo) > _MAX_ENTRIES:
                self._cache.clear()  # bounded memory; a rebuilt cache costs one match per distinct line
            for i, fired in zip(todo, fresh, strict=True):
                out[i] = fired
                self._cache[keys[i]] = fired
        return [f for f in out if f is not None]

    def close(self) -> None:
        self._cache.clear()
        self.inner.close()
