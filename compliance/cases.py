"""Rule-pack test cases: transactions with the decision and rule ids they must produce.

Cases live beside the rules (``rules/<pack>/tests/*.yaml``)::

    kind: tests
    pack: us-ear
    cases:
      - name: h20-to-china-unlicensed
        note: H20 to China after the April 2025 notice, no licence -> deny
        as_of: 2025-05-01          # optional; default is the transaction's date
        transaction: {...}         # or `file: ../../../examples/h20-to-china.yaml` (relative to this file)
        expect: {decision: deny, rules: [us-ear.ac.h20-mi308-license], not_rules: []}
        todo: false                # a known gap: reported SKIPPED, never PASS
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from compliance.engine import Engine
from compliance.errors import InputError, Location, PackError, Problem
from compliance.intake import load_transaction, transaction_from_document
from compliance.models._base import Contract, IsoDate
from compliance.models.decision import Decision, Outcome
from compliance.models.transaction import Transaction
from compliance.packs import TEST_DIR_NAMES, pydantic_problems
from compliance.source import Document, load_document

__all__ = ["Case", "CaseResult", "Expect", "load_cases", "run_case", "run_cases"]


class Expect(Contract):
    decision: Outcome
    rules: list[str] = Field(default_factory=list, description="Rule ids that must appear among the findings.")
    not_rules: list[str] = Field(default_factory=list, description="Rule ids that must not appear.")


class CaseSpec(Contract):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    note: str
    as_of: IsoDate | None = None
    transaction: dict[str, object] | None = None
    file: str | None = None
    expect: Expect
    todo: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> CaseSpec:
        if (self.transaction is None) == (self.file is None):
            raise ValueError("give exactly one of `transaction` or `file`")
        return self


class CasesFile(Contract):
    kind: Literal["tests"]
    pack: str
    cases: list[CaseSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Case:
    spec: CaseSpec
    pack: str
    location: Location
    transaction: Transaction

    @property
    def id(self) -> str:
        return f"{self.pack}/{self.spec.name}"


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    status: Literal["PASS", "FAIL", "ERROR", "SKIPPED"]
    decision: Decision | None
    problems: tuple[str, ...]


def case_files(roots: Sequence[str | Path]) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        base = Path(root)
        if base.is_file():
            out.append(base)
            continue
        out += sorted(
            p
            for p in base.rglob("*")
            if p.suffix in (".yaml", ".yml") and TEST_DIR_NAMES & set(p.relative_to(base).parts[:-1])
        )
    return out


def load_cases(roots: Sequence[str | Path], known_rules: set[str]) -> list[Case]:
    """Every case under ``roots``; a malformed case or one naming an unknown rule id is an error."""
    problems: list[Problem] = []
    cases: list[Case] = []
    names: dict[str, Location] = {}
    for path in case_files(roots):
        try:
            doc = load_document(path)
        except InputError as err:
            problems.extend(err.problems)
            continue
        try:
            model = CasesFile.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, doc))
            continue
        for i, spec in enumerate(model.cases):
            loc = doc.locate(("cases", i, "name"))
            cid = f"{model.pack}/{spec.name}"
            if cid in names:
                problems.append(Problem(loc, "duplicate-case", f"case {cid} is also defined at {names[cid]}"))
                continue
            names[cid] = loc
            for key in ("rules", "not_rules"):
                for j, rid in enumerate(getattr(spec.expect, key)):
                    if rid not in known_rules and not rid.startswith("engine."):
                        problems.append(
                            Problem(
                                doc.locate(("cases", i, "expect", key, j)),
                                "unknown-rule",
                                f"case {cid} names unknown rule {rid!r}",
                            )
                        )
            try:
                if spec.file is not None:
                    tx = load_transaction(path.parent / spec.file)
                else:
                    sub = Document(
                        doc.path,
                        spec.transaction,
                        {k[3:]: v for k, v in doc.spans.items() if k[:3] == ("cases", i, "transaction")},
                        {k[3:]: v for k, v in doc.key_spans.items() if k[:3] == ("cases", i, "transaction")},
                    )
                    tx = transaction_from_document(sub)
            except InputError as err:
                problems.extend(err.problems)
                continue
            cases.append(Case(spec, model.pack, loc, tx))
    if problems:
        raise PackError(problems)
    return cases


def run_case(engine: Engine, case: Case) -> CaseResult:
    if case.spec.todo:
        return CaseResult(case, "SKIPPED", None, ("todo: known gap",))
    try:
        decision = engine.evaluate(case.transaction, as_of=case.spec.as_of)
    except Exception as exc:  # a case that crashes the engine is an ERROR, not a FAIL
        return CaseResult(case, "ERROR", None, (f"{type(exc).__name__}: {exc}",))
    fired = {f.rule_id for f in decision.findings}
    problems: list[str] = []
    if decision.decision != case.spec.expect.decision:
        problems.append(f"decision: expected {case.spec.expect.decision}, got {decision.decision}")
    for rid in case.spec.expect.rules:
        if rid not in fired:
            problems.append(f"rule {rid}: expected to fire, did not")
    for rid in case.spec.expect.not_rules:
        if rid in fired:
            problems.append(f"rule {rid}: expected not to fire, fired")
    if problems:
        problems.append(f"fired: {', '.join(sorted(fired)) or '(none)'}")
    return CaseResult(case, "FAIL" if problems else "PASS", decision, tuple(problems))


def run_cases(engine: Engine, cases: Sequence[Case]) -> list[CaseResult]:
    return [run_case(engine, c) for c in cases]
