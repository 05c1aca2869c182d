"""End-to-end behaviour of the engine on the bundled packs, on both backends (the `engine` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance import Decision, Engine, InputError, load_transaction
from compliance.io.render import decision_json
from tests.conftest import EXAMPLES


def _tx(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "T-1",
        "date": "2025-05-01",
        "exporter": {"name": "NVIDIA Corporation", "country": "US"},
        "destination": "CN",
        "items": [{"line": 1, "product": "NVIDIA H20", "quantity": 8}],
    }
    base.update(over)
    return base


def _rules(d: Decision) -> set[str]:
    return {f.rule_id for f in d.findings}


def test_h20_to_china_without_licence_is_denied_citing_the_rule(engine: Engine) -> None:
    d = engine.evaluate(load_transaction(EXAMPLES / "h20-to-china.yaml"))
    assert d.decision == "deny"
    (finding,) = [f for f in d.findings if f.rule_id == "us-ear.ac.h20-mi308-license"]
    assert finding.outcome == "deny" and finding.line == 1 and finding.authority == "US-BIS"
    assert finding.citations and "Licence required from US-BIS" in finding.message
    assert d.lines[0].decision == "deny"


def test_h20_with_covering_licence_is_allowed_and_names_it(engine: Engine) -> None:
    d = engine.evaluate(load_transaction(EXAMPLES / "h20-to-china-licensed.yaml"))
    assert d.decision == "allow"
    (finding,) = [f for f in d.findings if f.rule_id == "us-ear.ac.h20-mi308-license"]
    assert finding.outcome == "allow" and finding.license == "D1234567"


@pytest.mark.parametrize(
    ("licence", "covered"),
    [
        ({}, True),
        ({"destinations": ["VN"]}, False),  # wrong destination
        ({"valid_to": "2025-04-30"}, False),  # expired before the shipment
        ({"authority": "CN-MOFCOM"}, False),  # wrong authority
        ({"products": ["H100"]}, False),  # other product
        ({"products": ["nvidia-h20"]}, True),  # id instead of alias
    ],
)
def test_licence_covers_only_what_it_names(engine: Engine, licence: dict[str, object], covered: bool) -> None:
    lic = {
        "id": "L1",
        "authority": "US-BIS",
        "products": ["H20"],
        "destinations": ["CN"],
        "valid_from": "2025-01-01",
        "valid_to": "2026-01-01",
        **licence,
    }
    d = engine.evaluate(_tx(licenses=[lic]))
    assert d.decision == ("allow" if covered else "deny")


def test_as_of_moves_the_evaluation_date(engine: Engine) -> None:
    tx = load_transaction(EXAMPLES / "h20-to-china.yaml")
    before = engine.evaluate(tx, as_of=dt.date(2025, 3, 1))
    assert before.decision == "allow" and before.as_of == dt.date(2025, 3, 1)
    assert engine.evaluate(tx).as_of == dt.date(2025, 5, 1)


def test_two_applicable_rules_on_one_line_are_both_reported(engine: Engine) -> None:
    # H100 (3A090.a) to China for a Huawei end user: the classification rule and the Entity List rule
    # both apply to line 1. durable-rules' post() would fire only one of them; we must see both.
    d = engine.evaluate(
        _tx(
            items=[{"line": 1, "product": "H100", "quantity": 1}],
            parties=[{"role": "end_user", "name": "Huawei Technologies Co., Ltd.", "country": "CN"}],
        )
    )
    line1 = {f.rule_id for f in d.findings if f.line == 1}
    assert {
        "us-ear.ac.3a090-license-2024-12",
        "us-ear.el.huawei-smic-license",
    } <= line1  # 2025: the version from 2024-12-02
    (el,) = [f for f in d.findings if f.rule_id == "us-ear.el.huawei-smic-license"]
    assert el.party == "Huawei Technologies Co., Ltd."


def test_unknown_product_without_control_number_is_review(engine: Engine) -> None:
    d = engine.evaluate(load_transaction(EXAMPLES / "unclassified-item.yaml"))
    assert d.decision == "review"
    (f,) = [f for f in d.findings if f.rule_id == "engine.unclassified-item"]
    assert f.line == 2 and f.outcome == "review" and "not in the catalog" in f.message
    assert [ld.decision for ld in d.lines] == ["allow", "review"]


def test_item_with_only_a_control_number_is_classified(engine: Engine) -> None:
    d = engine.evaluate(_tx(destination="DE", items=[{"line": 1, "eccn": "EAR99", "quantity": 1}]))
    assert d.decision == "allow" and not d.findings


def test_misspelt_legal_form_still_matches_the_entity_list(engine: Engine) -> None:
    d = engine.evaluate(load_transaction(EXAMPLES / "huawei-end-user.yaml"))
    assert d.decision == "deny" and "us-ear.el.huawei-smic-license" in _rules(d)


def test_name_close_to_a_listed_party_goes_to_review(engine: Engine) -> None:
    d = engine.evaluate(
        _tx(
            destination="DE",
            items=[{"line": 1, "eccn": "EAR99", "quantity": 1}],
            parties=[{"role": "end_user", "name": "Huawei Technologies Austria GmbH", "country": "AT"}],
        )
    )
    assert d.decision == "review"
    possible = [f for f in d.findings if f.rule_id == "engine.possible-party-match"]
    assert possible and all(f.party == "Huawei Technologies Austria GmbH" and f.citations for f in possible)


def test_date_outside_pack_coverage_is_review_not_allow(engine: Engine) -> None:
    d = engine.evaluate(_tx(destination="DE", date="2030-01-01", items=[{"line": 1, "eccn": "EAR99", "quantity": 1}]))
    assert d.decision == "review"
    assert "engine.outside-coverage" in _rules(d)


def test_h100_to_germany_is_allowed(engine: Engine) -> None:
    d = engine.evaluate(load_transaction(EXAMPLES / "h100-to-germany.yaml"))
    assert d.decision == "allow" and not [f for f in d.findings if f.outcome != "allow"]


def test_gallium_from_china_needs_mofcom_licence(engine: Engine) -> None:
    tx = _tx(
        exporter={"name": "Example Metals Co., Ltd.", "country": "CN"},
        destination="DE",
        items=[{"line": 1, "product": "gallium", "quantity": 100}],
    )
    assert engine.evaluate(tx, as_of=dt.date(2023, 7, 31)).decision == "allow"
    after = engine.evaluate(tx, as_of=dt.date(2023, 8, 1))
    assert after.decision == "deny" and "cn-mofcom.ga-ge.license" in _rules(after)


def test_decision_names_pack_versions_and_hashes(engine: Engine) -> None:
    d = engine.evaluate(_tx())
    assert {p.id for p in d.rule_packs} >= {"us-ear", "cn-mofcom"}
    assert all(len(p.sha256) == 64 for p in d.rule_packs)
    assert d.engine_version


def test_same_input_gives_byte_identical_json(engine: Engine) -> None:
    tx = load_transaction(EXAMPLES / "h20-to-china.yaml")
    assert decision_json(engine.evaluate(tx)) == decision_json(engine.evaluate(tx))


def test_decision_json_round_trips_through_the_model(engine: Engine) -> None:
    d = engine.evaluate(load_transaction(EXAMPLES / "huawei-end-user.yaml"))
    again = Decision.model_validate_json(decision_json(d))
    assert again.model_dump() == Decision.model_validate(d.model_dump()).model_dump()


def test_plain_dict_is_accepted_and_bad_dict_raises_input_error(engine: Engine) -> None:
    assert engine.evaluate(_tx()).decision == "deny"
    with pytest.raises(InputError) as err:
        engine.evaluate(_tx(destination="XX"))
    assert any(p.code == "invalid-value" and "destination" in p.message for p in err.value.problems)


def test_evaluate_many_keeps_order(engine: Engine) -> None:
    ids = [d.transaction_id for d in engine.evaluate_many([_tx(id=f"T-{i}") for i in range(5)])]
    assert ids == [f"T-{i}" for i in range(5)]
