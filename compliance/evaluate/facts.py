"""Typed facts: what the matchers test about one order line, after every membership question is answered.

The enrich step answers "is the destination in D:5 on this date?", "is a party on the Entity List?",
"which product is `NVIDIA H20`?" with Python sets and dicts, and the answers land here as plain typed
values. Each matcher reads them in its own way: the reference matcher directly, durable-rules through its
own ``encode`` (sentinels, integer dates, joined strings are that backend's business, not this module's).

These are slots dataclasses, not frozen ones: a frozen dataclass pays ``object.__setattr__`` per field on
every construction, and several are built per line. Nothing mutates them after the enrich step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from compliance.models.pack import DecidedCodes, PartyEntry, Product
from compliance.models.transaction import Item, Transaction
from compliance.screening.clearances import Verdict
from compliance.screening.index import ScreenHit

__all__ = ["Atom", "Datacenter", "Line", "LineFacts", "PartyFacts", "transaction_countries"]

# A value in a set-valued fact: a plain id (`D:5`, `us-entity-list`) or a pair (`("us-ear", "3A090")` for a
# control code of a pack, `("us-entity-list", "end_user")` for a listing in a role).
Atom = str | tuple[str, str]
Datacenter = Literal["yes", "no", "unknown"]


@dataclass(slots=True)
class LineFacts:
    """Everything a rule condition can test about one line, with lists already resolved to sets."""

    date: dt.date
    destination: str
    product: str = ""  # catalog product id; "" when the line names no catalog product
    tags: frozenset[str] = frozenset()
    codes: frozenset[tuple[str, str]] = frozenset()  # (pack, control code), parent paragraphs included
    specs: Mapping[str, float] = field(default_factory=dict)  # the order's figures over the catalog's
    datacenter: Datacenter = "unknown"
    subdivision: str = ""
    dest_groups: frozenset[str] = frozenset()
    origin: str = ""
    exporter_country: str = ""
    activity: str = "export"
    end_uses: frozenset[str] = frozenset()
    party_lists: frozenset[Atom] = frozenset()  # list ids, and (list id, role) pairs
    party_hq_groups: frozenset[Atom] = frozenset()  # group ids, and (group id, role) pairs
    # Ids of the packs whose scope covers this line, including `reach`.
    scope: frozenset[str] = frozenset()
    # Ids of the `transaction_countries` conditions that hold for some country of the transaction (the
    # destination, ultimate consignees' and end users' countries): answered in the enrich step, like groups.
    country_tests: frozenset[str] = frozenset()
    # Packs in `scope` only because they follow the goods (`Scope.origins`) and the item's origin is not given:
    # their rules are matched as if the origin were one they follow, and the resolver makes any that apply a
    # review. Not a matcher field: read by the resolver only.
    reach: frozenset[str] = frozenset()
    # Lists whose entries own 50% or more of a party (aggregate, or an unknown share), and (list id, role) pairs:
    # the Affiliates rule (compliance/evaluate/ownership.py).
    party_owner_lists: frozenset[Atom] = frozenset()
    exporter_lists: frozenset[Atom] = frozenset()  # lists (applies_to: exporter) the exporter of record is on


@dataclass(slots=True)
class PartyFacts:
    """Screening results for a transaction's parties, shared by all its lines."""

    lists: frozenset[Atom]
    hq_groups: frozenset[Atom]
    by_list: Mapping[str, tuple[str, ...]]  # list id -> names of the parties that are on it (exact)
    by_hq_group: Mapping[str, tuple[str, ...]]  # group id -> names of the parties headquartered there
    possible: tuple[tuple[str, ScreenHit], ...]  # (party name, hit) needing review
    entries: Mapping[str, tuple[PartyEntry, ...]]  # list id -> the entries matched exactly
    # list id -> (party name, party country, hit) for each exact match: the `match` of rule findings
    hits: Mapping[str, tuple[tuple[str, str, ScreenHit], ...]] = field(default_factory=dict)
    # (party name, party country, hit, what the clearances say) for each possible match, in order
    screened: tuple[tuple[str, str, ScreenHit, Verdict], ...] = ()
    owner_lists: frozenset[Atom] = frozenset()  # see LineFacts.party_owner_lists
    by_owner_list: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # list id -> parties owned
    # list id -> (party name, owner name, share or None, the owner's entry) behind each affiliate listing
    owner_entries: Mapping[str, tuple[tuple[str, str, float | None, PartyEntry], ...]] = field(default_factory=dict)
    # (party name, owner name, hit) for owners whose name only resembles a listed one, or other ownership doubts
    owner_possible: tuple[tuple[str, str, ScreenHit], ...] = ()
    exporter_lists: frozenset[Atom] = frozenset()
    exporter_entries: Mapping[str, tuple[PartyEntry, ...]] = field(default_factory=dict)
    exporter_possible: tuple[tuple[str, ScreenHit], ...] = ()
    # Every exact listing, in whatever role: (party name, role, list id, entry). A listed party that no rule
    # names is still reviewed (a listed forwarder is not a pass).
    listed: tuple[tuple[str, str, str, PartyEntry], ...] = ()


@dataclass(slots=True)
class Line:
    """One order line as the resolver sees it: the item, what it resolved to, and its matcher facts."""

    item: Item
    product: Product | None
    codes: tuple[tuple[str, str], ...]  # (pack, code) in the order they were found, for the decision
    facts: LineFacts
    unclassified: bool
    code_conflict: tuple[str, str, str] | None  # (pack, code on the order, code in the catalog)
    hs_candidates: tuple[Product, ...] = ()  # products an HS code relates to without classifying (evaluate/hs.py)
    hs_conflict: str | None = None  # why the HS code contradicts the product the order names
    # (pack, code, what the pack decides): codes whose licence requirements the pack does not decide
    undecided: tuple[tuple[str, str, DecidedCodes], ...] = ()

    @property
    def number(self) -> int:
        return self.item.line


def transaction_countries(tx: Transaction) -> tuple[str, ...]:
    """The countries the goods are for: the destination, then the countries of the ultimate consignees and end
    users, without repeats. A purchaser's or intermediate consignee's country is not one (an intermediate
    consignee is transit: 15 CFR 734.13(c)); a consignee or end user elsewhere is where the goods go
    (reexport, 734.14; 746.7(e) with 31 CFR 560.204 for Iran)."""
    countries = [tx.destination]
    countries += [p.country for p in tx.parties if p.role in ("ultimate_consignee", "end_user")]
    return tuple(dict.fromkeys(countries))
