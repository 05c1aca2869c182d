"""JSON rendering: stable key order and byte-identical output for the same decision."""

from __future__ import annotations

import json

from compliance.models.decision import Decision

__all__ = ["decision_json", "decision_to_dict"]


def decision_to_dict(decision: Decision) -> dict[str, object]:
    return decision.model_dump(mode="json", warnings=False)


def decision_json(decision: Decision, *, indent: int | None = 2) -> str:
    return json.dumps(decision_to_dict(decision), indent=indent, ensure_ascii=False)
