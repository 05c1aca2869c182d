"""Citations: recognise the forms the law is cited in, and say how to fix one that is not recognised.

A rule is only as good as the law it cites, so every ``cite`` must be in a form an officer can look up:

=========================  ==============================================  ===========================
kind                       example                                         where to look it up
=========================  ==============================================  ===========================
``cfr-section``            ``15 CFR 742.6(a)(6)(iii)``, ``15 CFR 744.11``  eCFR
``cfr-part``               ``15 CFR part 744``                             eCFR
``cfr-supplement``         ``15 CFR part 740 Supplement No. 1``            eCFR
``cfr-parts``              ``15 CFR parts 730-774``                        eCFR
``fr-page``                ``88 FR 73458``                                 Federal Register, volume/page
``fr-doc``                 ``FR Doc. 2026-02262``                          Federal Register document no.
``mofcom-announcement``    ``MOFCOM/GAC Announcement No. 23 of 2023``      MOFCOM
``state-council-order``    ``State Council Order No. 792``                 State Council gazette
``prc-law``                ``Export Control Law of the PRC, Art. 12``      NPC
``other``                  any text, **only** with a ``url``               guidance, press release, filing
=========================  ==============================================  ===========================

The Federal Register is cited by volume and first page (``88 FR 73458``) or by its document number
(``FR Doc. 2026-02262``). Anything else (BIS guidance, a company's 8-K) is accepted
only with a ``url``, since the text alone cannot be looked up.

Where the form says where to read it, :func:`citation_url` builds the link: eCFR for CFR sections, parts and
the EAR's supplements (``https://www.ecfr.gov/current/title-15/section-744.11``; :func:`point_in_time` turns a
``/current/`` link into the text in force on a date, ``https://www.ecfr.gov/on/2025-09-01/title-15/...``), and
federalregister.gov for a volume and page (``/citation/88-FR-73458``) or a document number (``/d/2025-19001``).
MOFCOM announcements, State Council orders and PRC laws have no URL that can be built from the number; their
pages are linked where a pack gives one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ECFR_CURRENT",
    "CitationForm",
    "CitationKind",
    "check_citation",
    "citation_url",
    "parse_citation",
    "point_in_time",
    "suggest_citation",
]

CitationKind = Literal[
    "cfr-section",
    "cfr-part",
    "cfr-supplement",
    "cfr-parts",
    "fr-page",
    "fr-doc",
    "mofcom-announcement",
    "state-council-order",
    "prc-law",
    "other",
]


@dataclass(frozen=True, slots=True)
class CitationForm:
    """A recognised citation: its kind and the numbers that identify it (title, part, section, ...)."""

    kind: CitationKind
    text: str
    parts: tuple[str, ...]


_YEAR = r"(?:19|20)\d{2}"
_FORMS: tuple[tuple[CitationKind, re.Pattern[str]], ...] = (
    # 15 CFR 742.6(a)(6)(iii): title, part.section, then any number of (paragraph) designators.
    ("cfr-section", re.compile(r"^([1-9]\d?) CFR (\d{1,4})\.(\d{1,4}[a-z]?)((?:\([a-z0-9]{1,6}\))*)$")),
    ("cfr-supplement", re.compile(r"^([1-9]\d?) CFR part (\d{1,4}),? Supplement No\. (\d{1,2})$")),
    ("cfr-part", re.compile(r"^([1-9]\d?) CFR part (\d{1,4})$")),
    ("cfr-parts", re.compile(r"^([1-9]\d?) CFR parts (\d{1,4})-(\d{1,4})$")),
    ("fr-page", re.compile(r"^([1-9]\d{0,2}) FR ([1-9]\d{0,5})$")),
    ("fr-doc", re.compile(rf"^FR Doc\. ({_YEAR})-(\d{{5}})$")),
    (
        "mofcom-announcement",
        re.compile(rf"^(MOFCOM(?:/[A-Z]{{2,10}})*) Announcement No\. ([1-9]\d{{0,3}}) of ({_YEAR})$"),
    ),
    ("state-council-order", re.compile(r"^State Council Order No\. ([1-9]\d{0,3})$")),
    ("prc-law", re.compile(r"^((?:[A-Z][a-z]+ )+Law) of the PRC(?:, Art\. ([1-9]\d{0,3}))?$")),
)


def parse_citation(text: str) -> CitationForm | None:
    """The recognised form of ``text``, or ``None``; ``other`` is never returned (it needs a url)."""
    text = text.strip()
    for kind, pattern in _FORMS:
        match = pattern.match(text)
        if match:
            parts = tuple(g for g in match.groups() if g)
            if kind == "cfr-parts" and int(parts[1]) >= int(parts[2]):
                return None  # `parts 774-730` is a typo, not a range
            return CitationForm(kind, text, parts)
    return None


# Common near misses, rewritten to the canonical form for a "did you mean".
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"C\.\s?F\.\s?R\.?"), "CFR"),
    (re.compile(r"\bF\.\s?R\.(?=\s)"), "FR"),
    (re.compile(r"§+\s*"), ""),
    (re.compile(r"\bPart\b"), "part"),
    (re.compile(r"\bParts\b"), "parts"),
    (re.compile(r"\bFR Doc\.?\s*(?:No\.?\s*)?"), "FR Doc. "),
    (re.compile(r"\bNo\.?\s*(?=\d)"), "No. "),
    (re.compile(r"\bSupp\.?\s+No\b"), "Supplement No"),
    (re.compile(r"\bArticle\s+"), "Art. "),
    (re.compile(r"\bPeople's Republic of China\b"), "PRC"),
    (re.compile(r"\s+"), " "),
)
_SUPPLEMENT_TO_PART = re.compile(r"^(\d+) CFR Supplement No\. (\d+) to part (\d+)$")


def suggest_citation(text: str) -> str | None:
    """A recognised spelling of a near miss (``15 C.F.R. § 744.11`` -> ``15 CFR 744.11``), if there is one."""
    out = text.strip()
    for pattern, replacement in _REWRITES:
        out = pattern.sub(replacement, out)
    out = out.strip()
    match = _SUPPLEMENT_TO_PART.match(out)
    if match:
        out = f"{match[1]} CFR part {match[3]} Supplement No. {match[2]}"
    if out != text.strip() and parse_citation(out) is not None:
        return out
    return None


def check_citation(cite: str, url: str | None) -> tuple[str, str] | None:
    """``None`` when ``cite`` is acceptable, else ``(message, help)`` for a ``citation-form`` problem."""
    if parse_citation(cite) is not None or (url is not None and url.strip()):
        return None
    suggestion = suggest_citation(cite)
    if suggestion:
        return f"citation {cite!r} is not in a recognised form", f"did you mean {suggestion!r}?"
    return (
        f"citation {cite!r} is not in a recognised form and has no url",
        "cite as `15 CFR 744.11`, `88 FR 73458`, `FR Doc. 2026-02262`, `MOFCOM Announcement No. 46 of 2024`, "
        "`State Council Order No. 792` or `Export Control Law of the PRC, Art. 12`; "
        "for guidance or a press release add its `url`",
    )


ECFR = "https://www.ecfr.gov"
ECFR_CURRENT = f"{ECFR}/current/"
# The EAR (15 CFR parts 730-774) is subchapter C of chapter VII of subtitle B: eCFR addresses a part's
# supplements ("appendix") and the whole range through that hierarchy.
_EAR_PATH = "title-15/subtitle-B/chapter-VII/subchapter-C"


def _is_ear_part(title: str, part: str) -> bool:
    return title == "15" and 730 <= int(part) <= 774


def citation_url(text: str, as_of: dt.date | None = None) -> str | None:
    """The official page of a citation whose form says where it is, or ``None``.

    CFR links are eCFR's: the current text, or with ``as_of`` the text in force on that date (point in time).
    """
    form = parse_citation(text)
    if form is None:
        return None
    when = f"{ECFR}/on/{as_of.isoformat()}" if as_of else f"{ECFR}/current"
    p = form.parts
    if form.kind == "cfr-section":
        title, part, section = p[0], p[1], p[2]
        url = f"{when}/title-{title}/section-{part}.{section}"
        if len(p) > 3:
            url += f"#p-{part}.{section}{p[3]}"  # eCFR's paragraph anchor, e.g. #p-744.11(a)(1)
        return url
    if form.kind == "cfr-part":
        return f"{when}/title-{p[0]}/part-{p[1]}"
    if form.kind == "cfr-supplement":
        title, part, number = p
        if not _is_ear_part(title, part):
            return None  # the hierarchy path of other titles is not known here
        return f"{when}/{_EAR_PATH}/part-{part}/appendix-Supplement%20No.%20{number}%20to%20Part%20{part}"
    if form.kind == "cfr-parts":
        title, first, last = p
        if title == "15" and (first, last) == ("730", "774"):
            return f"{when}/{_EAR_PATH}"
        return None
    if form.kind == "fr-page":
        return f"https://www.federalregister.gov/citation/{p[0]}-FR-{p[1]}"
    if form.kind == "fr-doc":
        return f"https://www.federalregister.gov/d/{p[0]}-{p[1]}"
    return None


def point_in_time(url: str, as_of: dt.date) -> str:
    """An eCFR ``/current/`` link as the text in force on ``as_of``; any other link unchanged."""
    if url.startswith(ECFR_CURRENT):
        return f"{ECFR}/on/{as_of.isoformat()}/{url[len(ECFR_CURRENT) :]}"
    return url
