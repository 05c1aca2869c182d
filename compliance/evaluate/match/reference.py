"""The reference matcher: the predicate trees evaluated in plain Python. The oracle for durable-rules."""

from __future__ import annotations

from collections.abc import Sequence

from compliance.evaluate.facts import LineFacts
from compliance.evaluate.match.predicates import CompiledRule, evaluate

__all__ = ["ReferenceMatcher"]


class ReferenceMatcher:
    name = "reference"

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self._rules = tuple(rules)

    def match(self, facts: Sequence[LineFacts]) -> list[tuple[int, ...]]:
        return [tuple(r.index for r in self._rules if evaluate(r.node, f)) for f in facts]

    def close(self) -> None:
        return None
