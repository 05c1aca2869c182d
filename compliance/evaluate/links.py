"""Linked citations in decisions: every citation whose form says where to read it carries a url.

A pack's citation keeps its own url; one without gets the link its form gives (:func:`citation_url`: eCFR,
federalregister.gov) or, for forms no link can be built for (a MOFCOM announcement), the url another citation
of the same instrument in the packs carries. eCFR links point at the text in force on the decision's date
(``https://www.ecfr.gov/on/<as_of>/...``), so an officer reads the law the decision applied, not today's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from compliance.citations import citation_url, point_in_time
from compliance.evaluate.values import CitationValue, FindingValue, citation_value
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


class CitationLinks:
    """Dated, linked citations for the findings of one engine (the packs' citations are built once)."""

    def __init__(self, packset: PackSet) -> None:
        # An instrument's page as some citation of it gives it (the first primary one wins).
        self.known: dict[str, str] = {}
        for c in pack_citations(packset):
            if c.url and not c.secondary:
                self.known.setdefault(c.cite, c.url)
        self._dated: dict[tuple[int, dt.date], tuple[CitationValue, CitationValue]] = {}

    def url(self, c: Citation, on: dt.date) -> str | None:
        url = c.url or citation_url(c.cite) or self.known.get(c.cite)
        return point_in_time(url, on) if url else None

    def dated(self, cv: CitationValue, on: dt.date) -> CitationValue:
        key = (id(cv), on)
        hit = self._dated.get(key)
        if hit is not None and hit[0] is cv:
            return hit[1]
        url = self.url(cv.model, on)
        out = cv if url == cv.model.url else citation_value(cv.model.model_copy(update={"url": url}))
        if len(self._dated) >= _CACHE_LIMIT:
            self._dated.clear()
        self._dated[key] = (cv, out)  # the original is kept so that its id() is not reused while cached
        return out

    def _all(self, cites: Sequence[CitationValue], on: dt.date) -> tuple[CitationValue, ...]:
        return tuple(self.dated(cv, on) for cv in cites)

    def attach(self, findings: Iterable[FindingValue], on: dt.date) -> None:
        for f in findings:
            f.citations = self._all(f.citations, on)
            if f.match is not None:
                f.match.citations = self._all(f.match.citations, on)
