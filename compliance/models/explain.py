"""The explanation contract: what ``compliance check --explain --format json`` prints (``Engine.explain``).

Per line: each rule whose pack's scope covered the line, and either the first of its conditions that failed or
that it fired (with the licences tried and why each did or did not cover it); the engine's own checks on the
line; the decision itself. Fields are added, never renamed.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from compliance.models._base import Contract
from compliance.models.decision import Decision, Outcome

__all__ = ["EXPLAIN_SCHEMA_VERSION", "Explanation", "LicenseTrial", "LineExplanation", "RuleTrace"]

EXPLAIN_SCHEMA_VERSION = "1"


class LicenseTrial(Contract):
    license: str = Field(description="Id of the licence on file.")
    status: Literal["covers", "unsure", "no"] = Field(description="Whether it covers the rule on this line.")
    reason: str = Field(description="Why not (empty when it covers).")


class RuleTrace(Contract):
    rule_id: str
    pack: str
    effect: str
    status: Literal["fired", "not-applicable"] = Field(
        description="`fired`: every condition held (a finding on the line); `not-applicable`: see `failed`."
    )
    failed: str | None = Field(
        default=None,
        description="The first condition that failed, with the line's value, e.g. `destination DE "
        "not in D:5 on 2025-09-01`.",
    )
    outcome: Outcome | None = Field(default=None, description="For `fired`: the finding's outcome on the line.")
    licenses: list[LicenseTrial] = Field(
        default_factory=list, description="For a fired licence requirement: each licence on file tried, in order."
    )


class LineExplanation(Contract):
    line: int
    decision: Outcome
    product: str | None
    control_codes: list[str]
    packs_in_scope: list[str] = Field(description="Packs whose scope covers the line (their rules are traced).")
    rules: list[RuleTrace] = Field(description="Fired rules first, then the rules that did not apply, by id.")
    engine_checks: list[str] = Field(
        default_factory=list,
        description="The engine's own findings on the line and the transaction, `rule_id: outcome`.",
    )


class Explanation(Contract):
    schema_version: str = EXPLAIN_SCHEMA_VERSION
    transaction_id: str
    as_of: dt.date
    matcher: str = Field(
        description="How conditions were traced: `reference` (the plain-Python semantics both matchers agree on)."
    )
    lines: list[LineExplanation]
    decision: Decision = Field(description="The decision itself, as `compliance check --format json` prints it.")
