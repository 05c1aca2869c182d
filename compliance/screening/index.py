"""Screening party names against party lists (Entity List, MOFCOM control list, ...).

Names are compared after normalisation: case, punctuation and legal-form words ("Co., Ltd.",
"Limited", "Inc.") are ignored, so `Huawei Technologies Co Ltd` matches the listed
`Huawei Technologies Co., Ltd.`. Anything close but not equal is a *possible* match, which the
engine turns into a review finding: screening fails closed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from compliance.models.pack import PartyEntry

__all__ = ["PartyIndex", "ScreenHit", "normalize_name"]

# Whole words only. Single letters are never dropped: `s a`, `b v`, `l l c` used to be on this list, so the
# letters of `S&C Electronics` and `L&N Electronics` vanished (both became `electronics`) and `S.M.I.C.` became
# `m i`. Dotted abbreviations are joined first (`S.A.` -> `sa`, `L.L.C.` -> `llc`), so the forms still match.
_LEGAL_FORMS = frozenset(
    """
    co company companies ltd limited inc incorporated corp corporation llc plc gmbh ag sa
    bv nv sarl srl spa pte pty kk oy ab llp lp the and jsc pjsc ooo oao zao
    """.split()
)
_NON_WORD = re.compile(r"[^0-9a-z\u00c0-\uffff]+")
# A run of two or more single letters each followed by a dot: `S.M.I.C.`, `S.A.`, `L.L.C`.
_DOTTED = re.compile(
    r"(?<![0-9a-z\u00c0-\uffff])(?:[0-9a-z\u00c0-\uffff]\.){1,}[0-9a-z\u00c0-\uffff](?![0-9a-z\u00c0-\uffff])\.?"
)


# Cyrillic and Greek letters that look like Latin ones (a subset of Unicode's confusables): `Huawei` with a
# Cyrillic `a` (U+0430) is Huawei to a reader, and must be to the screening. Applied before case folding, so capitals
# map too; a name wholly in Cyrillic stays distinct from other names (the mapping is one letter to one letter).
_CONFUSABLE = str.maketrans(
    # Cyrillic capitals, Cyrillic small letters, Greek capitals, Greek small omicron and iota.
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423\u0406\u0408\u0405"
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb"
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03b9",
    "ABEKMHOPCTXYIJSaeopcyxijsdhABEZHIKMNOPTYXoi",
)


@functools.lru_cache(maxsize=65_536)  # pure, and ERP batches repeat the same customers
def normalize_name(name: str) -> str:
    """Lower case, full-width (NFKC) and look-alike letters folded, no punctuation, no trailing legal form."""
    text = unicodedata.normalize("NFKC", name).translate(_CONFUSABLE).casefold()
    text = _DOTTED.sub(lambda m: " " + m.group(0).replace(".", "") + " ", text)
    text = text.replace("&", " and ")
    tokens = [t for t in _NON_WORD.split(text) if t and t != "and"]
    # Legal forms are dropped where they stand as legal forms, at the end (`... Co., Ltd.`), and a leading
    # `the`; inside a name they are part of it (`AB Trading` is not `Trading`, `SA Holdings` not `Holdings`).
    while tokens and tokens[-1] in _LEGAL_FORMS:
        tokens.pop()
    if tokens and tokens[0] == "the":
        tokens.pop(0)
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
