"""Licence coverage: a licence covers only what it licenses (issue 10, item 2), on both backends."""

from __future__ import annotations

import pytest

from compliance import Decision, Engine, InputError
from compliance.models.transaction import Transaction
from compliance.screening.index import normalize_name

H20 = "us-ear.ac.h20-mi308-license"
EL = "us-ear.el.huawei-smic-license"


def _tx(licence: dict[str, object] | None = None, **over: object) -> dict[str, object]:
    lic: dict[str, object] = {
        "id": "L1",
        "authority": "US-BIS",
        "products": ["NVIDIA H20"],
        "destinations": ["CN"],
        "valid_from": "2025-01-01",
        "valid_to": "2026-12-31",
    }
    lic.update(licence or {})
    tx: dict[str, object] = {
        "id": "T-L",
        "date": "2025-09-01",
        "exporter": {"name": "NVIDIA Corporation", "country": "US"},
        "destination": "CN",
        "parties": [{"role": "end_user", "name": "Example Cloud Co., Ltd.", "country": "CN"}],
        "items": [{"line": 1, "product": "NVIDIA H20", "quantity": 8, "unit_value": 12000, "currency": "USD"}],
        "licenses": [lic],
    }
    tx.update(over)
    return tx


def _finding(d: Decision, rule: str) -> tuple[str, str]:
    (f,) = [f for f in d.findings if f.rule_id == rule]
    return f.outcome, f.message


def test_a_licence_without_parties_does_not_clear_an_entity_list_party(engine: Engine) -> None:
    # Reproduces item 2: an H20 licence for CN cleared a Huawei end user.
    d = engine.evaluate(_tx(parties=[{"role": "end_user", "name": "Huawei Technologies Co., Ltd.", "country": "CN"}]))
    assert _finding(d, H20)[0] == "allow"  # the H20 requirement is not about a party: this licence covers it
    outcome, message = _finding(d, EL)
    assert outcome == "deny" and d.decision == "deny"
    assert "L1 names no parties" in message and "Huawei Technologies Co., Ltd." in message


def test_a_licence_naming_the_listed_party_clears_it(engine: Engine) -> None:
    ymtc = {"role": "end_user", "name": "Yangtze Memory Technologies Co Ltd", "country": "CN"}
    d = engine.evaluate(_tx({"parties": ["Yangtze Memory Technologies Co., Ltd."]}, parties=[ymtc]))
    assert _finding(d, "us-ear.el.ai-computing-license")[0] == "allow" and d.decision == "allow"


def test_a_licence_for_somebody_else_does_not_cover_an_order_naming_nobody(engine: Engine) -> None:
    # Reproduces item 2: "every party is named" was vacuously true for an order with no parties.
    d = engine.evaluate(_tx({"parties": ["Somebody Else"]}, parties=[]))
    outcome, message = _finding(d, H20)
    assert outcome == "deny" and "names no ultimate consignee or end user" in message


def test_every_governed_party_must_be_on_a_licence_that_names_parties(engine: Engine) -> None:
    parties = [
        {"role": "end_user", "name": "Example Cloud Co., Ltd.", "country": "CN"},
        {"role": "purchaser", "name": "Reseller Ltd", "country": "CN"},
        {"role": "freight_forwarder", "name": "Fast Freight", "country": "CN"},  # not a licence party
    ]
    d = engine.evaluate(_tx({"parties": ["Example Cloud"]}, parties=parties))
    outcome, message = _finding(d, H20)
    assert outcome == "deny" and "does not name Reseller Ltd" in message
    d = engine.evaluate(_tx({"parties": ["Example Cloud", "Reseller"]}, parties=parties))
    assert _finding(d, H20)[0] == "allow"


def test_distinct_names_never_merge_on_a_licence(engine: Engine) -> None:
    # Reproduces item 2: `L&N Electronics` was covered by a licence for `S&C Electronics`.
    parties = [{"role": "end_user", "name": "L&N Electronics", "country": "CN"}]
    d = engine.evaluate(_tx({"parties": ["S&C Electronics"]}, parties=parties))
    assert _finding(d, H20)[0] == "deny"
    d = engine.evaluate(_tx({"parties": ["L & N Electronics Co., Ltd."]}, parties=parties))
    assert _finding(d, H20)[0] == "allow"


def test_single_letters_and_dotted_acronyms_survive_normalisation() -> None:
    # Written against behaviour: the screening normaliser may change, these may not.
    assert normalize_name("S&C Electronics") != normalize_name("L&N Electronics")
    assert normalize_name("S.M.I.C.") not in ("m i", "", normalize_name("M.I."))
    assert normalize_name("S.M.I.C.") == normalize_name("SMIC")
    assert normalize_name("Acme S.A.") == normalize_name("Acme SA") == normalize_name("ACME")
    assert normalize_name("A.B. Trading") != normalize_name("Trading")
    assert normalize_name("SA Holdings Ltd") != normalize_name("Holdings")
    assert normalize_name("The Example Co., Ltd.") == normalize_name("Example")
    assert normalize_name("\uff33\uff2d\uff29\uff23") == normalize_name("SMIC")  # full width
    assert normalize_name("Hu\u0430w\u0435i Technologies") == normalize_name("Huawei Technologies")  # Cyrillic a, e


def test_countries_of_consignee_and_end_user_must_be_on_the_licence(engine: Engine) -> None:
    parties = [{"role": "ultimate_consignee", "name": "Example Cloud", "country": "MO"}]
    d = engine.evaluate(_tx(parties=parties))
    outcome, message = _finding(d, H20)
    assert outcome == "deny" and "does not cover MO" in message
    d = engine.evaluate(_tx({"destinations": ["CN", "MO"]}, parties=parties))
    assert _finding(d, H20)[0] == "allow"


def test_quantity_beyond_the_licence_is_denied_saying_by_how_much(engine: Engine) -> None:
    d = engine.evaluate(_tx({"quantity": 5}))
    outcome, message = _finding(d, H20)
    assert outcome == "deny" and "puts 8 under it against the 5 it authorises (3 over" in message
    # The lines of one transaction count together.
    items = [
        {"line": 1, "product": "NVIDIA H20", "quantity": 4},
        {"line": 2, "product": "H20", "quantity": 4},
    ]
    assert engine.evaluate(_tx({"quantity": 8}, items=items)).decision == "allow"
    d = engine.evaluate(_tx({"quantity": 7}, items=items))
    assert [lv.decision for lv in d.lines] == ["deny", "deny"]


def test_value_beyond_the_licence(engine: Engine) -> None:
    # 8 x 12,000 = 96,000 USD.
    assert engine.evaluate(_tx({"value": 96000, "currency": "USD"})).decision == "allow"
    outcome, message = _finding(engine.evaluate(_tx({"value": 80000, "currency": "USD"})), H20)
    assert outcome == "deny" and "by 16,000 USD" in message
    # Within the 10% tolerance of 15 CFR 750.11(b): not a deny, not an allow.
    outcome, message = _finding(engine.evaluate(_tx({"value": 90000, "currency": "USD"})), H20)
    assert outcome == "review" and "750.11(b)" in message


def test_a_value_check_that_cannot_be_made_is_review(engine: Engine) -> None:
    no_price = [{"line": 1, "product": "NVIDIA H20", "quantity": 8}]
    outcome, message = _finding(engine.evaluate(_tx({"value": 1e9, "currency": "USD"}, items=no_price)), H20)
    assert outcome == "review" and "no exchange rates" in message
    euros = [{"line": 1, "product": "NVIDIA H20", "quantity": 8, "unit_value": 1, "currency": "EUR"}]
    assert _finding(engine.evaluate(_tx({"value": 1e9, "currency": "USD"}, items=euros)), H20)[0] == "review"


def test_end_uses_on_the_licence(engine: Engine) -> None:
    lic = {"end_use_codes": ["civil"]}
    assert engine.evaluate(_tx(lic, end_use_codes=["civil"])).decision == "allow"
    outcome, message = _finding(engine.evaluate(_tx(lic, end_use_codes=["civil", "ai_training"])), H20)
    assert outcome == "deny" and "does not authorise the end use ai_training" in message
    outcome, message = _finding(engine.evaluate(_tx(lic)), H20)
    assert outcome == "review" and "declares none" in message


def test_licence_terms_are_validated() -> None:
    with pytest.raises(Exception, match="needs its `currency`"):
        Transaction.model_validate(_tx({"value": 10}))
    tx = Transaction.model_validate(_tx({"eccns": ["3a090", " 5A992.z "]}))
    assert tx.licenses[0].eccns == ["3A090", "5A992.z"]
    with pytest.raises(Exception, match="omit the code"):
        Transaction.model_validate(_tx({"eccns": ["TBD"]}))
    with pytest.raises(Exception, match="at least 1 item"):
        Transaction.model_validate(_tx({"end_use_codes": []}))


def test_a_bad_licence_term_is_a_located_input_error(engine: Engine) -> None:
    with pytest.raises(InputError) as err:
        engine.evaluate(_tx({"quantity": -1}))
    (problem,) = err.value.problems
    assert "licenses.0.quantity" in problem.message
