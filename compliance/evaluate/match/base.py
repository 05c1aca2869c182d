"""What every matcher is: the protocol, its one error type, and the names of the backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from compliance.evaluate.facts import LineFacts

__all__ = ["BACKENDS", "MAX_TERMS", "Backend", "MatchError", "Matcher", "RulesetTooLarge"]

Backend = Literal["durable", "reference"]
# The one definition of the backend names; the CLI's choices and the case runner read it.
BACKENDS: tuple[Backend, ...] = ("durable", "reference")


class MatchError(Exception):
    """Matching failed; the engine turns this into a `review` finding naming the rules (fail closed)."""

    def __init__(self, message: str, rule_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.rule_ids = rule_ids


class Matcher(Protocol):
    name: str

    def match(self, facts: Sequence[LineFacts]) -> list[tuple[int, ...]]:
        """For each line, the indexes (``CompiledRule.index``) of the rules that apply, ascending."""
        ...

    def close(self) -> None: ...


# The C engine keeps at most 512 entries in one hash bucket; a durable-rules ruleset with more comparisons
# than this never finishes loading. Each ruleset stays well below it; a pack is split over several.
MAX_TERMS = 400


class RulesetTooLarge(ValueError):
    """One rule is too big for any durable-rules ruleset (a pack error; many rules are merely split)."""

    def __init__(
        self, size: int, biggest: list[tuple[str, int]], *, what: str = "comparison terms", limit: int = MAX_TERMS
    ) -> None:
        self.terms = size
        self.biggest = biggest
        super().__init__(f"rule has {size} {what}; one durable-rules ruleset holds at most {limit}")
