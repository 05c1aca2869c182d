"""What a screening match says about itself: the score, what was compared, and a sentence for the officer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MatchDetail", "why"]


@dataclass(frozen=True, slots=True)
class MatchDetail:
    """How one party name matched one listed name (the decision's ``match`` object, less the entry itself)."""

    kind: Literal["exact", "fuzzy"]
    score: float
    matched_name: str  # the listed name or alias, as listed
    alias: bool
    weak: bool
    normalized_query: str
    normalized_entry: str
    matched_tokens: tuple[str, ...]
    unmatched_tokens: tuple[str, ...]
    unmatched_entry_tokens: tuple[str, ...]
    basis: str  # "equivalent", "transliteration", "tokens", "characters", "disguise"


def why(detail: MatchDetail, entry_name: str, country_match: bool, countries: tuple[str, ...], guess: str = "") -> str:
    """One sentence: what matched what, how well, and why it is (or is not) the listed party."""
    listed = f"{entry_name!r}"
    if detail.alias:
        listed = f"{'weak ' if detail.weak else ''}alias {detail.matched_name!r} of {entry_name!r}"
    if guess:
        return (
            f"name read with {guess} ({detail.normalized_query!r}) resembles {listed}, score {detail.score:.2f}: "
            "a known way of disguising a listed name; confirm who the party is"
        )
    if detail.kind == "exact":
        text = f"name is {listed} after normalisation ({detail.normalized_query!r})"
        if not country_match:
            text += f", but the entry lists {', '.join(countries)}"
        return text
    if detail.basis == "transliteration":
        return f"name sounds like {listed} (same pinyin {detail.normalized_query!r}), score {detail.score:.2f}"
    missing = ""
    if detail.unmatched_tokens:
        missing += f"; not in the listed name: {', '.join(detail.unmatched_tokens)}"
    if detail.unmatched_entry_tokens:
        missing += f"; not in the party name: {', '.join(detail.unmatched_entry_tokens)}"
    return f"name resembles {listed}, score {detail.score:.2f}{missing}"
