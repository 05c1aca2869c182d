"""The public API is a contract for ERP scripts: additions are deliberate, removals are breaking."""

from __future__ import annotations

from pathlib import Path

import pytest

import compliance
from tests.conftest import EXAMPLES


def test_all_is_pinned() -> None:
    assert sorted(compliance.__all__) == sorted(
        [
            "Citation",
            "ComplianceError",
            "Decision",
            "Engine",
            "ExitCode",
            "Finding",
            "InputError",
            "License",
            "LineDecision",
            "Location",
            "PackError",
            "PackRef",
            "PackSet",
            "Problem",
            "RecordResult",  # evaluate_many(on_error="return"): a decision or the problems, per record
            "Transaction",
            "__version__",
            "load_packs",
            "load_transaction",
        ]
    )
    for name in compliance.__all__:
        assert hasattr(compliance, name)


def test_exit_codes_are_the_documented_ones() -> None:
    assert {c.name: int(c) for c in compliance.ExitCode} == {
        "ALLOW": 0,
        "DENY": 1,
        "INPUT_ERROR": 2,
        "REVIEW": 3,
        "PACK_ERROR": 4,
        "OUTPUT_CLOSED": 141,  # documented extension: stdout closed by its reader (`| head`)
    }


def test_an_engine_without_folders_uses_the_bundled_packs_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An ERP script run from a folder that happens to hold a `rules` directory must not pick it up silently.
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "broken.yaml").write_text("kind: rules\nrules: [{id: x}]\n")
    monkeypatch.chdir(tmp_path)
    with compliance.Engine.from_directory(backend="reference") as engine:
        used = {p.meta.id for p in engine.packset.packs}
        decision = engine.evaluate(compliance.load_transaction(EXAMPLES / "h20-to-china.yaml"))
    assert {"catalog", "us-ear", "cn-mofcom"} <= used
    assert decision.decision == "deny"
