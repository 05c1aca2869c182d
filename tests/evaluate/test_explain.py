"""`Engine.explain` / `check --explain`: why each rule in scope did or did not apply, and the licences tried."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli import main
from compliance import Engine
from compliance.authoring.cases import load_cases
from compliance.intake import load_transaction
from compliance.models.explain import Explanation, RuleTrace
from compliance.packs.load import load_packs
from tests.conftest import EXAMPLES, RULES

_PACKSET = load_packs([RULES])
_UNCONFIRMED_END = {pr.rule.id for pr in _PACKSET.rules if not pr.rule.effective_to_confirmed}


def _trace(ex: Explanation, line: int, rule_id: str) -> RuleTrace:
    (lx,) = [lx for lx in ex.lines if lx.line == line]
    (t,) = [t for t in lx.rules if t.rule_id == rule_id]
    return t


def test_a_fired_licence_rule_names_the_licence_that_covers_it(engine: Engine) -> None:
    tx = load_transaction(EXAMPLES / "h20-to-china-licensed.yaml")
    data = tx.model_dump(mode="json", by_alias=True, exclude_none=True)
    # A MOFCOM licence first: tried, and refused for its authority; then the BIS licence covers.
    wrong = {**data["licenses"][0], "id": "CN-1", "authority": "CN-MOFCOM"}
    data["licenses"] = [wrong, *data["licenses"]]
    ex = engine.explain(data)
    t = _trace(ex, 1, "us-ear.ac.h20-mi308-license")
    assert t.status == "fired" and t.outcome == "allow"
    trials = [(x.license, x.status, x.reason) for x in t.licenses]
    assert trials == [("CN-1", "no", "issued by CN-MOFCOM, not US-BIS"), ("D1234567", "covers", "")]
    assert ex.decision == engine.evaluate(data)


def test_a_rule_that_did_not_apply_says_which_condition_failed(engine: Engine) -> None:
    ex = engine.explain(load_transaction(EXAMPLES / "h100-to-germany.yaml"))
    t = _trace(ex, 1, "us-ear.ac.3a090-license-2024-12")
    assert t.status == "not-applicable"
    assert t.failed == (
        "no country of the transaction (DE) is (in D:1, D:4, D:5 or in MO) and not in A:5, A:6 on 2025-11-20"
    )
    h20 = _trace(ex, 1, "us-ear.ac.h20-mi308-license")
    assert h20.failed == "product nvidia-h100 is not nvidia-h20, amd-mi308"
    ended = _trace(ex, 1, "us-ear.ac.3a090-license")
    assert ended.failed == "no longer in force on 2025-11-20 (ended 2024-12-01)"
    assert ex.lines[0].control_codes == ["us-ear:3A090.a", "us-ear:3A090"]


def test_the_trace_agrees_with_the_decision_on_every_pack_case(engine: Engine) -> None:
    # The reference trace and the engine's matcher (durable-rules or reference) fire the same rules.
    cases = load_cases([RULES], {pr.rule.id for pr in _PACKSET.rules})
    checked = 0
    for case in cases:
        ex = engine.explain(case.transaction, as_of=case.spec.as_of)
        for lx in ex.lines:
            fired = {t.rule_id for t in lx.rules if t.status == "fired"}
            found = {f.rule_id for f in ex.decision.findings if f.line == lx.line and f.pack != "engine"}
            assert fired <= found, (case.id, fired - found)
            # A finding beyond the trace is a rule past an unconfirmed end, decided both ways (horizon).
            assert found - fired <= _UNCONFIRMED_END, (case.id, found - fired)
            assert all(t.failed for t in lx.rules if t.status == "not-applicable")
            assert set(lx.packs_in_scope) >= {t.pack for t in lx.rules}
            checked += len(lx.rules)
    assert checked > 1000


def test_cli_explain_text_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["check", "--explain", str(EXAMPLES / "h20-to-china.yaml")])
    assert result.exit_code == 1, result.output
    assert "FIRED us-ear.ac.h20-mi308-license (license_required) -> deny" in result.stdout
    assert "traced with the reference matcher" in result.stdout.splitlines()[0]
    result = runner.invoke(main, ["check", "--explain", "--format", "json", str(EXAMPLES / "h100-to-germany.yaml")])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["schema_version"] == "1" and data["matcher"] == "reference"
    assert Explanation.model_validate_json(result.stdout).decision.decision == "allow"
    result = runner.invoke(main, ["check", "--explain", "--format", "csv", str(EXAMPLES / "h100-to-germany.yaml")])
    assert result.exit_code == 2 and "--explain" in result.stderr
