"""Licence determination against the ledger, on both matchers: the engine decides on the ledger licences and
balances it is handed (pure), picks by the documented order, names the licence and its balance, never covers a
line with more than is left, and keeps the licence-scope rules of an order's own licences (party, countries,
end use, quantity, value)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import Decision, Engine
from compliance.evaluate.balances import SCALE, LedgerLicense, micro
from compliance.ledger import Ledger, check_with_ledger
from compliance.models.transaction import License, Transaction
from tests.evaluate.test_licenses import H20, _finding, _tx


def _licence(**over: object) -> License:
    data: dict[str, object] = {
        "id": "D100",
        "authority": "US-BIS",
        "products": ["NVIDIA H20"],
        "destinations": ["CN"],
        "valid_from": "2025-01-01",
        "valid_to": "2026-12-31",
        "quantity": 100,
    }
    data.update(over)
    return License.model_validate(data)


def _order(**over: object) -> Transaction:
    tx = _tx(**over)
    tx.pop("licenses")
    if "licenses" in over:
        tx["licenses"] = over["licenses"]
    return Transaction.model_validate(tx)


def _decide(engine: Engine, tx: Transaction, *ledger: LedgerLicense) -> Decision:
    return engine.evaluate(tx, ledger=ledger)


def test_a_ledger_licence_covers_and_the_finding_names_it_and_its_balance(engine: Engine) -> None:
    d = _decide(engine, _order(), LedgerLicense(_licence(), used_quantity=30 * SCALE))
    (f,) = [f for f in d.findings if f.rule_id == H20]
    assert d.decision == "allow" and f.outcome == "allow" and f.license == "D100"
    assert "Covered by licence D100 (US-BIS) from the licence ledger: quantity 70 left, this order 8 (62 after)" in (
        f.message
    )


def test_a_line_that_would_over_draw_is_denied_saying_what_is_left(engine: Engine) -> None:
    d = _decide(engine, _order(), LedgerLicense(_licence(), used_quantity=95 * SCALE))
    outcome, message = _finding(d, H20)
    assert outcome == "deny" and d.decision == "deny"
    assert "licence D100 has 5 left" in message and "line 1 needs 8" in message
    # Used up entirely, or over (an amendment lowered the total): "0 left", never a negative balance.
    d = _decide(engine, _order(), LedgerLicense(_licence(quantity=50), used_quantity=60 * SCALE))
    assert "licence D100 has 0 left" in _finding(d, H20)[1]


def test_the_value_left_is_checked_with_the_us_tolerance(engine: Engine) -> None:
    # 8 x 12,000 = 96,000 USD needed.
    lic = _licence(quantity=None, value=200_000, currency="USD")
    assert _decide(engine, _order(), LedgerLicense(lic, used_value=104_000 * SCALE)).decision == "allow"
    # 100,000 used + 96,000 = 196,000 of 200,000: fits. 110,000 + 96,000 = 206,000: within 110% -> review.
    outcome, message = _finding(_decide(engine, _order(), LedgerLicense(lic, used_value=110_000 * SCALE)), H20)
    assert outcome == "review" and "750.11(b)" in message and "90,000 USD of its value left" in message
    # 130,000 + 96,000 = 226,000 > 220,000: deny.
    outcome, message = _finding(_decide(engine, _order(), LedgerLicense(lic, used_value=130_000 * SCALE)), H20)
    assert outcome == "deny" and "70,000 USD of its value left" in message
    # A line without a price in the licence's currency cannot be checked: review.
    euros = [{"line": 1, "product": "NVIDIA H20", "quantity": 8, "unit_value": 1, "currency": "EUR"}]
    outcome, message = _finding(_decide(engine, _order(items=euros), LedgerLicense(lic)), H20)
    assert outcome == "review" and "no exchange rates" in message


# The licence-scope cases of the "silent allows" issue: (licence terms, order changes). Each must decide the same
# with the licence on the order and with it in the ledger, nothing drawn yet.
SCOPE = [
    ({}, {"parties": [{"role": "end_user", "name": "Huawei Technologies Co., Ltd.", "country": "CN"}]}),
    ({"parties": ["Somebody Else"]}, {"parties": []}),
    ({"parties": ["Example Cloud"]}, {}),
    (
        {"parties": ["Example Cloud"]},
        {
            "parties": [
                {"role": "end_user", "name": "Example Cloud Co., Ltd.", "country": "CN"},
                {"role": "purchaser", "name": "Reseller Ltd", "country": "CN"},
            ]
        },
    ),
    ({}, {"parties": [{"role": "ultimate_consignee", "name": "Example Cloud", "country": "MO"}]}),
    (
        {"destinations": ["CN", "MO"]},
        {"parties": [{"role": "ultimate_consignee", "name": "Example Cloud", "country": "MO"}]},
    ),
    ({"quantity": 5}, {}),
    ({"quantity": 8}, {}),
    ({"value": 80000, "currency": "USD"}, {}),
    ({"value": 90000, "currency": "USD"}, {}),
    ({"value": 96000, "currency": "USD"}, {}),
    ({"value": 1e9, "currency": "USD"}, {"items": [{"line": 1, "product": "NVIDIA H20", "quantity": 8}]}),
    ({"end_use_codes": ["civil"]}, {"end_use_codes": ["civil"]}),
    ({"end_use_codes": ["civil"]}, {"end_use_codes": ["civil", "ai_training"]}),
    ({"end_use_codes": ["civil"]}, {}),
    ({"products": ["NVIDIA H100"]}, {}),
    ({"valid_to": "2025-08-31"}, {}),
    ({"authority": "CN-MOFCOM"}, {}),
]


@pytest.mark.parametrize(("terms", "changes"), SCOPE)
def test_scope_rules_hold_for_ledger_licences(
    engine: Engine, terms: dict[str, object], changes: dict[str, object]
) -> None:
    inline = engine.evaluate(_tx(terms, **changes))
    raw = _tx(terms, **changes)
    (lic,) = raw.pop("licenses")  # type: ignore[misc]
    tx = Transaction.model_validate(raw)
    in_ledger = engine.evaluate(tx, ledger=(LedgerLicense(License.model_validate(lic)),))
    assert [(f.rule_id, f.outcome) for f in in_ledger.findings] == [(f.rule_id, f.outcome) for f in inline.findings]
    assert in_ledger.decision == inline.decision


def test_order_of_determination(engine: Engine) -> None:
    late = LedgerLicense(_licence(id="D-LATE", valid_to="2026-12-31"))
    soon = LedgerLicense(_licence(id="D-SOON", valid_to="2025-12-31"))
    d = _decide(engine, _order(), late, soon)
    assert [f.license for f in d.findings if f.rule_id == H20] == ["D-SOON"]  # expiring first
    spent = LedgerLicense(_licence(id="D-SOON", valid_to="2025-12-31"), used_quantity=95 * SCALE)
    d = _decide(engine, _order(), late, spent)
    assert [f.license for f in d.findings if f.rule_id == H20] == ["D-LATE"]  # the next one, when it lacks the balance
    # The order's own licence comes first.
    own = {
        "id": "L-OWN",
        "authority": "US-BIS",
        "products": ["NVIDIA H20"],
        "destinations": ["CN"],
        "valid_from": "2025-01-01",
        "valid_to": "2027-12-31",
    }
    d = _decide(engine, _order(licenses=[own]), soon)
    assert [f.license for f in d.findings if f.rule_id == H20] == ["L-OWN"]


def test_an_inline_copy_of_a_ledger_licence_is_drawn_down_like_the_ledgers(engine: Engine) -> None:
    copy = _licence().model_dump(mode="json")
    d = _decide(engine, _order(licenses=[copy]), LedgerLicense(_licence(), used_quantity=95 * SCALE))
    assert d.decision == "deny" and "licence D100 has 5 left" in _finding(d, H20)[1]


@pytest.mark.parametrize("retyped", ["D100", "d100", "D-100", "D 100", "\uff24\uff11\uff10\uff10", "D\u2011100"])
def test_a_retyped_copy_of_a_ledger_licence_is_still_the_ledgers(engine: Engine, retyped: str) -> None:
    # An order carrying the licence's terms under a variant of its number must not cover without being drawn.
    copy = {**_licence().model_dump(mode="json"), "id": retyped}
    d = _decide(engine, _order(licenses=[copy]), LedgerLicense(_licence(), used_quantity=95 * SCALE))
    assert d.decision == "deny" and "licence D100 has 5 left" in _finding(d, H20)[1]


def test_a_ledger_of_unrelated_licences_is_not_listed_in_a_deny(engine: Engine) -> None:
    others = [LedgerLicense(_licence(id=f"X{i}", products=["NVIDIA H100"])) for i in range(50)]
    d = _decide(engine, _order(), *others)
    outcome, message = _finding(d, H20)
    assert outcome == "deny" and "X1" not in message


@settings(max_examples=60)
@given(
    total=st.integers(1, 10_000),
    used=st.integers(0, 12_000),
    need=st.integers(1, 10_000),
    fraction=st.sampled_from([0, 0.25, 0.5, 0.001]),
)
def test_a_ledger_licence_never_covers_more_than_is_left(
    durable_engine: Engine, total: int, used: int, need: int, fraction: float
) -> None:
    items = [{"line": 1, "product": "NVIDIA H20", "quantity": need + fraction}]
    balance = LedgerLicense(_licence(quantity=total), used_quantity=used * SCALE)
    d = durable_engine.evaluate(_order(items=items), ledger=(balance,))
    fits = micro(need + fraction, up=True) <= total * SCALE - used * SCALE
    assert (d.decision == "allow") == fits
    if not fits:
        assert d.decision == "deny"


# -- the pipeline: read, decide, reserve (SQLite here; the race tests run both databases) -------------------------


def _ledger(path: Path, quantity: int = 10) -> Ledger:
    ledger = Ledger(str(path))
    ledger.add([_licence(quantity=quantity)])
    return ledger


def _qty(tid: str, quantity: int) -> Transaction:
    return _order(id=tid, items=[{"line": 1, "product": "NVIDIA H20", "quantity": quantity}])


def test_check_reserves_and_a_second_order_is_denied(engine: Engine, tmp_path: Path) -> None:
    with _ledger(tmp_path / "l.sqlite") as ledger:
        first = check_with_ledger(engine, _qty("A", 8), ledger, reserve=True)
        assert first.decision.decision == "allow" and [m.kind for m in first.movements] == ["reserve"]
        again = check_with_ledger(engine, _qty("A", 8), ledger, reserve=True)  # idempotent
        assert again.decision.decision == "allow" and again.movements == ()
        second = check_with_ledger(engine, _qty("B", 8), ledger, reserve=True)
        assert second.decision.decision == "deny" and second.movements == ()
        assert ledger.balance("D100").quantity_left == 2 * SCALE
        # Without --reserve nothing is drawn.
        assert check_with_ledger(engine, _qty("C", 2), ledger).movements == ()
        assert ledger.balance("D100").quantity_left == 2 * SCALE


def test_a_balance_taken_between_evaluation_and_reservation_is_decided_again(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    _ledger(path).close()

    class Racy(Ledger):
        """Another process reserves B right after A's balances were read (before A reserves)."""

        def candidates(self, tx: Transaction, on: dt.date) -> tuple[LedgerLicense, ...]:
            seen = super().candidates(tx, on)
            if tx.id == "A":
                with Ledger(str(path)) as other:
                    assert check_with_ledger(engine, _qty("B", 8), other, reserve=True).decision.decision == "allow"
            return seen

    with Racy(str(path)) as ledger:
        result = check_with_ledger(engine, _qty("A", 8), ledger, reserve=True)
        assert result.reserved is not None and result.reserved.redecided
        assert (
            result.decision.decision == "deny"
            and "licence D100 has 2 left" in _finding(engine.evaluate(_qty("A", 8), ledger=result.seen), H20)[1]
        )
        assert result.movements == () and ledger.balance("D100").quantity_left == 2 * SCALE
        assert result.receipt()["redecided"] is True


def test_the_receipt_keeps_what_the_decision_used(engine: Engine, tmp_path: Path) -> None:
    with _ledger(tmp_path / "l.sqlite") as ledger:
        ledger.add([_licence(id="X-H100", products=["NVIDIA H100"])])
        checked = check_with_ledger(engine, _qty("A", 8), ledger, reserve=True)
        receipt = checked.receipt()
        kept = [LedgerLicense.from_dict(b) for b in receipt["licenses"]]  # type: ignore[attr-defined]
        assert [b.license.id for b in kept] == ["D100"]  # the H100 licence made no difference
        replayed = engine.decide(_qty("A", 8), ledger=kept)
        assert replayed.decision == checked.decision.decision
        assert [r["status"] for r in receipt["reservations"]] == ["reserved"]  # type: ignore[attr-defined]


def test_an_order_naming_a_ledger_licence_outside_its_dates_gets_the_ledgers_terms(
    engine: Engine, tmp_path: Path
) -> None:
    # The ledger's D100 ended 2025-06-30; an order carrying a copy "d-100" with a later end does not cover.
    with Ledger(str(tmp_path / "l.sqlite")) as ledger:
        ledger.add([_licence(valid_to="2025-06-30")])
        copy = {**_licence().model_dump(mode="json"), "id": "d-100"}
        checked = check_with_ledger(engine, _order(licenses=[copy]), ledger, reserve=True)
        assert [b.license.id for b in checked.seen] == ["D100"]
        assert checked.decision.decision == "deny" and checked.movements == ()
