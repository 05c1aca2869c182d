"""The rule-pack contract: pack metadata, rules with conditions and citations, and the data they name.

Every YAML file under ``rules/`` has a ``kind``; the loader picks the model by it. Rules refer to data
(country groups, products, party lists) by name, and the loader checks every name exists.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from compliance.codes import number_as_code
from compliance.models._base import Contract, CountryCode, IsoDate
from compliance.models.transaction import Activity, EndUseCode, PartyRole

__all__ = [
    "Alias",
    "CatalogFile",
    "Citation",
    "Condition",
    "ControlCode",
    "CountryGroup",
    "CountryGroupsFile",
    "DenyRule",
    "GroupMember",
    "HsCode",
    "LicenseRule",
    "MaterialFamily",
    "MaterialForm",
    "MaterialsFile",
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
    secondary: bool = Field(
        default=False,
        description="The url (or the text behind the cite) is a secondary source (a news report, a reprint, a "
        "commentary), not the instrument itself; shown as such.",
    )


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
    party_owner_lists: list[Slug] | None = Field(
        default=None,
        description="Party lists whose entries own, in aggregate, 50% or more of a party (or an unknown share), "
        "as the party's `owners` state (the BIS Affiliates rule, 15 CFR 744.11(a)(1)); `party_roles` restricts it.",
    )
    exporter_lists: list[Slug] | None = Field(
        default=None,
        description="Lists the exporter of record is on (lists with `applies_to: exporter`, e.g. the addressees "
        'of an "is informed" letter).',
    )

    @model_validator(mode="after")
    def _nonempty(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("an empty condition would match everything; state at least one test")
        for name in self.model_fields_set:
            value = getattr(self, name)
            if isinstance(value, (list, dict)) and not value:
                raise ValueError(f"`{'not' if name == 'not_' else name}` is empty; remove it or list values")
        if (
            self.party_roles is not None
            and self.party_lists is None
            and self.party_headquarters_groups is None
            and self.party_owner_lists is None
        ):
            raise ValueError(
                "`party_roles` restricts `party_lists`, `party_headquarters_groups` or `party_owner_lists`; give one"
            )
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
    effective_from_confirmed: bool = Field(
        default=True,
        description="False when `effective_from` is a scheduled date (a suspension's end, an announced start) that was "
        "not confirmed when the pack was reviewed; the source goes in `note:`. A decision that depends on it is review.",
    )
    effective_to_confirmed: bool = Field(
        default=True,
        description="False when `effective_to` is a scheduled end (an announced expiry) that was not confirmed when the "
        "pack was reviewed; the source goes in `note:`. A decision that depends on it is review.",
    )

    @model_validator(mode="after")
    def _window(self) -> _RuleBase:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"effective_to {self.effective_to} is before effective_from {self.effective_from}")
        if not self.effective_to_confirmed and self.effective_to is None:
            raise ValueError("effective_to_confirmed: false needs an `effective_to` (the scheduled end to confirm)")
        if not (self.effective_from_confirmed and self.effective_to_confirmed) and not self.note:
            raise ValueError("an unconfirmed date needs a `note:` naming its source and what to confirm")
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
    license_exceptions: list[Literal["NAC", "ACA"]] | None = Field(
        default=None,
        description="Licence exceptions that can overcome this requirement; a licence on file with `exception:` covers "
        "the rule only if it is listed here and the line is eligible (15 CFR 740.8 for NAC/ACA).",
    )


class ReviewRule(_RuleBase):
    effect: Literal["review"] = Field(description="Hold for a compliance officer (red flag, guidance, uncertain law).")


Rule = Annotated[DenyRule | LicenseRule | ReviewRule, Field(discriminator="effect")]


class Scope(Contract):
    """When an order line is subject to a pack's jurisdiction: any of these holds.

    With no exporter given, a line is also in scope when its origin is unknown or is one of
    ``exporter_countries`` (fail closed: the goods may be leaving that country). A pack that follows the goods
    (``origins``) and whose scope a line misses only because the item's origin is not given may still reach
    it: its rules are matched, and any that would apply are reviews saying the origin decides it.
    """

    exporter_countries: list[CountryCode] = Field(default_factory=list, description="Exports from these countries.")
    origins: list[CountryCode] = Field(
        default_factory=list,
        description="Items originating in these countries, wherever they are exported from. For an item whose origin "
        "is not given, the pack's rules that would apply are reviews (the origin decides them).",
    )
    controlled_products: bool = Field(
        default=False, description="Catalog products with a control code in this jurisdiction, wherever they are."
    )
    control_code_given: bool = Field(default=False, description="Items whose `eccn` field is set (US ECCNs).")
    complement_of: Slug | None = Field(
        default=None,
        description="Every line that this other pack's scope does not cover (e.g. foreign-made items that may still be "
        "subject to the EAR through 15 CFR 734.9 or 734.4).",
    )


class DecidedCodes(Contract):
    """What a pack decides of its jurisdiction's control list, and where a user finds the rest."""

    control_codes: list[Code] = Field(
        description="Codes whose licence requirements the rules decide (`3A090` covers `3A090.a`); empty when the "
        "rules decide catalog products only. A catalog product's own code is always decided (its rules are the "
        "product's)."
    )
    citations: list[Citation] = Field(
        min_length=1, description="Where the licence requirements of the other codes are found."
    )
    note: str | None = Field(default=None, description="Why these codes, and what was not confirmed.")


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
    decides: DecidedCodes | None = Field(
        default=None,
        description="The control numbers whose licence requirements the pack's rules decide; a line in scope "
        "with another code of the jurisdiction is review (`engine.control-code-not-decided`). Absent: every "
        "code is taken as decided.",
    )


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


HsDigits = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,12}$")]


class HsCode(Contract):
    """A customs tariff code that an item of a product is declared under (HS: 6 digits, then national digits)."""

    code: HsDigits = Field(description="Digits only: the 6-digit HS subheading, optionally with national digits.")
    country: CountryCode | None = Field(
        default=None,
        description="Whose national nomenclature the digits after the sixth belong to (e.g. `CN` for China's "
        "10-digit codes); required when the code is longer than 6 digits.",
    )
    exact: bool = Field(
        default=False,
        description="The tariff line is the controlled item itself (a dedicated line the announcement prints), so an "
        "item declared under it is classified as this product; otherwise the line is broader and only a candidate.",
    )
    source: Text = Field(description="Where the code comes from (the announcement's reference customs codes, ...).")

    @model_validator(mode="after")
    def _national(self) -> HsCode:
        if len(self.code) > 6 and self.country is None:
            raise ValueError(f"HS code {self.code} has national digits; say whose (`country:`)")
        return self


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
    hs_codes: list[HsCode] = Field(
        default_factory=list, description="Customs tariff codes items of this product are declared under."
    )


class CatalogFile(Contract):
    kind: Literal["catalog"]
    pack: Slug
    products: list[Product] = Field(min_length=1)


class MaterialForm(Contract):
    """One form of a controlled element as an announcement lists it (metal, oxide, an alloy, a compound, ...)."""

    form: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9 -]*$", max_length=60)] = Field(
        description="The form in lower-case words: `metal`, `oxide`, `nitride`, `samarium-cobalt magnet`."
    )
    id: Slug | None = Field(default=None, description="Product id; default `<element>-<form>` (spaces as hyphens).")
    name: Text | None = Field(default=None, description="Product name; default `<Element> <form>`.")
    formula: Text | None = Field(default=None, description="Chemical formula, also matched as an alias (`GaN`).")
    aliases: list[Text] = Field(default_factory=list)
    tags: list[Slug] = Field(default_factory=list, description="Tags beside the family's.")
    controls: dict[Slug, ControlCode] = Field(
        default_factory=dict, description="Control numbers of this form; a pack named here overrides the family's."
    )
    hs_codes: list[HsCode] = Field(default_factory=list)
    note: str | None = None


class MaterialFamily(Contract):
    """An element and the forms of it that are controlled: each form is a catalog product."""

    element: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z]*$", max_length=30)] = Field(
        description="The element's English name in lower case, e.g. `gallium`."
    )
    symbol: Annotated[str, StringConstraints(pattern=r"^[A-Z][a-z]?$")] = Field(description="Chemical symbol, `Ga`.")
    tags: list[Slug] = Field(min_length=1, description="Tags every form carries (what the rules test).")
    controls: dict[Slug, ControlCode] = Field(default_factory=dict, description="Control numbers of every form.")
    citations: list[Citation] = Field(min_length=1, description="The announcements that list these forms.")
    forms: list[MaterialForm] = Field(min_length=1)
    note: str | None = None


class MaterialsFile(Contract):
    kind: Literal["materials"]
    pack: Slug
    families: list[MaterialFamily] = Field(min_length=1)


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


Script = Annotated[str, StringConstraints(pattern=r"^[A-Z][a-z]{3}$")]


class Alias(Contract):
    """Another name of a listed party, with where it comes from; a plain string is an alias with no source."""

    name: Text = Field(description="The alias as the source writes it (any script).")
    source: Text | None = Field(default=None, description="Where the alias was read: the entry, a filing, a URL.")
    weak: bool = Field(
        default=False,
        description="Short or generic (an acronym such as `HMC`, a word such as `Shuguang`): matched only as the "
        "whole name of a party in one of the entry's countries, never as part of a longer name.",
    )
    script: Script | None = Field(default=None, description="ISO 15924 script code of the alias: `Latn`, `Hani`, ...")
    note: str | None = Field(default=None, description="What could not be confirmed about the alias.")

    @model_validator(mode="after")
    def _script_agrees(self) -> Alias:
        han = any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in self.name)
        if self.script == "Hani" and not han:
            raise ValueError(f"alias {self.name!r} is marked `script: Hani` but has no Han characters")
        if self.script == "Latn" and not all(
            ch.isascii() or not ch.isalpha() or "LATIN" in _char_name(ch) for ch in self.name
        ):
            raise ValueError(f"alias {self.name!r} is marked `script: Latn` but has letters of another script")
        return self


def _char_name(ch: str) -> str:
    return unicodedata.name(ch, "")


class PartyEntry(Contract):
    name: Text
    aliases: list[Text | Alias] = Field(
        default_factory=list, description="Other names: plain strings, or `{name, source, weak, script}` objects."
    )
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
    applies_to: Literal["parties", "exporter"] = Field(
        default="parties",
        description="Whom the list is screened against: the transaction's parties (and their owners), or the "
        'exporter of record (e.g. the addressees of an "is informed" letter; rules test it with `exporter_lists`).',
    )


PackFile = Annotated[
    PackMeta | RulesFile | CatalogFile | MaterialsFile | CountryGroupsFile | PartyListFile,
    Field(discriminator="kind"),
]
