"""The clearances file: possible party-list matches a compliance officer has ruled out (the "good guy" list).

A clearance names one party (its name and country, as on orders), one party-list entry (list id, entry
name, and the sha256 of the entry as it was listed when cleared), who cleared it, why, when, and until when.
It suppresses that possible match only: the same party against another entry, another party against this
entry, a party that *is* the entry (an exact match), or the entry after it changed, are screened as before.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from compliance.models._base import Contract, CountryCode, IsoDate

__all__ = ["Clearance", "ClearancesFile"]

ClearanceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Clearance(Contract):
    id: ClearanceId = Field(description="Stable id, e.g. `CLR-0001`; named in the decisions it clears.")
    party: Text = Field(description="The party name as on orders (matched after normalisation).")
    country: CountryCode = Field(description="The party's country (ISO 3166-1 alpha-2).")
    list: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")] = Field(
        description="Id of the party list, e.g. `us-entity-list`."
    )
    entry: Text = Field(description="Name of the listed entry, as listed.")
    entry_sha256: Sha256 = Field(
        description="sha256 of the entry when it was cleared (`match.entry_sha256` of the finding); a changed "
        "entry reopens the match."
    )
    reason: Text = Field(description="Why the party is not the listed entry (what was checked).")
    cleared_by: Text = Field(description="Name of the officer who cleared it.")
    date: IsoDate = Field(description="Day the clearance was made; it applies from this day.")
    expires: IsoDate = Field(description="Last day the clearance applies (inclusive).")
    withdrawn: IsoDate | None = Field(
        default=None, description="Day the clearance was withdrawn (`clearances expire`); it no longer applies from it."
    )
    note: str | None = None

    @model_validator(mode="after")
    def _window(self) -> Clearance:
        if self.expires < self.date:
            raise ValueError(f"expires {self.expires} is before date {self.date}")
        return self


class ClearancesFile(Contract):
    kind: Literal["clearances"]
    clearances: list[Clearance] = Field(default_factory=list)
