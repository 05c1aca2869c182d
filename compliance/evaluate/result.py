"""One result per input record: a decision, or the problems that stopped the record, never nothing.

:class:`RecordResult` is what ``Engine.evaluate_many(..., on_error="return")`` yields, in input order, one
per record given. It serialises exactly as the ``compliance check --format jsonl`` line for the same record:

- a decision: the decision's JSON (``Decision.model_dump(mode="json")``) with ``source`` and ``record`` added;
- an error: ``{"source": ..., "record": ..., "error": {"code": ..., "problems": [...]}}``, where ``code`` is
  ``input-error`` (the record cannot be evaluated as given) or ``internal-error`` (the engine failed on it:
  report it; the record was not decided), and each problem is ``Problem.to_dict()``.

The service and the Spark integration write the same shapes, so one consumer reads them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import orjson

from compliance.errors import Problem
from compliance.models.decision import Decision

__all__ = ["ErrorCode", "RecordResult", "error_record"]

ErrorCode = Literal["input-error", "internal-error"]


def error_record(
    source: str, record: int, problems: tuple[Problem, ...], code: str = "input-error"
) -> dict[str, object]:
    """The error record's one definition (the CLI's JSON Lines, the library's results, the service)."""
    return {
        "source": source,
        "record": record,
        "error": {"code": code, "problems": [p.to_dict() for p in problems]},
    }


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The outcome for one input record: ``decision`` when it was decided, else ``problems`` (and ``error_code``).

    ``source`` names the batch (a file, or what the caller passed to ``evaluate_many``); ``record`` is the
    1-based position (the line of a JSON Lines file, the first row of a CSV transaction).
    """

    source: str
    record: int
    decision: Decision | None = None
    problems: tuple[Problem, ...] = ()
    error_code: ErrorCode = "input-error"

    @property
    def ok(self) -> bool:
        return self.decision is not None

    @property
    def outcome(self) -> str:
        """``allow``, ``deny``, ``review``, or ``error`` when the record could not be decided."""
        return self.decision.decision if self.decision is not None else "error"

    def to_dict(self) -> dict[str, object]:
        if self.decision is None:
            return error_record(self.source, self.record, self.problems, self.error_code)
        return {**self.decision.model_dump(mode="json", warnings=False), "source": self.source, "record": self.record}

    def to_json(self) -> str:
        """One JSON line (without newline), byte for byte what ``check --format jsonl`` prints for the record."""
        data = self.to_dict()
        try:
            return orjson.dumps(data).decode()
        except (TypeError, orjson.JSONEncodeError):  # the same fallback as the CLI's writer
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
