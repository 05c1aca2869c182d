"""Matchers: given flat line facts, which rules apply. Two interchangeable backends.

``durable`` runs the rules on durable-rules (the production core); ``reference`` evaluates the same
predicate trees in plain Python and is the oracle the tests compare durable-rules against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from compliance.evaluate.match.predicates import CompiledRule

__all__ = ["BACKENDS", "MatchError", "Matcher", "make_matcher"]

BACKENDS = ("durable", "reference")


class MatchError(Exception):
    """Matching failed; the engine turns this into a `review` finding (fail closed)."""

    def __init__(self, message: str, rule_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.rule_ids = rule_ids


class Matcher(Protocol):
    name: str

    def match(self, facts: Sequence[dict[str, object]]) -> list[tuple[int, ...]]:
        """For each fact, the indexes (``CompiledRule.index``) of the rules that apply, ascending."""
        ...

    def close(self) -> None: ...


def make_matcher(backend: str, rules: Sequence[CompiledRule], name: str) -> Matcher:
    if backend == "durable":
        from compliance.evaluate.match.durable import DurableMatcher

        return DurableMatcher(rules, name)
    if backend == "reference":
        from compliance.evaluate.match.reference import ReferenceMatcher

        return ReferenceMatcher(rules)
    raise ValueError(f"unknown matcher backend {backend!r}; choose one of {', '.join(BACKENDS)}")
