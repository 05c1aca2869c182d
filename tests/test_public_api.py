"""The public API is a contract for ERP scripts: additions are deliberate, removals are breaking."""

from __future__ import annotations

import compliance


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
