"""The rule-pack contract: pack metadata, rules with conditions and citations, and the data they name.

Every YAML file under ``rules/`` has a ``kind``; the loader picks the model by it. Rules refer to data
(country groups, products, party lists) by name, and the loader checks every name exists.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from compliance.codes import number_as_code
from compliance.models._base import Contract, CountryCode, IsoDate
from compliance.models.transaction import Activity, EndUseCode, PartyRole

__all__ = [
    "CatalogFile",
    "Citation",
    "Condition",
    "ControlCode",
    "CountryGroup",
    "CountryGroupsFile",
    "DenyRule",
    "GroupMember",
    "LicenseRule",
    "PackFile",
    "PackMeta",
    "PartyEntry",
    "PartyListFile",
    "Product",
    "ReviewRule",
    "Rule",
    "RulesFile",
    "Scope",
    "SpecBound",
    "SpecValue",
]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+\.[a-z0-9-]+\.[a-z0-9][a-z0-9.-]*$", max_length=120)]
GroupId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9:._-]*$", max_length=40)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _code_text(value: object) -> object:
    """YAML reads an unquoted `3E001` as the number 30.0: refuse it where it stands, saying what to write."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        guess = number_as_code(float(value))
        quoted = f'"{guess}"' if guess else "the code"
        raise ValueError(f"{value!r} was read as a number, not a control number; quote it: {quoted}")
    return value


Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Za-z0-9.]*$", max_length=30), BeforeValidator(_code_text)]
SpecName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Authority = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9-]{2,20}$")]


class Citation(Contract):
    cite: Text = Field(
        description="Canonical citation: `15 CFR 744.11`, `88 FR 73458`, `MOFCOM/GAC Announcement No. 23 of 2023`."
    )
    url: str | None = Field(default=None, description="Where an officer can read it.")
    title: str | None = Field(default=None, description="Title of the instrument.")
    date: IsoDate | None = Field(default=None, description="Publication or issue date.")


class SpecBound(Contract):
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None

    @model_validator(mode="after")
    def _some(self) -> SpecBound:
        if self.gt is None and self.gte is None and self.lt is None and self.lte is None:
            raise ValueError("a spec bound needs at least one of gt, gte, lt, lte")
        return self


class Condition(Contract):
    """All keys present must hold (AND); a list inside a key matches any of its values (OR)."""

    products: list[Text] | None = Field(default=None, description="Catalog product ids (aliases are resolved).")
    product_tags: list[Slug] | None = Field(default=None, description="Catalog tags, e.g. `huawei-ascend`.")
    control_codes: list[Code] | None = Field(
        default=None,
        description="Control numbers in this pack's jurisdiction (an ECCN for us-ear); `3A090` also matches `3A090.a`.",
    )
    specs: dict[SpecName, SpecBound] | None = Field(
        default=None, description="Numeric thresholds on item specs; unknown spec = no match."
    )
    datacenter: bool | None = Field(default=None, description="Item designed or marketed for datacenters.")
    destinations: list[CountryCode] | None = None
    destination_groups: list[GroupId] | None = None
    destination_subdivisions: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]] | None = None
    origins: list[CountryCode] | None = None
    exporter_countries: list[CountryCode] | None = None
    activities: list[Activity] | None = None
    end_use_codes: list[EndUseCode] | None = None
    party_lists: list[Slug] | None = Field(
        default=None, description="Party lists one of the parties is on (as of the date)."
    )
    party_headquarters_groups: list[GroupId] | None = Field(
        default=None, description="Country groups where a party is headquartered (its `headquarters`, else `country`)."
    )
    party_roles: list[PartyRole] | None = Field(
        default=None, description="Restrict `party_lists`/`party_headquarters_groups` to parties in these roles."
    )
    transaction_countries: Condition | None = Field(
        default=None,
        description="At least one country of the transaction (the destination, or the country of an ultimate "
        "consignee or end user) satisfies this condition as if it were the destination. Only `destinations`, "
        "`destination_groups`, `any`, `all` and `not` may appear inside; groups are taken as of the date.",
    )
    any: list[Condition] | None = Field(default=None, description="At least one of these conditions holds.")
    all: list[Condition] | None = Field(default=None, description="Every one of these conditions holds.")
    not_: Condition | None = Field(default=None, alias="not", description="This condition does not hold.")

    @model_validator(mode="after")
    def _nonempty(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("an empty condition would match everything; state at least one test")
        for name in self.model_fields_set:
            value = getattr(self, name)
            if isinstance(value, (list, dict)) and not value:
                raise ValueError(f"`{'not' if name == 'not_' else name}` is empty; remove it or list values")
        if self.party_roles is not None and self.party_lists is None and self.party_headquarters_groups is None:
            raise ValueError("`party_roles` restricts `party_lists` or `party_headquarters_groups`; give one of them")
        if self.transaction_countries is not None:
            outside = _not_country_keys(self.transaction_countries)
            if outside:
                raise ValueError(
                    f"`transaction_countries` tests countries only; move {', '.join(f'`{k}`' for k in outside)} "
                    "out of it (allowed inside: destinations, destination_groups, any, all, not)"
                )
        return self


_COUNTRY_KEYS = frozenset({"destinations", "destination_groups", "any", "all", "not_"})


def _not_country_keys(cond: Condition) -> list[str]:
    out = sorted(k for k in cond.model_fields_set if k not in _COUNTRY_KEYS)
    for sub in [*(cond.any or ()), *(cond.all or ()), *([cond.not_] if cond.not_ else [])]:
        out += [k for k in _not_country_keys(sub) if k not in out]
    return out


class _RuleBase(Contract):
    id: RuleId = Field(description="Stable id `<pack>.<topic>.<slug>`; never changed or reused.")
    title: Text
    when: Condition = Field(description="When the rule applies to an order line.")
    unless: Condition | None = Field(default=None, description="An exemption: the rule does not apply when this holds.")
    effective_from: IsoDate = Field(description="First day the rule is in force.")
    effective_to: IsoDate | None = Field(
        default=None, description="Last day the rule is in force (inclusive); open when absent."
    )
    message: Text = Field(description="What applies, why, and what to do.")
    citations: list[Citation] = Field(min_length=1, description="The law behind the rule.")
    note: str | None = Field(default=None, description="Approximations and facts that could not be confirmed.")

    @model_validator(mode="after")
    def _window(self) -> _RuleBase:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"effective_to {self.effective_to} is before effective_from {self.effective_from}")
        return self


class DenyRule(_RuleBase):
    effect: Literal["deny"] = Field(description="Prohibited: no licence on file can cover it.")


class LicenseRule(_RuleBase):
    effect: Literal["license_required"] = Field(
        description="Licence required: deny unless a covering licence is on file."
    )
    authority: Authority = Field(description="Authority whose licence covers the requirement, e.g. `US-BIS`.")
    review_policy: Text | None = Field(
        default=None, description="How the authority treats applications: `presumption of denial`, `case-by-case`, ..."
    )


class ReviewRule(_RuleBase):
    effect: Literal["review"] = Field(description="Hold for a compliance officer (red flag, guidance, uncertain law).")


Rule = Annotated[DenyRule | LicenseRule | ReviewRule, Field(discriminator="effect")]


class Scope(Contract):
    """When an order line is subject to a pack's jurisdiction: any of these holds.

    With no exporter given, a line is also in scope when its origin is unknown or is one of
    ``exporter_countries`` (fail closed: the goods may be leaving that country).
    """

    exporter_countries: list[CountryCode] = Field(default_factory=list, description="Exports from these countries.")
    origins: list[CountryCode] = Field(default_factory=list, description="Items originating in these countries.")
    controlled_products: bool = Field(
        default=False, description="Catalog products with a control code in this jurisdiction, wherever they are."
    )
    control_code_given: bool = Field(default=False, description="Items whose `eccn` field is set (US ECCNs).")
    reexport_origins: list[CountryCode] = Field(
        default_factory=list,
        description="Items of these origins (or of unknown origin) that this pack controls (a catalog product with "
        "a control entry for the pack, or an item carrying a code of its jurisdiction), exported from a country "
        "outside `exporter_countries`: the pack may still reach them. Its rules that require `origins` apply to "
        "them; when none applies, the engine says it cannot decide (review, `engine.pack-reach`).",
    )
    reexport_note: str | None = Field(
        default=None, description="Why the pack may reach such items (the law, cited), shown in that review."
    )


class PackMeta(Contract):
    kind: Literal["pack"]
    id: Slug
    title: Text
    jurisdiction: Text = Field(description="Legal system, e.g. `US EAR (15 CFR 730-774)`.")
    version: Text
    reviewed: IsoDate = Field(description="Date the pack was last reviewed against the law.")
    coverage_from: IsoDate = Field(description="Earliest date the pack is meant to decide; earlier dates give review.")
    coverage_to: IsoDate | None = Field(default=None, description="Last date covered; later dates give review.")
    scope: Scope = Field(default_factory=Scope, description="When an order line is subject to this pack.")
    sources: list[Citation] = Field(min_length=1)
    note: str | None = None


class RulesFile(Contract):
    kind: Literal["rules"]
    pack: Slug
    rules: list[Rule] = Field(min_length=1)


class SpecValue(Contract):
    value: float
    source: Text = Field(description="Where the figure comes from (datasheet, FR paragraph).")


class ControlCode(Contract):
    code: Code | None = Field(default=None, description="Control number; absent when not confirmed.")
    note: str | None = None


class Product(Contract):
    id: Slug
    name: Text
    manufacturer: Text
    aliases: list[Text] = Field(default_factory=list)
    tags: list[Slug] = Field(default_factory=list)
    datacenter: bool | None = None
    controls: dict[Slug, ControlCode] = Field(default_factory=dict, description="Control number per pack id.")
    specs: dict[SpecName, SpecValue] = Field(default_factory=dict)
    note: str | None = None


class CatalogFile(Contract):
    kind: Literal["catalog"]
    pack: Slug
    products: list[Product] = Field(min_length=1)


class GroupMember(Contract):
    country: CountryCode
    from_: IsoDate | None = Field(default=None, alias="from")
    to: IsoDate | None = Field(default=None, description="Last day of membership (inclusive).")
    note: str | None = None


class CountryGroup(Contract):
    id: GroupId
    title: Text
    members: list[CountryCode | GroupMember] = Field(min_length=1)
    citations: list[Citation] = Field(min_length=1)
    note: str | None = None


class CountryGroupsFile(Contract):
    kind: Literal["country-groups"]
    pack: Slug
    groups: list[CountryGroup] = Field(min_length=1)


class PartyEntry(Contract):
    name: Text
    aliases: list[Text] = Field(default_factory=list)
    countries: list[CountryCode] = Field(
        default_factory=list, description="Where the listed addresses are; any when empty."
    )
    added: IsoDate = Field(description="Date the entry took effect.")
    removed: IsoDate | None = Field(default=None, description="Last day the entry applied, if removed or suspended.")
    citations: list[Citation] = Field(min_length=1)
    note: str | None = None


class PartyListFile(Contract):
    kind: Literal["party-list"]
    id: Slug
    pack: Slug
    title: Text
    citations: list[Citation] = Field(min_length=1)
    entries: list[PartyEntry] = Field(min_length=1)


PackFile = Annotated[
    PackMeta | RulesFile | CatalogFile | CountryGroupsFile | PartyListFile, Field(discriminator="kind")
]
