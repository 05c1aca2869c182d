"""The library keeps the CLI's promise: evaluate_many(on_error="return") gives one result per record, in order,
a decision or the problems in its place, serialised exactly as `check --format jsonl` prints that record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance import Engine, InputError, RecordResult
from tests.conftest import RULES

GOOD = {
    "id": "SO-1",
    "date": "2025-05-01",
    "destination": "CN",
    "items": [{"line": 1, "product": "NVIDIA H20", "quantity": 8}],
}
BAD = {"id": "SO-2", "date": "2025-05-01", "destination": "XX", "items": []}
OTHER = {**GOOD, "id": "SO-3", "destination": "DE"}


def test_errors_come_back_in_place_and_the_rest_is_decided(engine: Engine) -> None:
    results = list(engine.evaluate_many([GOOD, BAD, None, OTHER], on_error="return", source="batch-7"))  # type: ignore[list-item]
    assert [r.outcome for r in results] == ["deny", "error", "error", "allow"]
    assert [r.record for r in results] == [1, 2, 3, 4] and all(isinstance(r, RecordResult) for r in results)
    bad = results[1]
    assert not bad.ok and bad.decision is None and {p.code for p in bad.problems} == {"empty", "invalid-value"}
    assert all(str(p.location).startswith("batch-7:2:") and "transaction SO-2" in p.message for p in bad.problems)
    assert results[2].problems[0].code == "not-a-mapping"
    assert results[0].decision is not None and results[0].decision.transaction_id == "SO-1"


def test_error_results_serialise_as_the_error_record(engine: Engine) -> None:
    (result,) = engine.evaluate_many([BAD], on_error="return", source="orders")
    data = result.to_dict()
    assert list(data) == ["source", "record", "error"] and list(data["error"]) == ["code", "problems"]  # type: ignore[arg-type]
    assert data["error"]["code"] == "input-error"  # type: ignore[index]
    assert json.loads(result.to_json()) == data


def test_raise_names_the_record_and_the_transaction(engine: Engine) -> None:
    with pytest.raises(InputError) as info:
        list(engine.evaluate_many([GOOD, BAD], source="orders"))
    problem = info.value.problems[0]
    assert (problem.location.file, problem.location.line) == ("orders", 2) and "transaction SO-2" in problem.message


def test_an_internal_error_is_a_result_not_the_end(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate = Engine.evaluate

    def failing(self: Engine, tx: object, **kw: object) -> object:
        if getattr(tx, "id", "") == "SO-1":
            raise RuntimeError("simulated")
        return evaluate(self, tx, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "evaluate", failing)
    first, second = engine.evaluate_many([GOOD, OTHER], on_error="return")
    assert first.error_code == "internal-error" and "simulated" in first.problems[0].message
    assert first.to_dict()["error"]["code"] == "internal-error"  # type: ignore[index]
    assert second.outcome == "allow"
    with pytest.raises(RuntimeError) as info:
        list(engine.evaluate_many([GOOD]))
    assert "record 1 of <input> (transaction SO-1)" in "".join(info.value.__notes__)


def test_on_error_is_checked(engine: Engine) -> None:
    with pytest.raises(ValueError, match="on_error"):
        engine.evaluate_many([GOOD], on_error="skip")  # type: ignore[call-overload]


def test_a_result_is_the_cli_jsonl_line_byte_for_byte(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "orders.jsonl"
    src.write_text("\n".join(json.dumps(tx) for tx in (GOOD, OTHER)) + "\n")
    out = CliRunner().invoke(
        main, ["check", str(src), "--rules", str(RULES), "--format", "jsonl", "--backend", engine.backend]
    )
    lines = out.stdout.splitlines()
    results = list(engine.evaluate_many([GOOD, OTHER], on_error="return", source=str(src)))
    assert [r.to_json() for r in results] == lines
