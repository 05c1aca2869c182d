"""Properties of law past the review, on the bundled packs and generated orders.

* Metamorphic: the packs decide an order as scheduled (``S``: every unconfirmed date is taken as confirmed) and as
  not scheduled (``U``: rules with an unconfirmed start are dropped, rules with an unconfirmed end go on). The
  engine's decision is review whenever ``S`` and ``U`` differ, and otherwise one of them, or review: never a guess.
* Destroying what the engine is told never makes it more permissive: forgetting an owner's share, or the national
  digits of an HS code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import Engine
from compliance.evaluate.resolve import SEVERITY
from compliance.packs import load_packs
from compliance.packs.packset import PackRule, PackSet
from tests.conftest import RULES

_PACKS = load_packs([RULES])


def _world(packset: PackSet, *, scheduled: bool) -> PackSet:
    rules: list[PackRule] = []
    for pr in packset.rules:
        rule = pr.rule
        if scheduled:
            rule = rule.model_copy(update={"effective_from_confirmed": True, "effective_to_confirmed": True})
        else:
            if not rule.effective_from_confirmed:
                continue  # the scheduled start did not happen
            if not rule.effective_to_confirmed:
                rule = rule.model_copy(update={"effective_to": None, "effective_to_confirmed": True})
        rules.append(PackRule(rule, pr.pack, pr.location))
    return dataclasses.replace(packset, rules=tuple(rules))


_ENGINE = Engine(_PACKS, backend="reference")
_SCHEDULED = Engine(_world(_PACKS, scheduled=True), backend="reference")
_NOT_SCHEDULED = Engine(_world(_PACKS, scheduled=False), backend="reference")
_DURABLE = Engine(_PACKS, backend="durable")

products = st.sampled_from(
    ["gallium", "GaN", "holmium", "diamond micropowder", "high-energy lithium-ion cell", "antimony", "H100", None]
)
owners = st.sampled_from(
    [
        None,
        [{"name": "Huawei Technologies Co., Ltd.", "country": "CN", "share": 60}],
        [{"name": "Huawei Technologies Co., Ltd.", "country": "CN", "share": 40}],
        [{"name": "SMIC", "country": "CN"}],
    ]
)


@st.composite
def orders(draw: st.DrawFn) -> dict[str, object]:
    product = draw(products)
    item: dict[str, object] = {"line": 1, "quantity": 1}
    if product:
        item["product"] = product
    else:
        item["eccn"] = "EAR99"
    if draw(st.booleans()):
        item["origin"] = "CN"
    party: dict[str, object] = {"role": "end_user", "name": "Example Buyer GmbH", "country": "DE"}
    owned = draw(owners)
    if owned is not None:
        party["owners"] = owned
    licences = []
    if draw(st.booleans()):
        licences.append({"id": "M", "authority": "CN-MOFCOM", "valid_from": "2023-01-01", "valid_to": "2027-12-31"})
    if draw(st.booleans()):
        licences.append({"id": "B", "authority": "US-BIS", "valid_from": "2023-01-01", "valid_to": "2027-12-31"})
    return {
        "id": "P",
        "date": draw(st.dates(dt.date(2026, 10, 25), dt.date(2026, 12, 31))).isoformat(),
        "exporter": {"name": "Example Exporter", "country": draw(st.sampled_from(["CN", "DE", "US", "HK"]))},
        "destination": draw(st.sampled_from(["US", "DE", "JP"])),
        "parties": [party],
        "items": [item],
        "licenses": licences,
    }


@settings(max_examples=150)
@given(tx=orders())
def test_a_decision_never_guesses_an_unconfirmed_date(tx: dict[str, object]) -> None:
    d = _ENGINE.evaluate(tx)
    s, u = _SCHEDULED.evaluate(tx).decision, _NOT_SCHEDULED.evaluate(tx).decision
    if s != u:
        assert d.decision == "review"
        assert "engine.law-unconfirmed" in {f.rule_id for f in d.findings}
    else:
        assert d.decision in (s, "review")
    assert d.decision != "allow" or s == u == "allow"


@settings(max_examples=60)
@given(tx=orders())
def test_the_durable_matcher_agrees_past_the_review(tx: dict[str, object]) -> None:
    assert _DURABLE.evaluate(tx).model_dump() == _ENGINE.evaluate(tx).model_dump()


@settings(max_examples=80)
@given(tx=orders(), day=st.dates(dt.date(2025, 9, 20), dt.date(2026, 12, 31)))
def test_forgetting_an_owners_share_is_never_more_permissive(tx: dict[str, object], day: dt.date) -> None:
    tx = {**tx, "date": day.isoformat()}
    (party,) = tx["parties"]  # type: ignore[misc]
    if not party.get("owners"):
        return
    forgot = {**party, "owners": [{k: v for k, v in o.items() if k != "share"} for o in party["owners"]]}
    known = _ENGINE.evaluate(tx).decision
    unknown = _ENGINE.evaluate({**tx, "parties": [forgot]}).decision
    assert SEVERITY[unknown] >= SEVERITY[known]


_HS = sorted(
    {(h.code, p.id) for p in _PACKS.catalog.products.values() for h in p.hs_codes if h.exact and len(h.code) > 6}
)


@settings(max_examples=80)
@given(hs=st.sampled_from(_HS), cut=st.integers(6, 10), day=st.dates(dt.date(2025, 5, 1), dt.date(2026, 10, 31)))
def test_cutting_national_digits_off_an_hs_code_is_never_more_permissive(
    hs: tuple[str, str], cut: int, day: dt.date
) -> None:
    code, _product = hs

    def decide(digits: str) -> str:
        item = {"line": 1, "quantity": 1, "hs_code": digits, "eccn": "EAR99"}
        tx = {
            "id": "H",
            "date": day.isoformat(),
            "exporter": {"name": "Example Materials Co., Ltd.", "country": "CN"},
            "destination": "DE",
            "items": [item],
        }
        return _ENGINE.evaluate(tx).decision

    full, cut_off = decide(code), decide(code[: min(cut, len(code))])
    assert SEVERITY[cut_off] >= SEVERITY[full] or cut_off == "review"
