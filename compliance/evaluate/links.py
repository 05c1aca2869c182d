"""Linked citations in decisions: every citation whose form says where to read it carries a url.

A pack's citation keeps its own url; one without gets the link its form gives (:func:`citation_url`: eCFR,
federalregister.gov) or, for forms no link can be built for (a MOFCOM announcement), the url another citation
of the same instrument in the packs carries. eCFR links point at the text in force on the decision's date
(``https://www.ecfr.gov/on/<as_of>/...``), so an officer reads the law the decision applied, not today's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from compliance.citations import ECFR_CURRENT, citation_url, point_in_time
from compliance.evaluate.values import CitationValue, FindingValue
from compliance.models._base import construct
from compliance.models.pack import Citation
from compliance.packs.packset import PackSet

__all__ = ["CitationLinks", "pack_citations"]

# Distinct (citation, date) pairs kept; a batch over many dates stays bounded (cleared when full).
_CACHE_LIMIT = 50_000


def pack_citations(packset: PackSet) -> Iterable[Citation]:
    """Every citation in a pack set: pack sources, rules, party lists and their entries, groups, materials."""
    for pack in packset.packs:
        yield from pack.meta.sources
    for pr in packset.rules:
        yield from pr.rule.citations
    for listing in packset.party_lists.values():
        yield from listing.citations
        for entry in listing.entries:
            yield from entry.citations


def _with_url(cv: CitationValue, url: str | None) -> CitationValue:
    c = cv.model
    model = construct(Citation, cite=c.cite, url=url, title=c.title, date=c.date, secondary=c.secondary)
    return CitationValue(model, {**cv.json, "url": url})


class CitationLinks:
    """Dated, linked citations for the findings of one engine (the packs' citations are built once)."""

    def __init__(self, packset: PackSet) -> None:
        # An instrument's page as some citation of it gives it (the first primary one wins).
        self.known: dict[str, str] = {}
        for c in pack_citations(packset):
            if c.url and not c.secondary:
                self.known.setdefault(c.cite, c.url)
        self._dated: dict[tuple[int, dt.date], tuple[CitationValue, CitationValue]] = {}
        self._base: dict[int, tuple[CitationValue, str | None, CitationValue]] = {}
        self._tuples: dict[tuple[int, dt.date], tuple[tuple[CitationValue, ...], tuple[CitationValue, ...]]] = {}
        self._static: dict[int, tuple[tuple[CitationValue, ...], tuple[CitationValue, ...]]] = {}

    def url(self, c: Citation, on: dt.date) -> str | None:
        url = self._undated(c)
        return point_in_time(url, on) if url else None

    def _undated(self, c: Citation) -> str | None:
        return c.url or citation_url(c.cite) or self.known.get(c.cite)

    def dated(self, cv: CitationValue, on: dt.date) -> CitationValue:
        # Per citation: its link as the packs give or the form builds it (most are dated only if eCFR's).
        base = self._base.get(id(cv))
        if base is None or base[0] is not cv:
            url = self._undated(cv.model)
            same = cv if url == cv.model.url else _with_url(cv, url)
            base = (cv, url, same)
            self._base[id(cv)] = base  # the original is kept so that its id() is not reused while cached
        _cv, url, same = base
        if url is None or not url.startswith(ECFR_CURRENT):
            return same
        key = (id(cv), on)
        hit = self._dated.get(key)
        if hit is not None and hit[0] is cv:
            return hit[1]
        out = _with_url(cv, point_in_time(url, on))
        if len(self._dated) >= _CACHE_LIMIT:
            self._dated.clear()
        self._dated[key] = (cv, out)
        return out

    def _all(self, cites: tuple[CitationValue, ...], on: dt.date) -> tuple[CitationValue, ...]:
        # Findings of one rule share its citations' tuple: one lookup per finding, not one per citation.
        static = self._static.get(id(cites))
        if static is not None and static[0] is cites:
            return static[1]
        key = (id(cites), on)
        hit = self._tuples.get(key)
        if hit is not None and hit[0] is cites:
            return hit[1]
        out = tuple(self.dated(cv, on) for cv in cites)
        if all(a is b for a, b in zip(out, cites, strict=True)):
            out = cites
        undated = all(not (u := self._base[id(cv)][1]) or not u.startswith(ECFR_CURRENT) for cv in cites)
        if len(self._tuples) >= _CACHE_LIMIT or len(self._static) >= _CACHE_LIMIT:
            self._tuples.clear()
            self._static.clear()
        # The original tuple is kept with its answer so that its id() is not reused while cached.
        if undated:
            self._static[id(cites)] = (cites, out)
        else:
            self._tuples[key] = (cites, out)
        return out

    def attach(self, findings: Iterable[FindingValue], on: dt.date) -> None:
        for f in findings:
            f.citations = self._all(f.citations, on)
            if f.match is not None:
                f.match.citations = self._all(f.match.citations, on)
