"""The decision contract: what the engine returns and what ``--format json`` prints.

Field names are a published contract (issue #3). ``schema_version`` changes only when a field's
meaning changes; new fields are added without a bump.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from compliance.models._base import Contract
from compliance.models.pack import Citation

__all__ = [
    "SCHEMA_VERSION",
    "Decision",
    "Finding",
    "LineDecision",
    "Normalization",
    "Notice",
    "Outcome",
    "PackRef",
    "PartyMatch",
    "Remedy",
    "RemedyKind",
    "RemedyLicense",
]

SCHEMA_VERSION = "1"

Outcome = Literal["allow", "deny", "review"]
Effect = Literal["deny", "license_required", "review", "engine"]


# Named here because PartyMatch has a field called `list`, which hides the builtin inside its class body.
_Citations = list[Citation]
_Strings = list[str]


class PartyMatch(Contract):
    """Why a party name was matched to a party-list entry: what was compared, the score, and the entry."""

    kind: Literal["exact", "fuzzy"] = Field(
        description="`exact`: the names are the same after normalisation (the listed party); `fuzzy`: similar only."
    )
    score: float = Field(description="Similarity from 0 to 1; 1 for an exact match. See README, Screening.")
    list: str = Field(description="Id of the party list.")
    entry: str = Field(description="Name of the listed entry.")
    citations: _Citations = Field(description="The entry's own citations (Federal Register notice, announcement).")
    matched_name: str = Field(description="The entry's name or alias that the party name matched, as listed.")
    alias: bool = Field(description="The matched name is an alias of the entry (not its main name).")
    weak: bool = Field(description="The matched alias is weak (short or generic): whole-name matches only.")
    party: str = Field(description="The party name as given on the order.")
    country: str = Field(description="The party's country as given on the order.")
    entry_countries: _Strings = Field(description="Countries of the entry's addresses; empty when any.")
    country_match: bool = Field(description="The party's country is one of the entry's (or the entry names none).")
    normalized_query: str = Field(description="The party name after normalisation.")
    normalized_entry: str = Field(description="The matched listed name after normalisation.")
    matched_tokens: _Strings = Field(description="Tokens of the party name found in the listed name.")
    unmatched_tokens: _Strings = Field(description="Tokens of the party name not found in the listed name.")
    unmatched_entry_tokens: _Strings = Field(description="Tokens of the listed name not found in the party name.")
    entry_sha256: str = Field(description="Hash of the entry as listed; a clearance of this match is keyed on it.")
    clearance: str | None = Field(default=None, description="Id of the clearance that cleared this possible match.")


RemedyKind = Literal["license", "classify", "screen", "confirm-law", "not-permitted", "review"]


class RemedyLicense(Contract):
    """A licence in the shape of the transaction's ``licenses[]`` entries, without ``id``: the licence that, if it
    were on file, would cover the finding (an ERP can pre-fill an application or a licence record from it)."""

    authority: str = Field(description="Issuing authority, e.g. `US-BIS`.")
    products: _Strings | None = Field(description="Catalog product ids it must name; null: any item.")
    eccns: _Strings | None = Field(description="Control numbers it must name (when the line has no catalog product).")
    destinations: _Strings | None = Field(
        description="Countries it must cover: the destination and the ultimate consignees' and end users' countries."
    )
    parties: _Strings | None = Field(
        description="Parties it must name: the party that triggered the requirement and every purchaser, "
        "consignee and end user of the order; null when the requirement is not a party's."
    )
    valid_from: dt.date = Field(description="It must be valid on the decision's date: from at the latest.")
    valid_to: dt.date = Field(description="... to at the earliest.")
    quantity: float | None = Field(description="Total quantity the order puts under it (all its lines it covers).")
    value: float | None = Field(description="Total value the order puts under it, when every such line has one.")
    currency: str | None = Field(description="Currency of `value`.")
    end_use_codes: _Strings | None = Field(description="End uses it must authorise; null: any.")


class Remedy(Contract):
    """What would resolve a non-allow finding, computed by the engine from the rule (compliance/evaluate/remedies.py)."""

    kind: RemedyKind = Field(
        description="`license`: a licence on file would cover it (see `license`); `classify`: give or correct the "
        "item's classification (`fields`); `screen`: confirm or clear a possible party-list match or a listed party's "
        "role; `confirm-law`: confirm law the pack could not (a scheduled date, a date outside its coverage); "
        "`not-permitted`: no licence on file can cure it (embargo, prohibited end use or party); `review`: an "
        "officer's judgement on what the rule flags."
    )
    text: str = Field(description="What to do, in words.")
    sufficient: bool = Field(
        description="Doing only this turns the finding to allow (checked by the engine for `license`: the licence "
        "below covers the line); false when more is needed or the outcome depends on what is found."
    )
    license: RemedyLicense | None = Field(default=None, description="For `license`: the licence that would cover it.")
    fields: _Strings = Field(
        default_factory=list,
        description="For `classify`: item fields to give or correct (`eccn`, `control_codes`, `product`, `hs_code`, "
        "`origin`).",
    )


class Finding(Contract):
    rule_id: str = Field(description="Rule that applied, or an `engine.*` id for checks the engine makes itself.")
    pack: str = Field(description="Pack id of the rule (`engine` for engine checks).")
    effect: Effect = Field(description="The rule's effect.")
    outcome: Outcome = Field(
        description="What this finding makes of its line: deny, review, or allow (licence on file)."
    )
    line: int | None = Field(description="Order line the finding is about; null for the whole transaction.")
    party: str | None = Field(default=None, description="Party whose listing or headquarters triggered the rule.")
    title: str = Field(description="Short title of the rule.")
    message: str = Field(description="What applies, why, and what to do.")
    citations: list[Citation] = Field(description="The law behind the finding.")
    license: str | None = Field(
        default=None, description="Id of the licence on file that covers a licence requirement."
    )
    authority: str | None = Field(default=None, description="Licensing authority for a licence requirement.")
    review_policy: str | None = Field(default=None, description="The authority's licence review policy, if stated.")
    note: str | None = Field(default=None, description="The rule's note: approximations and unconfirmed facts.")
    match: PartyMatch | None = Field(
        default=None,
        description="On party-list findings: how the party name matched the listed entry (the first listed party "
        "when several are).",
    )
    remedy: Remedy | None = Field(
        default=None, description="On every non-allow finding: what would resolve it (null on allow findings)."
    )


class Normalization(Contract):
    """A value on the order that the engine read in canonical form (letter case, full width, whitespace)."""

    field: str = Field(description="The item field, e.g. `eccn` or `control_codes.CN`.")
    given: str = Field(description="What the order said, e.g. `3a090.a`.")
    used: str = Field(description="What the engine used, e.g. `3A090.a`.")


class LineDecision(Contract):
    line: int
    decision: Outcome
    product: str | None = Field(default=None, description="Catalog product the line resolved to.")
    control_codes: list[str] = Field(default_factory=list, description="Control codes used, as `pack:code`.")
    normalized: list[Normalization] = Field(
        default_factory=list,
        description="Control numbers on the order the engine normalised (letter case, full-width characters, "
        "surrounding whitespace only), with what was given and what was used.",
    )


class PackRef(Contract):
    id: str
    version: str
    sha256: str = Field(description="sha256 of the pack's files, in path order.")


class Notice(Contract):
    """Something the reader of a decision must know that does not change it by itself."""

    code: str = Field(
        description="`law-past-review`: the decision is for a date after the pack was last reviewed against the law."
    )
    pack: str = Field(description="Pack the notice is about.")
    reviewed: dt.date = Field(description="The date that pack was last reviewed against the law.")
    message: str = Field(description="What it means and what to do.")


class Decision(Contract):
    schema_version: str = SCHEMA_VERSION
    transaction_id: str
    decision: Outcome
    as_of: dt.date
    lines: list[LineDecision]
    findings: list[Finding]
    rule_packs: list[PackRef]
    engine_version: str
    notices: list[Notice] = Field(
        default_factory=list,
        description="Notices about the packs behind the decision (e.g. a date past a pack's review); they do not "
        "change the decision.",
    )
