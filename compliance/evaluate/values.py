"""Decisions as plain values on the hot path; the pydantic contract only where it is returned or rendered.

The engine builds :class:`DecisionValue`, :class:`LineValue` and :class:`FindingValue` (slots, no
validation: their contents come from validated input and validated packs). :func:`to_model` turns one into
the public :class:`~compliance.models.decision.Decision`; :func:`to_jsonable` into exactly the data
``Decision.model_dump(mode="json")`` gives, without building the model, for the JSON writers. Both are
checked field by field against the contract by ``tests/evaluate/test_values.py``. Like the facts, these are
plain slots classes (cheaper to build than frozen ones) that nothing changes once built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from compliance.models._base import construct
from compliance.models.decision import (
    SCHEMA_VERSION,
    Decision,
    Finding,
    LineDecision,
    Normalization,
    Notice,
    Outcome,
    PackRef,
    PartyMatch,
    Remedy,
    RemedyLicense,
)
from compliance.models.pack import Citation

__all__ = [
    "CitationValue",
    "DecisionValue",
    "FindingValue",
    "LicenseTermsValue",
    "LineValue",
    "MatchValue",
    "NoticeValue",
    "RemedyValue",
    "citation_value",
    "to_jsonable",
    "to_model",
]

Effect = str


@dataclass(slots=True)
class CitationValue:
    """A pack citation with its JSON form, built once per citation when the engine is built."""

    model: Citation
    json: dict[str, object]


def citation_value(c: Citation) -> CitationValue:
    return CitationValue(c, c.model_dump(mode="json"))


@dataclass(slots=True)
class MatchValue:
    """The contract's ``PartyMatch``: how a party name matched a listed entry."""

    kind: str
    score: float
    list: str
    entry: str
    citations: tuple[CitationValue, ...]
    matched_name: str
    alias: bool
    weak: bool
    party: str
    country: str
    entry_countries: tuple[str, ...]
    country_match: bool
    normalized_query: str
    normalized_entry: str
    matched_tokens: tuple[str, ...]
    unmatched_tokens: tuple[str, ...]
    unmatched_entry_tokens: tuple[str, ...]
    entry_sha256: str
    clearance: str | None = None


@dataclass(slots=True)
class LicenseTermsValue:
    """The contract's ``RemedyLicense``: the licence a remedy describes."""

    authority: str
    products: tuple[str, ...] | None
    eccns: tuple[str, ...] | None
    destinations: tuple[str, ...]
    parties: tuple[str, ...] | None
    valid_from: dt.date
    valid_to: dt.date
    quantity: float | None
    value: float | None
    currency: str | None


@dataclass(slots=True)
class RemedyValue:
    """The contract's ``Remedy``."""

    kind: str
    text: str
    sufficient: bool
    license: LicenseTermsValue | None = None
    fields: tuple[str, ...] = ()


@dataclass(slots=True)
class FindingValue:
    rule_id: str
    pack: str
    effect: Effect
    outcome: Outcome
    line: int | None
    parties: tuple[str, ...]  # the parties whose listing or headquarters made the rule apply
    title: str
    message: str
    citations: tuple[CitationValue, ...]
    license: str | None = None
    authority: str | None = None
    review_policy: str | None = None
    note: str | None = None
    match: MatchValue | None = None
    remedy: RemedyValue | None = None

    @property
    def party(self) -> str | None:
        """The contract's single string: names joined by "; " (the names themselves stay apart above)."""
        return "; ".join(self.parties) if self.parties else None


@dataclass(slots=True)
class LineValue:
    line: int
    decision: Outcome
    product: str | None
    control_codes: tuple[tuple[str, str], ...]  # (pack, code); rendered as the contract's `pack:code`
    normalized: tuple[tuple[str, str, str], ...] = ()  # (field, given, used) for each normalised code


@dataclass(slots=True)
class NoticeValue:
    code: str
    pack: str
    reviewed: dt.date
    message: str


@dataclass(slots=True)
class DecisionValue:
    transaction_id: str
    decision: Outcome
    as_of: dt.date
    lines: tuple[LineValue, ...]
    findings: tuple[FindingValue, ...]
    rule_packs: tuple[PackRef, ...]
    engine_version: str
    schema_version: str = SCHEMA_VERSION
    notices: tuple[NoticeValue, ...] = ()


def _codes(line: LineValue) -> list[str]:
    return [f"{pack}:{code}" for pack, code in line.control_codes]


def _match_model(m: MatchValue | None) -> PartyMatch | None:
    if m is None:
        return None
    return construct(
        PartyMatch,
        kind=m.kind,
        score=m.score,
        list=m.list,
        entry=m.entry,
        citations=[c.model for c in m.citations],
        matched_name=m.matched_name,
        alias=m.alias,
        weak=m.weak,
        party=m.party,
        country=m.country,
        entry_countries=list(m.entry_countries),
        country_match=m.country_match,
        normalized_query=m.normalized_query,
        normalized_entry=m.normalized_entry,
        matched_tokens=list(m.matched_tokens),
        unmatched_tokens=list(m.unmatched_tokens),
        unmatched_entry_tokens=list(m.unmatched_entry_tokens),
        entry_sha256=m.entry_sha256,
        clearance=m.clearance,
    )


def _match_json(m: MatchValue | None) -> dict[str, object] | None:
    if m is None:
        return None
    return {
        "kind": m.kind,
        "score": m.score,
        "list": m.list,
        "entry": m.entry,
        "citations": [c.json for c in m.citations],
        "matched_name": m.matched_name,
        "alias": m.alias,
        "weak": m.weak,
        "party": m.party,
        "country": m.country,
        "entry_countries": list(m.entry_countries),
        "country_match": m.country_match,
        "normalized_query": m.normalized_query,
        "normalized_entry": m.normalized_entry,
        "matched_tokens": list(m.matched_tokens),
        "unmatched_tokens": list(m.unmatched_tokens),
        "unmatched_entry_tokens": list(m.unmatched_entry_tokens),
        "entry_sha256": m.entry_sha256,
        "clearance": m.clearance,
    }


def _remedy_model(r: RemedyValue | None) -> Remedy | None:
    if r is None:
        return None
    lic = None
    if r.license is not None:
        t = r.license
        lic = construct(
            RemedyLicense,
            authority=t.authority,
            products=_listed(t.products),
            eccns=_listed(t.eccns),
            destinations=list(t.destinations),
            parties=_listed(t.parties),
            valid_from=t.valid_from,
            valid_to=t.valid_to,
            quantity=t.quantity,
            value=t.value,
            currency=t.currency,
            end_use_codes=None,
        )
    return construct(Remedy, kind=r.kind, text=r.text, sufficient=r.sufficient, license=lic, fields=list(r.fields))


def _listed(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


def _license_json(lic: LicenseTermsValue) -> dict[str, object]:
    """Exactly the contract's ``RemedyLicense.model_dump(mode="json")`` (checked by tests/evaluate/test_values.py)."""
    return {
        "authority": lic.authority,
        "products": _listed(lic.products),
        "eccns": _listed(lic.eccns),
        "destinations": list(lic.destinations),
        "parties": _listed(lic.parties),
        "valid_from": lic.valid_from.isoformat(),
        "valid_to": lic.valid_to.isoformat(),
        "quantity": lic.quantity,
        "value": lic.value,
        "currency": lic.currency,
        "end_use_codes": None,
    }


def _remedy_json(r: RemedyValue | None) -> dict[str, object] | None:
    if r is None:
        return None
    lic = _license_json(r.license) if r.license is not None else None
    return {"kind": r.kind, "text": r.text, "sufficient": r.sufficient, "license": lic, "fields": list(r.fields)}


def _finding_model(f: FindingValue) -> Finding:
    return construct(
        Finding,
        rule_id=f.rule_id,
        pack=f.pack,
        effect=f.effect,
        outcome=f.outcome,
        line=f.line,
        party=f.party,
        title=f.title,
        message=f.message,
        citations=[c.model for c in f.citations],
        license=f.license,
        authority=f.authority,
        review_policy=f.review_policy,
        note=f.note,
        match=_match_model(f.match),
        remedy=_remedy_model(f.remedy),
    )


def to_model(d: DecisionValue) -> Decision:
    """The public contract for a decision value (built without re-validating what is already valid)."""
    return construct(
        Decision,
        schema_version=d.schema_version,
        transaction_id=d.transaction_id,
        decision=d.decision,
        as_of=d.as_of,
        lines=[
            construct(
                LineDecision,
                line=ld.line,
                decision=ld.decision,
                product=ld.product,
                control_codes=_codes(ld),
                normalized=[construct(Normalization, field=f, given=g, used=u) for f, g, u in ld.normalized],
            )
            for ld in d.lines
        ],
        findings=[_finding_model(f) for f in d.findings],
        rule_packs=list(d.rule_packs),
        engine_version=d.engine_version,
        notices=[
            construct(Notice, code=n.code, pack=n.pack, reviewed=n.reviewed, message=n.message) for n in d.notices
        ],
    )


def _finding_json(f: FindingValue) -> dict[str, object]:
    return {
        "rule_id": f.rule_id,
        "pack": f.pack,
        "effect": f.effect,
        "outcome": f.outcome,
        "line": f.line,
        "party": f.party,
        "title": f.title,
        "message": f.message,
        "citations": [c.json for c in f.citations],
        "license": f.license,
        "authority": f.authority,
        "review_policy": f.review_policy,
        "note": f.note,
        "match": _match_json(f.match),
        "remedy": _remedy_json(f.remedy),
    }


def to_jsonable(d: DecisionValue) -> dict[str, object]:
    """Exactly ``to_model(d).model_dump(mode="json")``, built directly from the values."""
    return {
        "schema_version": d.schema_version,
        "transaction_id": d.transaction_id,
        "decision": d.decision,
        "as_of": d.as_of.isoformat(),
        "lines": [
            {
                "line": ld.line,
                "decision": ld.decision,
                "product": ld.product,
                "control_codes": _codes(ld),
                "normalized": [{"field": f, "given": g, "used": u} for f, g, u in ld.normalized],
            }
            for ld in d.lines
        ],
        "findings": [_finding_json(f) for f in d.findings],
        "rule_packs": [{"id": p.id, "version": p.version, "sha256": p.sha256} for p in d.rule_packs],
        "engine_version": d.engine_version,
        "notices": [
            {"code": n.code, "pack": n.pack, "reviewed": n.reviewed.isoformat(), "message": n.message}
            for n in d.notices
        ],
    }
