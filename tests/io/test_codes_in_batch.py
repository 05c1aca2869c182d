"""A control number that is not one is an error record in a batch, naming the field; the batch goes on."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main
from tests.conftest import RULES


def test_a_bad_eccn_is_an_error_record_and_a_normalised_one_is_shown(tmp_path: Path) -> None:
    base = {"date": "2025-06-02", "destination": "CN", "exporter": {"name": "X", "country": "US"}}
    records = [
        {**base, "id": "A", "items": [{"line": 1, "quantity": 1, "eccn": "3A090A"}]},
        {**base, "id": "B", "items": [{"line": 1, "quantity": 1, "eccn": "3a090.a"}]},
        {**base, "id": "C", "items": [{"line": 1, "quantity": 1, "eccn": "TBD"}]},
    ]
    src = tmp_path / "orders.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = CliRunner().invoke(main, ["check", str(src), "--format", "jsonl", "--rules", str(RULES)])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 2 and len(rows) == 3
    first, second, third = rows
    (problem,) = first["error"]["problems"]
    assert (
        problem["line"] == 1
        and "items.0.eccn" in problem["message"]
        and "did you mean '3A090.a'?" in problem["message"]
    )
    assert second["decision"] == "deny"
    assert second["lines"][0]["normalized"] == [{"field": "eccn", "given": "3a090.a", "used": "3A090.a"}]
    assert "omit `eccn`" in third["error"]["problems"][0]["message"]
