"""Screening party names against party lists (Entity List, MOFCOM control list, ...).

Names are compared after normalisation: case, punctuation and legal-form words ("Co., Ltd.",
"Limited", "Inc.") are ignored, so `Huawei Technologies Co Ltd` matches the listed
`Huawei Technologies Co., Ltd.`. Anything close but not equal is a *possible* match, which the
engine turns into a review finding: screening fails closed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Literal

from compliance.models.pack import PartyEntry

__all__ = ["PartyIndex", "ScreenHit", "normalize_name"]

_LEGAL_FORMS = frozenset(
    """
    co company companies ltd limited inc incorporated corp corporation llc l l c plc gmbh ag sa s a
    bv b v nv n v sarl srl spa pte pty kk oy ab llp lp the and jsc pjsc ooo oao zao
    """.split()
)
_NON_WORD = re.compile(r"[^0-9a-z\u00c0-\uffff]+")


def normalize_name(name: str) -> str:
    """Lower case, no punctuation, no legal-form words: the key names are compared on."""
    text = name.casefold().replace("&", " and ")
    tokens = [t for t in _NON_WORD.split(text) if t and t not in _LEGAL_FORMS]
    return " ".join(tokens)


def _similar(a: str, b: str) -> bool:
    """difflib's ratio >= 0.88, with its cheap upper bounds first (same answer, far less work on long lists)."""
    if 2 * min(len(a), len(b)) < 0.88 * (len(a) + len(b)):
        return False  # ratio <= 2 * min / (len a + len b): too different in length to reach 0.88
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= 0.88 and matcher.ratio() >= 0.88


@dataclass(frozen=True, slots=True)
class ScreenHit:
    list_id: str
    entry: PartyEntry
    match: Literal["exact", "possible"]
    why: str


@dataclass(frozen=True, slots=True)
class _Indexed:
    list_id: str
    entry: PartyEntry
    key: str
    tokens: frozenset[str]


class PartyIndex:
    """Name index over every entry of every list; built once per pack set."""

    def __init__(self, lists: dict[str, tuple[PartyEntry, ...]]) -> None:
        self._exact: dict[str, list[_Indexed]] = {}
        self._all: list[_Indexed] = []
        for list_id, entries in sorted(lists.items()):
            for entry in entries:
                for name in (entry.name, *entry.aliases):
                    key = normalize_name(name)
                    if not key:
                        continue
                    indexed = _Indexed(list_id, entry, key, frozenset(key.split()))
                    self._exact.setdefault(key, []).append(indexed)
                    self._all.append(indexed)
        self._cache: dict[str, tuple[tuple[_Indexed, str], ...]] = {}

    def _candidates(self, key: str) -> tuple[tuple[_Indexed, str], ...]:
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        out: list[tuple[_Indexed, str]] = [(ix, "exact") for ix in self._exact.get(key, ())]
        exact_entries = {id(ix.entry) for ix, _ in out}
        tokens = frozenset(key.split())
        for ix in self._all:
            if id(ix.entry) in exact_entries:
                continue
            if (ix.tokens and ix.tokens <= tokens) or (len(key) >= 6 and _similar(key, ix.key)):
                out.append((ix, "possible"))
                exact_entries.add(id(ix.entry))
        result = tuple(out)
        if len(self._cache) < 100_000:  # bounded: ERP batches repeat the same customers
            self._cache[key] = result
        return result

    def screen(self, name: str, country: str, on: dt.date) -> list[ScreenHit]:
        """Entries in force on ``on`` that ``name`` (located in ``country``) matches or may match."""
        hits: list[ScreenHit] = []
        for ix, kind in self._candidates(normalize_name(name)):
            entry = ix.entry
            if entry.added > on or (entry.removed is not None and on > entry.removed):
                continue
            if kind == "exact" and entry.countries and country not in entry.countries:
                hits.append(
                    ScreenHit(
                        ix.list_id,
                        entry,
                        "possible",
                        f"name matches {entry.name!r} but the entry lists {', '.join(entry.countries)}",
                    )
                )
            elif kind == "exact":
                hits.append(ScreenHit(ix.list_id, entry, "exact", f"name matches {entry.name!r}"))
            else:
                hits.append(ScreenHit(ix.list_id, entry, "possible", f"name resembles {entry.name!r}"))
        return hits
