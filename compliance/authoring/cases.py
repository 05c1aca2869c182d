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

from compliance.authoring.junit import JUnitCase
from compliance.errors import InputError, Location, PackError, Problem
from compliance.evaluate.engine import Engine
from compliance.evaluate.match.base import BACKENDS
from compliance.intake import load_transaction, transaction_from_document
from compliance.models._base import Contract, IsoDate
from compliance.models.decision import Decision, Outcome
from compliance.models.transaction import Transaction
from compliance.packs.files import TEST_DIR_NAMES, pack_problems
from compliance.packs.load import load_packs
from compliance.packs.packset import PackRule
from compliance.source import Document, load_document

# The schema version of `compliance test --format json`, beside the code that writes it.
SCHEMA_VERSION = "1"

__all__ = [
    "BACKENDS",
    "SCHEMA_VERSION",
    "Case",
    "CaseResult",
    "Expect",
    "SuiteRun",
    "load_cases",
    "render_text",
    "run_case",
    "run_cases",
    "run_suite",
    "to_dict",
    "to_junit",
]


class Expect(Contract):
    decision: Outcome
    rules: list[str] = Field(default_factory=list, description="Rule ids that must appear among the findings.")
    not_rules: list[str] = Field(default_factory=list, description="Rule ids that must not appear.")
    notices: list[str] | None = Field(
        default=None,
        description="The decision's notices, exactly, as `code:pack` (e.g. `law-past-review:us-ear`); "
        "`[]` asserts there are none; absent: not checked.",
    )


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
    problems: tuple[str, ...]  # for a FAIL, the diff of expected (-) against actual (+)
    backend: str = "durable"


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
    seen_files: set[Path] = set()
    for path in case_files(roots):
        if path in seen_files:
            continue
        seen_files.add(path)
        try:
            doc = load_document(path)
        except InputError as err:
            problems.extend(err.problems)
            continue
        if isinstance(doc.data, dict) and "kind" not in doc.data and "items" in doc.data:
            continue  # a transaction file that cases refer to with `file:`, not a case file
        try:
            model = CasesFile.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(pack_problems(exc, doc))
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
                    if not (path.parent / spec.file).is_file():
                        problems.append(
                            Problem(
                                doc.locate(("cases", i, "file")),
                                "no-such-file",
                                f"case {cid}: transaction file {spec.file!r} does not exist (relative to this file)",
                            )
                        )
                        continue
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
    """PASS, FAIL (with a diff of expected vs actual), ERROR (the engine failed) or SKIPPED (``todo``)."""
    backend = engine.backend
    if case.spec.todo:
        return CaseResult(case, "SKIPPED", None, ("todo: known gap",), backend)
    try:
        decision = engine.evaluate(case.transaction, as_of=case.spec.as_of)
    except Exception as exc:  # a case that crashes the engine is an ERROR, not a FAIL
        return CaseResult(case, "ERROR", None, (f"{type(exc).__name__}: {exc}",), backend)
    fired = {f.rule_id for f in decision.findings}
    expect = case.spec.expect
    if "engine.match-error" in fired and "engine.match-error" not in expect.rules:
        return CaseResult(case, "ERROR", decision, ("the matcher failed; the engine fell back to review",), backend)
    diff: list[str] = []
    if decision.decision != expect.decision:
        diff += [f"- decision: {expect.decision}", f"+ decision: {decision.decision}"]
    for rid in expect.rules:
        if rid not in fired:
            diff += [f"- fires: {rid}", f"+ did not fire: {rid}"]
    for rid in expect.not_rules:
        if rid in fired:
            diff += [f"- does not fire: {rid}", f"+ fired: {rid}"]
    if expect.notices is not None:
        notices = sorted(f"{n.code}:{n.pack}" for n in decision.notices)
        if notices != sorted(expect.notices):
            diff += [
                f"- notices: {', '.join(sorted(expect.notices)) or '(none)'}",
                f"+ notices: {', '.join(notices) or '(none)'}",
            ]
    if diff:
        diff.append(f"  fired: {', '.join(sorted(fired)) or '(none)'}")
    return CaseResult(case, "FAIL" if diff else "PASS", decision, tuple(diff), backend)


def run_cases(engine: Engine, cases: Sequence[Case]) -> list[CaseResult]:
    return [run_case(engine, c) for c in cases]


@dataclass(frozen=True, slots=True)
class SuiteRun:
    """Every case on every backend, and which rules no case made fire."""

    results: tuple[CaseResult, ...]
    rules: tuple[PackRule, ...]
    backends: tuple[str, ...]

    @property
    def fired(self) -> frozenset[str]:
        return frozenset(f.rule_id for r in self.results if r.decision for f in r.decision.findings)

    @property
    def uncovered(self) -> tuple[PackRule, ...]:
        fired = self.fired
        return tuple(r for r in self.rules if r.rule.id not in fired)

    @property
    def coverage(self) -> float:
        """Percentage of rules some case made fire (100 when there are no rules)."""
        if not self.rules:
            return 100.0
        return 100.0 * (len(self.rules) - len(self.uncovered)) / len(self.rules)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        return not (self.count("FAIL") or self.count("ERROR"))

    def summary(self) -> str:
        n_cases = len({r.case.id for r in self.results})
        return (
            f"{self.count('PASS')} passed, {self.count('FAIL')} failed, {self.count('ERROR')} errors, "
            f"{self.count('SKIPPED')} skipped ({n_cases} case(s) x {len(self.backends)} backend(s)); "
            f"rule coverage {len(self.rules) - len(self.uncovered)}/{len(self.rules)} ({self.coverage:.1f}%)"
        )


def run_suite(roots: Sequence[str | Path], backends: Sequence[str] = BACKENDS) -> SuiteRun:
    """Load the packs and the cases beside them under ``roots``; run every case on each backend.

    Raises :class:`PackError` when the packs or the cases cannot be loaded (a case naming an unknown rule).
    """
    packset = load_packs(roots)
    cases = load_cases(roots, {r.rule.id for r in packset.rules})
    results: list[CaseResult] = []
    for backend in backends:
        with Engine(packset, backend=backend) as engine:
            results += run_cases(engine, cases)
    return SuiteRun(tuple(results), packset.rules, tuple(backends))


def render_text(run: SuiteRun) -> str:
    """One line per case and backend, a diff under each failure, then coverage and the summary."""
    lines: list[str] = []
    for r in run.results:
        lines.append(f"{r.status:<7} {r.case.id} [{r.backend}]  {r.case.location}")
        lines += [f"          {d}" for d in r.problems if r.status != "PASS"]
    if run.uncovered:
        lines.append("rules no case made fire:")
        lines += [f"  {r.rule.id}  {r.location}" for r in run.uncovered]
    lines.append(("ok: " if run.ok else "failed: ") + run.summary())
    return "\n".join(lines)


def to_dict(run: SuiteRun) -> dict[str, object]:
    return {
        "schema_version": SCHEMA_VERSION,
        "results": [
            {
                "case": r.case.id,
                "backend": r.backend,
                "status": r.status,
                "file": r.case.location.file,
                "line": r.case.location.line,
                "expected": r.case.spec.expect.model_dump(mode="json"),
                "decision": r.decision.decision if r.decision else None,
                "fired": sorted({f.rule_id for f in r.decision.findings}) if r.decision else [],
                "diff": list(r.problems),
            }
            for r in run.results
        ],
        "coverage": {
            "rules": len(run.rules),
            "percent": round(run.coverage, 2),
            "uncovered": [
                {"rule": r.rule.id, "file": r.location.file, "line": r.location.line, "col": r.location.col}
                for r in run.uncovered
            ],
        },
        "summary": {k.lower(): run.count(k) for k in ("PASS", "FAIL", "ERROR", "SKIPPED")},
    }


def to_junit(run: SuiteRun) -> list[JUnitCase]:
    """One suite per backend, one test per case."""
    return [
        JUnitCase(
            f"compliance test [{r.backend}]",
            r.case.pack,
            r.case.spec.name,
            r.status,
            r.problems[0] if r.problems else "",
            "\n".join(r.problems),
            r.case.location.file,
            r.case.location.line,
        )
        for r in run.results
    ]
