"""A listed party written any of the ways ERP records write it is flagged and never allowed, on both matchers.

Hypothesis takes a listed name of the bundled lists (or one of its Chinese-script aliases), writes it with any
mix of equivalent forms and at most one typo, and asserts the order is deny or review, never allow.
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import Engine, load_packs
from compliance.screening.index import listed_names
from tests.conftest import RULES

_ENTRIES = [
    (pl.id, e, n.text)
    for pl in load_packs([RULES]).party_lists.values()
    for e in pl.entries
    for n in listed_names(e)
    if not n.weak and len(n.text) > 5 and e.removed is None and e.countries
]

_FORMS = [
    str.upper,
    str.lower,
    lambda s: s + " Co., Ltd.",
    lambda s: s.replace(" ", ""),
    lambda s: s.replace(" ", " - "),
    lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),  # full width
    lambda s: s.replace("o", "\u043e", 1).replace("a", "\u0430", 1),  # Cyrillic look-alikes
    lambda s: s.replace("e", "\u00e9", 1),  # a diacritic
    lambda s: s + " Shenzhen Branch",
    lambda s: re.sub(r"(?<=[A-Za-z])[iI]", "1", s, count=1),  # a digit for the letter it looks like
    lambda s: re.sub(r"(?<=[A-Za-z])[oO]", "0", s, count=1),
]
_DIGITS = {len(_FORMS) - 2, len(_FORMS) - 1}


def _typo(name: str, at: int) -> str:
    """Two letters swapped inside a word of five letters or more (shorter words are acronyms: `IIH` is not `IHI`)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z]{5,}", name)]
    if not words:
        return name
    start, end = words[at % len(words)]
    i = start + 1 + at % (end - start - 2)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


@settings(max_examples=150)
@given(
    pick=st.integers(0, len(_ENTRIES) - 1),
    forms=st.lists(st.integers(0, len(_FORMS) - 1), max_size=3, unique=True),
    typo=st.none() | st.integers(0, 50),
    role=st.sampled_from(["end_user", "purchaser", "ultimate_consignee"]),
)
def test_a_listed_party_in_disguise_is_never_allowed(
    engine: Engine, pick: int, forms: list[int], typo: int | None, role: str
) -> None:
    list_id, entry, name = _ENTRIES[pick]
    # A typo inside words run together is not read, nor a typo on top of a disguise (two changes to a word).
    if typo is not None and name.isascii() and 3 not in forms and not _DIGITS & set(forms):
        name = _typo(name, typo)
    for f in forms:
        name = _FORMS[f](name)
    on = max(entry.added, dt.date(2024, 1, 1))
    chinese = list_id.startswith("cn-")  # MOFCOM's list: an export of a dual-use item from China
    tx = {
        "id": "D",
        "date": on.isoformat(),
        "destination": entry.countries[0],
        "exporter": {"name": "Example Exporter", "country": "CN" if chinese else "US"},
        "parties": [{"role": role, "name": name, "country": entry.countries[0]}],
        "items": [
            {"line": 1, "product": "gallium", "quantity": 1}
            if chinese
            else {"line": 1, "eccn": "5A992.c", "quantity": 1}
        ],
    }
    d = engine.evaluate(tx)
    assert d.decision != "allow", name
    assert any(f.match is not None and f.match.list == list_id for f in d.findings), name
