"""Matchers: given typed line facts, which rules apply. Two interchangeable backends.

``durable`` runs the rules on durable-rules (the production core); ``reference`` evaluates the same
predicate trees in plain Python and is the oracle the tests compare durable-rules against. ``memo`` wraps
either with a cache keyed by what the rules can tell apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from compliance.evaluate.match.base import BACKENDS, Backend, Matcher, MatchError
from compliance.evaluate.match.predicates import CompiledRule
from compliance.evaluate.match.reference import ReferenceMatcher

__all__ = ["BACKENDS", "Backend", "MatchError", "Matcher", "make_matcher"]


def make_matcher(backend: str, rules: Sequence[CompiledRule], name: str) -> Matcher:
    if backend == "durable":
        # Imported here, not above: loading the C extension is the durable backend's business alone.
        from compliance.evaluate.match.durable import DurableMatcher

        return DurableMatcher(rules, name)
    if backend == "reference":
        return ReferenceMatcher(rules)
    raise ValueError(f"unknown matcher backend {backend!r}; choose one of {', '.join(BACKENDS)}")
