"""Remedies: every non-allow finding says what would resolve it, and a `license` remedy's licence does.

The property: take a transaction, add the licence a `license` remedy marked `sufficient` describes (with an id),
decide again: that finding is allowed, by that licence. Checked on every bundled pack test case (they fire every
rule) and on the seeded corpus, on both matchers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import Engine
from compliance.authoring.cases import Case, load_cases
from compliance.intake import load_transaction
from compliance.models.decision import Decision
from compliance.models.transaction import License, Transaction
from compliance.packs.load import load_packs
from tests import corpus
from tests.conftest import EXAMPLES, RULES

_CASES: list[Case] = load_cases([RULES], {pr.rule.id for pr in load_packs([RULES]).rules})


def _with(tx: Transaction, licence: dict[str, object], lid: str) -> Transaction:
    data = tx.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["licenses"] = [*data.get("licenses", []), {**licence, "id": lid}]
    return Transaction.model_validate(data)


def _check_remedies(engine: Engine, tx: Transaction, as_of: object = None) -> int:
    """Assert the remedy invariants on one transaction; the number of licence remedies whose licence was applied."""
    decision: Decision = engine.evaluate(tx, as_of=as_of)  # type: ignore[arg-type]
    applied = 0
    for f in decision.findings:
        if f.outcome == "allow":
            assert f.remedy is None, f.rule_id
            continue
        assert f.remedy is not None, f"{f.rule_id} ({f.outcome}) has no remedy"
        assert f.remedy.text.strip()
        if f.remedy.kind != "license":
            assert f.remedy.license is None
            continue
        assert f.effect == "license_required"
        assert f.remedy.license is not None and f.remedy.license.authority == f.authority
        shape = f.remedy.license.model_dump(mode="json")
        License.model_validate({**shape, "id": "R"})  # the transaction's licence shape, as data
        if not f.remedy.sufficient:
            continue
        again = engine.evaluate(_with(tx, shape, "REMEDY-1"), as_of=as_of)  # type: ignore[arg-type]
        same = [g for g in again.findings if g.rule_id == f.rule_id and g.line == f.line]
        assert same, f"{f.rule_id} line {f.line} vanished once its licence was added"
        assert all(g.outcome == "allow" and g.license == "REMEDY-1" for g in same), [
            (g.outcome, g.message) for g in same
        ]
        applied += 1
    return applied


def test_h20_deny_names_the_licence_that_would_cover_it(engine: Engine) -> None:
    decision = engine.evaluate(load_transaction(EXAMPLES / "h20-to-china.yaml"))
    deny = next(f for f in decision.findings if f.outcome == "deny")
    assert deny.remedy is not None and deny.remedy.kind == "license" and deny.remedy.sufficient
    lic = deny.remedy.license
    assert lic is not None
    assert (lic.authority, lic.products, lic.destinations) == ("US-BIS", ["nvidia-h20"], ["CN"])
    assert lic.valid_from <= decision.as_of <= lic.valid_to and lic.quantity == 512


def test_unclassified_item_gets_a_classify_remedy(engine: Engine) -> None:
    decision = engine.evaluate(load_transaction(EXAMPLES / "unclassified-item.yaml"))
    f = next(f for f in decision.findings if f.rule_id == "engine.unclassified-item")
    assert f.remedy is not None and f.remedy.kind == "classify" and "eccn" in f.remedy.fields


def test_a_listed_party_needs_a_licence_naming_it(engine: Engine) -> None:
    tx = load_transaction(EXAMPLES / "huawei-end-user.yaml")
    decision = engine.evaluate(tx)
    party = [f for f in decision.findings if f.remedy and f.remedy.kind == "license" and f.party]
    assert party, [(f.rule_id, f.remedy and f.remedy.kind) for f in decision.findings]
    for f in party:
        assert f.remedy is not None and f.remedy.license is not None and f.remedy.license.parties
        assert f.party in f.remedy.license.parties and "744.11(a)" in f.remedy.text
    assert _check_remedies(engine, tx) >= 1


def test_deny_rules_are_not_permitted(engine: Engine) -> None:
    tx = {
        # Gallium from China to the US under MOFCOM No. 46 of 2024, clause 2 (before its suspension).
        "id": "GA-US",
        "date": "2025-01-15",
        "exporter": {"name": "Example Metals Co., Ltd.", "country": "CN"},
        "destination": "US",
        "items": [{"line": 1, "product": "gallium", "quantity": 10}],
    }
    decision = engine.evaluate(tx)
    kinds = {f.remedy.kind for f in decision.findings if f.remedy is not None}
    denies = [f for f in decision.findings if f.effect == "deny"]
    assert denies and all(f.remedy is not None and f.remedy.kind == "not-permitted" for f in denies), kinds


def test_pack_cases_remedies_hold(engine: Engine) -> None:
    applied = sum(_check_remedies(engine, c.transaction, c.spec.as_of) for c in _CASES if not c.spec.todo)
    # Not vacuous: the packs' licence rules give many licence remedies that were applied and checked.
    assert applied >= 30, applied


def _corpus(seed: int, n: int) -> Iterator[Transaction]:
    rng = random.Random(seed)
    for i in range(n):
        yield Transaction.model_validate(corpus.transaction(rng, i))


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1))
def test_corpus_licence_remedies_turn_findings_to_allow(seed: int) -> None:
    for tx in _corpus(seed, 4):
        _check_remedies(_REFERENCE, tx)


_REFERENCE = Engine.from_directory(RULES, backend="reference")


@pytest.mark.slow
@settings(max_examples=300)
@given(seed=st.integers(0, 2**32 - 1))
def test_corpus_licence_remedies_many(seed: int) -> None:
    for tx in _corpus(seed, 8):
        _check_remedies(_REFERENCE, tx)


def test_remedy_json_is_the_models_dump(engine: Engine) -> None:
    from compliance.evaluate.values import to_jsonable, to_model

    licences = 0
    for c in _CASES:
        value = engine.decide(c.transaction, as_of=c.spec.as_of)
        assert to_jsonable(value) == to_model(value).model_dump(mode="json")
        licences += sum(1 for f in value.findings if f.remedy is not None and f.remedy.license is not None)
    assert licences > 50
