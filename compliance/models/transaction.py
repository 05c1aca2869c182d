"""The transaction contract: what an ERP script or a person submits for a decision.

Field names are a published contract (issue #3): they are extended, never renamed.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from compliance.codes import JURISDICTIONS, CodeError, hs_code_shape, normalize_code
from compliance.models._base import Contract, CountryCode, IsoDate

__all__ = [
    "ACTIVITIES",
    "END_USE_CODES",
    "GOVERNED_ROLES",
    "INFORMATIONAL_END_USE_CODES",
    "PARTY_ROLES",
    "Activity",
    "EndUseCode",
    "Exporter",
    "Item",
    "License",
    "Owner",
    "Party",
    "PartyRole",
    "Transaction",
]

Activity = Literal["export", "reexport", "transfer", "import", "use", "service"]
ACTIVITIES: tuple[str, ...] = ("export", "reexport", "transfer", "import", "use", "service")

PartyRole = Literal[
    "ultimate_consignee", "intermediate_consignee", "end_user", "purchaser", "freight_forwarder", "other"
]
PARTY_ROLES: tuple[str, ...] = (
    "ultimate_consignee",
    "intermediate_consignee",
    "end_user",
    "purchaser",
    "freight_forwarder",
    "other",
)

# The end-use vocabulary rules can test. Each code names a concept the law uses; see docs/transaction.md.
EndUseCode = Literal[
    "military",  # military end use (15 CFR 744.21; MOFCOM Announcement No. 46 of 2024)
    "military_end_user",  # military end user (15 CFR 744.21; No. 46 of 2024)
    "military_intelligence",  # 15 CFR 744.22
    "supercomputer",  # 15 CFR 744.23(a)(1)
    "advanced_node_ic",  # development/production of advanced-node ICs, 15 CFR 744.23(a)(2)
    "wmd",  # nuclear, chemical, biological weapons or missiles, 15 CFR 744.2-744.4
    "ai_training",  # training AI models (BIS policy statement of 2025-05-13)
    "technical_analysis",  # acquisition solely for technical analysis/evaluation (BIS GP10 guidance)
    "civil",  # declared civil/commercial end use
]
END_USE_CODES: tuple[str, ...] = (
    "military",
    "military_end_user",
    "military_intelligence",
    "supercomputer",
    "advanced_node_ic",
    "wmd",
    "ai_training",
    "technical_analysis",
    "civil",
)
# Codes that record what the customer declared but that no law in the bundled packs attaches a consequence
# to: `compliance validate` does not ask for a rule testing them. Every other code must be tested by a rule
# (a code the engine accepts and ignores would be a silent allow).
INFORMATIONAL_END_USE_CODES: tuple[str, ...] = ("civil",)

# The roles a licence governs: a licence names its purchaser, intermediate and ultimate consignees and end
# users (15 CFR 748.5(c)-(f); the Entity List licence requirement attaches to these roles, 744.11(a)). A
# freight forwarder or other party is not a party a licence names.
GOVERNED_ROLES: tuple[str, ...] = ("purchaser", "intermediate_consignee", "ultimate_consignee", "end_user")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def _hs_code(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(f"expected an HS code as a string of digits, got {type(value).__name__} (quote it)")
    digits, why = hs_code_shape(value)
    if digits is None:
        raise ValueError(why)
    return digits


HsCodeText = Annotated[str, BeforeValidator(_hs_code)]
Subdivision = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]
SpecName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
_NUMBER = re.compile(r"^[a-z][a-z0-9_]*$")


def _eccn(value: object) -> object:
    """A US ECCN or `EAR99`, in canonical form (see compliance.codes: case, full width, whitespace only)."""
    return normalize_code(value, "US") if value is not None else None


def _foreign_codes(value: object) -> object:
    """`{CN: "1c902.A"}` -> `{CN: "1C902.a"}`; a jurisdiction without a known code shape is refused."""
    if not isinstance(value, dict):
        return value  # the type error is pydantic's to report
    out: dict[object, object] = {}
    for key, code in value.items():
        if key == "US":
            raise ValueError("the US ECCN goes in `eccn`, not in `control_codes`")
        if not isinstance(key, str) or key not in JURISDICTIONS:
            known = ", ".join(k for k in JURISDICTIONS if k != "US")
            hint = (
                f"; did you mean {key.strip().upper()!r}?"
                if isinstance(key, str) and key.strip().upper() in JURISDICTIONS
                else ""
            )
            raise ValueError(f"no rule pack knows the control codes of {key!r}; known jurisdictions: {known}{hint}")
        try:
            out[key] = normalize_code(code, key)
        except CodeError as exc:
            raise ValueError(f"control_codes.{key}: {exc}") from None
    return out


Eccn = Annotated[str, BeforeValidator(_eccn)]


class Exporter(Contract):
    name: NonEmpty = Field(description="Exporter of record (legal name).")
    country: CountryCode = Field(description="Country the item is exported from (ISO 3166-1 alpha-2).")


class Owner(Contract):
    """One owner of a party, direct or indirect, for the BIS Affiliates rule (15 CFR 744.11(a)(1))."""

    name: NonEmpty = Field(description="Legal name of the owner; screened against the party lists like a party.")
    country: CountryCode = Field(description="Country where the owner is located (ISO 3166-1 alpha-2).")
    share: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="Ownership share in percent (0-100], direct and indirect together; absent when not known "
        "(an unknown share of a listed owner is treated as 50% or more, as BIS's Red Flag 29 requires).",
    )


class Party(Contract):
    role: PartyRole = Field(description="Role of the party in the transaction.")
    name: NonEmpty = Field(description="Legal name as on the order; matched against party lists after normalisation.")
    country: CountryCode = Field(description="Country where the party is located (ISO 3166-1 alpha-2).")
    address: str | None = Field(default=None, description="Street address, if known.")
    headquarters: CountryCode | None = Field(
        default=None,
        description="Country of the party's headquarters or ultimate parent, if different from `country` "
        "(15 CFR 744.23(a)(3) and 742.6(a)(6) look at where a buyer is headquartered).",
    )
    owners: list[Owner] | None = Field(
        default=None,
        description="The party's owners, as far as known. Absent: ownership was not checked, and the engine screens "
        "only the party itself (see README, Ownership). Listed owners with 50% or more in aggregate make the party "
        "subject to their listing while the Affiliates rule is in force.",
    )

    @field_validator("owners")
    @classmethod
    def _shares(cls, owners: list[Owner] | None) -> list[Owner] | None:
        if owners:
            total = sum(o.share for o in owners if o.share is not None)
            if total > 100 + 1e-9:
                raise ValueError(f"owners' shares add up to {total:g}%, more than 100%")
        return owners


class Item(Contract):
    line: int = Field(ge=1, description="Line number on the order; unique within the transaction.")
    product: NonEmpty | None = Field(default=None, description="Catalog id or any catalog alias (e.g. `NVIDIA H20`).")
    description: str | None = Field(default=None, description="Free-text description.")
    eccn: Eccn | None = Field(
        default=None,
        description="US Export Control Classification Number, e.g. `3A090.a`, or `EAR99`. Letter case, full-width "
        "characters and surrounding whitespace are normalised (and shown in the decision); anything else that is "
        "not an ECCN is an input error. Omit it for an unclassified item (reviewed).",
    )
    origin: CountryCode | None = Field(default=None, description="Country of origin of the item (ISO 3166-1 alpha-2).")
    quantity: float = Field(gt=0, description="Quantity ordered.")
    unit_value: float | None = Field(default=None, ge=0, description="Value per unit.")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, description="ISO 4217 currency of `unit_value`."
    )
    specs: dict[SpecName, float] = Field(
        default_factory=dict,
        description="Technical parameters, e.g. `tpp` (total processing performance), `performance_density`.",
    )
    datacenter: bool | None = Field(
        default=None,
        description="Designed or marketed for use in datacenters (3A090 Note 1); unknown when absent.",
    )
    control_codes: Annotated[dict[str, str], BeforeValidator(_foreign_codes)] = Field(
        default_factory=dict,
        description='Control numbers of other jurisdictions, by jurisdiction: `{CN: "1C902.a"}` (PRC Dual-Use '
        "Items Export Control List). Normalised like `eccn`; the US ECCN stays in `eccn`.",
    )
    # What the order said where the engine normalised it ({"eccn": "3a090.a"}), to show in the decision.
    _given: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_given(cls, data: object, handler: ModelWrapValidatorHandler[Item]) -> Item:
        item = handler(data)
        if isinstance(data, dict):
            given: dict[str, str] = {}
            raw = data.get("eccn")
            if isinstance(raw, str) and raw != item.eccn:
                given["eccn"] = raw
            raw_codes = data.get("control_codes")
            if isinstance(raw_codes, dict):
                for key, code in raw_codes.items():
                    if isinstance(code, str) and item.control_codes.get(key) != code:
                        given[f"control_codes.{key}"] = code
            if given:
                item._given = given
        return item

    @property
    def normalized(self) -> tuple[tuple[str, str, str], ...]:
        """(field, as given, as used) for each value the engine normalised."""
        # Read the private store directly: pydantic's attribute fallback is slow, and this runs on every line.
        given: dict[str, str] | None = (self.__pydantic_private__ or {}).get("_given")
        if not given:
            return ()
        used = {"eccn": self.eccn or "", **{f"control_codes.{k}": v for k, v in self.control_codes.items()}}
        return tuple((name, raw, used[name]) for name, raw in sorted(given.items()))

    hs_code: HsCodeText | None = Field(
        default=None,
        description="Customs tariff code: the 6-digit HS subheading, optionally with national digits (read in the "
        "nomenclature of the exporter's country); matched by prefix against the catalog's HS codes.",
    )

    @field_validator("specs")
    @classmethod
    def _finite(cls, specs: dict[str, float]) -> dict[str, float]:
        for name, value in specs.items():
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"spec {name!r} must be a finite number")
        return specs


class License(Contract):
    id: NonEmpty = Field(description="Licence number or authorization id.")
    authority: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9-]{2,20}$")] = Field(
        description="Issuing authority, e.g. `US-BIS`, `CN-MOFCOM`."
    )
    products: list[NonEmpty] | None = Field(
        default=None, description="Products covered (catalog ids or aliases); all when absent."
    )
    eccns: list[NonEmpty] | None = Field(
        default=None,
        description="Control numbers covered, in the authority's jurisdiction (ECCNs for `US-*`); all when absent. "
        "Normalised like an item's `eccn`.",
    )
    destinations: list[CountryCode] | None = Field(
        default=None,
        description="Destinations covered; all when absent. The order's destination and the countries of its "
        "ultimate consignees and end users must all be listed.",
    )
    parties: list[NonEmpty] | None = Field(
        default=None,
        description="Parties covered (names). When given, the order must name an ultimate consignee or end user, "
        "and every purchaser, consignee and end user of the order must be on it. When absent, the licence "
        "covers no requirement that a party triggered (an Entity List party must be named on the licence).",
    )
    valid_from: IsoDate = Field(description="First day the licence is valid.")
    valid_to: IsoDate = Field(description="Last day the licence is valid.")
    note: str | None = Field(default=None, description="Free text, e.g. conditions attached to the licence.")
    quantity: float | None = Field(
        default=None,
        gt=0,
        description="Total quantity authorised (in the order's units); a transaction whose lines under this "
        "licence exceed it is not covered. What earlier shipments used up is not tracked here.",
    )
    value: float | None = Field(
        default=None,
        gt=0,
        description="Total value authorised, in `currency`; lines under this licence must carry `unit_value` in "
        "the same currency, else the line is reviewed (no exchange rates at run time).",
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, description="ISO 4217 currency of `value`."
    )
    end_use_codes: list[EndUseCode] | None = Field(
        default=None,
        min_length=1,
        description="End uses the licence authorises; the order's `end_use_codes` must all be among them (an "
        "order that declares none is reviewed). Any end use when absent.",
    )

    @field_validator("eccns", mode="after")
    @classmethod
    def _codes(cls, codes: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if codes is None:
            return None
        authority = info.data.get("authority")
        jurisdiction = authority[:2] if isinstance(authority, str) else ""
        shapes = [jurisdiction] if jurisdiction in JURISDICTIONS else list(JURISDICTIONS)
        out = []
        for i, code in enumerate(codes):
            last: CodeError | None = None
            for shape in shapes:
                try:
                    out.append(normalize_code(code, shape))
                    break
                except CodeError as exc:
                    last = exc
            else:
                assert last is not None
                raise ValueError(f"eccns.{i}: {last.message}; {last.hint.replace('omit `eccn`', 'omit the code')}")
        return out

    exception: Literal["NAC", "ACA"] | None = Field(
        default=None,
        description="A licence exception used instead of a licence (15 CFR 740.8 NAC/ACA); it covers only rules "
        "that name it in `license_exceptions`, and only eligible lines.",
    )
    notified: IsoDate | None = Field(
        default=None,
        description="For NAC: the day the notification was submitted in SNAP-R; exports may follow 25 calendar days "
        "later (15 CFR 740.8(c)).",
    )

    @model_validator(mode="after")
    def _window(self) -> License:
        if self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        if self.value is not None and self.currency is None:
            raise ValueError("a licence `value` needs its `currency` (ISO 4217, e.g. USD)")
        if self.exception == "NAC" and self.notified is None:
            raise ValueError("a NAC entry needs `notified`: the day the NAC notification was submitted")
        if self.notified is not None and self.exception != "NAC":
            raise ValueError("`notified` is the date of a NAC notification; set `exception: NAC` or remove it")
        return self


class Transaction(Contract):
    id: NonEmpty = Field(description="Transaction (order) id.")
    date: IsoDate = Field(description="Date of the proposed shipment or activity; rules are evaluated as of this date.")
    activity: Activity = Field(default="export", description="What is proposed.")
    exporter: Exporter | None = Field(default=None, description="Exporter of record and country of export.")
    destination: CountryCode = Field(description="Ultimate destination country (ISO 3166-1 alpha-2).")
    destination_subdivision: Subdivision | None = Field(
        default=None,
        description="ISO 3166-2 subdivision of the destination when a region is controlled separately "
        "(e.g. `UA-43` Crimea).",
    )
    parties: list[Party] = Field(default_factory=list, description="Parties to the transaction.")
    end_use: str | None = Field(default=None, description="Stated end use, free text.")
    end_use_codes: list[EndUseCode] = Field(
        default_factory=list, description="End-use codes from the documented vocabulary."
    )
    items: list[Item] = Field(min_length=1, description="Order lines (at least one).")
    licenses: list[License] = Field(default_factory=list, description="Licences and authorizations on file.")

    @model_validator(mode="after")
    def _consistent(self) -> Transaction:
        seen: set[int] = set()
        for item in self.items:
            if item.line in seen:
                raise ValueError(f"item line {item.line} appears more than once; line numbers must be unique")
            seen.add(item.line)
        if self.destination_subdivision and not self.destination_subdivision.startswith(self.destination + "-"):
            raise ValueError(
                f"destination_subdivision {self.destination_subdivision} is not in destination {self.destination}"
            )
        return self
