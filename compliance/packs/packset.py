"""The loaded, validated and frozen rule packs: what every evaluation reads and nothing writes."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from compliance.errors import Location, Problem
from compliance.models.pack import Citation, CountryGroup, PackMeta, PartyEntry, Rule
from compliance.packs.catalog import Catalog

__all__ = ["LoadedPack", "PackRule", "PackSet", "PartyList"]


@dataclass(frozen=True, slots=True)
class PackRule:
    """A rule with what the engine needs beside it: its pack and where it was written."""

    rule: Rule
    pack: str
    location: Location


@dataclass(frozen=True, slots=True)
class LoadedPack:
    meta: PackMeta
    sha256: str
    files: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class PartyList:
    id: str
    pack: str
    title: str
    entries: tuple[PartyEntry, ...]
    citations: tuple[Citation, ...]
    applies_to: str = "parties"  # "parties" (and their owners) or "exporter" (PartyListFile.applies_to)


@dataclass(frozen=True, slots=True)
class PackSet:
    """Everything loaded, validated and frozen; shared read-only by every evaluation."""

    packs: tuple[LoadedPack, ...]
    rules: tuple[PackRule, ...]
    catalog: Catalog
    groups: dict[str, CountryGroup]
    party_lists: dict[str, PartyList]
    warnings: tuple[Problem, ...] = ()
    locations: dict[str, Location] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for pack in self.packs:
            digest.update(f"{pack.meta.id}\0{pack.sha256}\n".encode())
        return digest.hexdigest()

    def group_members(self, group_id: str, on: dt.date) -> frozenset[str]:
        members: set[str] = set()
        for member in self.groups[group_id].members:
            if isinstance(member, str):
                members.add(member)
            elif (member.from_ is None or member.from_ <= on) and (member.to is None or on <= member.to):
                members.add(member.country)
        return frozenset(members)
