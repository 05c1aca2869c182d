"""Plain decision values render exactly as the pydantic contract does, field for field and byte for byte."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings

from compliance import Engine
from compliance.evaluate.values import DecisionValue, FindingValue, LineValue, NoticeValue, to_jsonable, to_model
from compliance.io.writers import dumps
from compliance.models.decision import Decision, Finding, LineDecision, Notice
from tests.conftest import EXAMPLES, RULES
from tests.evaluate.match.test_backends_agree import transactions

_ENGINE = Engine.from_directory(RULES)


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_values_carry_every_contract_field() -> None:
    # `party` is derived from `parties`; `control_codes` are (pack, code) pairs rendered `pack:code`.
    assert set(Finding.model_fields) == (_fields(FindingValue) - {"parties"}) | {"party"}
    assert set(LineDecision.model_fields) == _fields(LineValue)
    assert set(Decision.model_fields) == _fields(DecisionValue)
    assert set(Notice.model_fields) == _fields(NoticeValue)
    assert list(Decision.model_fields)[-1] == "notices"  # added at the end: the contract is extended, not reordered


def test_notices_round_trip_through_the_contract() -> None:
    # A date past the packs' review carries notices; JSON from the values equals the model's dump.
    tx = {
        "id": "N",
        "date": "2026-12-20",
        "exporter": {"name": "NVIDIA Corporation", "country": "US"},
        "destination": "DE",
        "items": [{"line": 1, "product": "H100", "quantity": 1}],
    }
    value = _ENGINE.decide(tx)
    assert value.notices and all(n.code == "law-past-review" for n in value.notices)
    assert to_jsonable(value) == to_model(value).model_dump(mode="json")
    assert Decision.model_validate_json(dumps(to_jsonable(value))) == to_model(value)


@settings(max_examples=200)
@given(tx=transactions())
def test_jsonable_equals_the_models_dump(tx: dict[str, object]) -> None:
    value = _ENGINE.decide(tx)
    model = to_model(value)
    assert to_jsonable(value) == model.model_dump(mode="json")
    assert dumps(to_jsonable(value)) == model.model_dump_json()
    assert dumps(to_jsonable(value)) == json.dumps(
        model.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")
    )


def test_examples_round_trip_through_the_contract() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        from compliance import load_transaction

        value = _ENGINE.decide(load_transaction(path))
        text = dumps(to_jsonable(value), indent=True)
        assert text == json.dumps(to_model(value).model_dump(mode="json"), indent=2, ensure_ascii=False)
        assert Decision.model_validate_json(text) == to_model(value)


def test_json_writer_falls_back_where_orjson_refuses() -> None:
    # A JSON input may carry a lone surrogate (`"\ud800"`); orjson refuses it, the standard library writes it.
    assert dumps({"s": "\ud800"}) == json.dumps({"s": "\ud800"}, ensure_ascii=False, separators=(",", ":"))
    assert dumps({"n": 2**70}) == '{"n":1180591620717411303424}'
