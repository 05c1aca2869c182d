"""Cleared possible matches, looked up per (party, country, list entry) on the hot path.

Built once from the validated clearances file (``compliance.models.clearance``); ``find`` is a pure function
of the party, the hit, the entry's hash and the date. A clearance applies from its ``date`` to its
``expires`` (inclusive) while the entry's hash is the one it was made on; otherwise the possible match stays
open and the finding says which clearance no longer applies, and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from compliance.models.clearance import Clearance
from compliance.screening.normalize import analyse

__all__ = ["ClearanceBook", "Verdict", "party_key", "status"]


def party_key(name: str) -> str:
    """The key a clearance matches party names on: the equivalence key of the name's first reading."""
    return analyse(name)[0].compact


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the clearances say about one possible match: the clearance that applies, or why none does."""

    applied: Clearance | None
    lapsed: tuple[tuple[Clearance, str], ...] = ()  # clearances for this match that do not apply, and why


class ClearanceBook:
    def __init__(self, clearances: Iterable[Clearance] = ()) -> None:
        self.clearances: tuple[Clearance, ...] = tuple(clearances)
        self._by_key: dict[tuple[str, str, str, str], list[Clearance]] = {}
        for c in self.clearances:
            self._by_key.setdefault((party_key(c.party), c.country, c.list, c.entry), []).append(c)

    def __len__(self) -> int:
        return len(self.clearances)

    def find(self, party: str, country: str, list_id: str, entry: str, entry_sha256: str, on: dt.date) -> Verdict:
        found = self._by_key.get((party_key(party), country, list_id, entry))
        if not found:
            return Verdict(None)
        lapsed: list[tuple[Clearance, str]] = []
        for c in found:
            if c.entry_sha256 != entry_sha256:
                lapsed.append((c, "the entry or its aliases changed since it was cleared"))
            elif on < c.date:
                lapsed.append((c, f"it applies from {c.date}"))
            elif on > c.expires:
                lapsed.append((c, f"it expired on {c.expires}"))
            elif c.withdrawn is not None and on >= c.withdrawn:
                lapsed.append((c, f"it was withdrawn on {c.withdrawn}"))
            else:
                return Verdict(c, tuple(lapsed))
        return Verdict(None, tuple(lapsed))


def status(c: Clearance, current_sha256: str | None, on: dt.date) -> str:
    """What a clearance does on ``on``: `active`, or why not (for `clearances list`)."""
    if current_sha256 is None:
        return "entry not found (renamed or removed from the list)"
    if current_sha256 != c.entry_sha256:
        return "reopened: the entry or its aliases changed"
    if on < c.date:
        return f"not yet (from {c.date})"
    if on > c.expires:
        return f"expired {c.expires}"
    if c.withdrawn is not None and on >= c.withdrawn:
        return f"withdrawn {c.withdrawn}"
    return "active"
