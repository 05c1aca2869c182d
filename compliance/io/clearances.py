"""The clearances file on disk: read it (every problem located), add a clearance, withdraw one.

The file is YAML (``kind: clearances``, see :mod:`compliance.models.clearance`). Writing replaces the file
atomically (a temporary file renamed over it), so a killed process leaves the old file or the new one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from compliance.errors import InputError, Location, Problem
from compliance.models.clearance import Clearance, ClearancesFile
from compliance.packs.packset import PackSet
from compliance.screening.clearances import ClearanceBook, status
from compliance.screening.index import PartyIndex, entry_sha256
from compliance.source import load_document, pydantic_problems

__all__ = [
    "ClearanceRow",
    "add_clearance",
    "clearance_rows",
    "load_clearances",
    "read_clearances",
    "withdraw_clearance",
]

_VOCABULARY = sorted({*Clearance.model_fields, *ClearancesFile.model_fields})


def read_clearances(path: str | Path, *, missing_ok: bool = False) -> list[Clearance]:
    """The clearances in ``path``; a problem in the file is an :class:`InputError` naming line and field."""
    if missing_ok and not Path(path).exists():
        return []
    doc = load_document(path)
    try:
        model = ClearancesFile.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, doc, vocabulary=_VOCABULARY)) from None
    seen: dict[str, int] = {}
    problems = []
    for i, c in enumerate(model.clearances):
        if c.id in seen:
            problems.append(
                Problem(doc.locate(("clearances", i, "id")), "duplicate-id", f"clearance id {c.id!r} is used twice")
            )
        seen[c.id] = i
    if problems:
        raise InputError(problems)
    return list(model.clearances)


def load_clearances(path: str | Path) -> ClearanceBook:
    """The clearances file as the engine reads it (``Engine(..., clearances=load_clearances(path))``)."""
    return ClearanceBook(read_clearances(path))


def _write(path: Path, clearances: list[Clearance]) -> None:
    data = {
        "kind": "clearances",
        "clearances": [c.model_dump(mode="json", exclude_none=True) for c in clearances],
    }
    text = "# Cleared possible party-list matches; see README, Screening.\n" + yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, width=110
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _problem(path: Path, code: str, message: str, help: str | None = None) -> InputError:
    return InputError([Problem(Location(str(path)), code, message, help=help)])


def add_clearance(
    path: str | Path,
    packset: PackSet,
    *,
    party: str,
    country: str,
    list_id: str,
    entry: str,
    reason: str,
    cleared_by: str,
    date: dt.date,
    expires: dt.date,
    note: str | None = None,
    clearance_id: str | None = None,
) -> Clearance:
    """Record that ``party`` (in ``country``) is not the listed ``entry``; returns the new clearance."""
    file = Path(path)
    existing = read_clearances(file, missing_ok=True)
    listing = packset.party_lists.get(list_id)
    if listing is None:
        close = difflib.get_close_matches(list_id, list(packset.party_lists), n=1)
        raise _problem(
            file, "unknown-party-list", f"no party list {list_id!r}", f"did you mean {close[0]!r}?" if close else None
        )
    found = next((e for e in listing.entries if e.name == entry), None)
    if found is None:
        close = difflib.get_close_matches(entry, [e.name for e in listing.entries], n=1)
        raise _problem(
            file, "unknown-entry", f"{list_id} has no entry {entry!r}", f"did you mean {close[0]!r}?" if close else None
        )
    index = PartyIndex({list_id: listing.entries})
    if any(e is found for _l, e in index.equivalents(party)) and (not found.countries or country in found.countries):
        raise _problem(
            file,
            "exact-match",
            f"{party!r} in {country} is {entry!r} after normalisation: an exact match is the listed party and cannot "
            "be cleared",
        )
    ids = {c.id for c in existing}
    new_id = clearance_id or next(f"CLR-{n:04d}" for n in range(1, len(ids) + 2) if f"CLR-{n:04d}" not in ids)
    if new_id in ids:
        raise _problem(file, "duplicate-id", f"clearance id {new_id!r} is already used")
    try:
        clearance = Clearance(
            id=new_id,
            party=party,
            country=country,
            list=list_id,
            entry=entry,
            entry_sha256=entry_sha256(found),
            reason=reason,
            cleared_by=cleared_by,
            date=date,
            expires=expires,
            note=note,
        )
    except ValidationError as exc:
        raise _problem(file, "invalid-value", str(exc.errors(include_url=False)[0]["msg"])) from None
    _write(file, [*existing, clearance])
    return clearance


def withdraw_clearance(path: str | Path, clearance_id: str, on: dt.date) -> Clearance:
    """Withdraw a clearance from ``on`` (it stays in the file, with the day it was withdrawn)."""
    file = Path(path)
    existing = read_clearances(file)
    for i, c in enumerate(existing):
        if c.id == clearance_id:
            existing[i] = c.model_copy(update={"withdrawn": on})
            _write(file, existing)
            return existing[i]
    close = difflib.get_close_matches(clearance_id, [c.id for c in existing], n=1)
    raise _problem(
        file, "unknown-clearance", f"no clearance {clearance_id!r}", f"did you mean {close[0]!r}?" if close else None
    )


@dataclass(frozen=True, slots=True)
class ClearanceRow:
    clearance: Clearance
    status: str

    def to_dict(self) -> dict[str, object]:
        return {**self.clearance.model_dump(mode="json"), "status": self.status}


def clearance_rows(clearances: list[Clearance], packset: PackSet, on: dt.date) -> list[ClearanceRow]:
    """Each clearance with what it does on ``on`` against the loaded lists."""
    rows = []
    for c in clearances:
        listing = packset.party_lists.get(c.list)
        entry = next((e for e in listing.entries if e.name == c.entry), None) if listing else None
        rows.append(ClearanceRow(c, status(c, entry_sha256(entry) if entry else None, on)))
    return rows
