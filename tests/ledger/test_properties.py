"""Whatever happens to a licence, in any order (orders reserved, changed, shipped, cancelled, reservations left to
expire), what is held on it never exceeds it, and an order is allowed exactly when its line fits in what the
others left."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import Engine
from compliance.evaluate.balances import SCALE
from compliance.ledger import Ledger, check_with_ledger
from compliance.ledger.store import stamp
from compliance.models.transaction import License, Transaction

TOTAL = 20
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.integers(0, 4), st.integers(1, 12)),
        st.tuples(st.just("consume"), st.integers(0, 4), st.just(0)),
        st.tuples(st.just("release"), st.integers(0, 4), st.just(0)),
        st.tuples(st.just("wait"), st.just(0), st.integers(1, 5)),  # hours
    ),
    min_size=1,
    max_size=12,
)


def _order(n: int, quantity: int) -> Transaction:
    return Transaction.model_validate(
        {
            "id": f"SO-{n}",
            "date": "2025-09-01",
            "exporter": {"name": "NVIDIA Corporation", "country": "US"},
            "destination": "CN",
            "items": [{"line": 1, "product": "NVIDIA H20", "quantity": quantity}],
        }
    )


@settings(max_examples=25)
@given(steps=ops)
def test_never_over_drawn(durable_engine: Engine, steps: list[tuple[str, int, int]]) -> None:
    now = [T0]
    with tempfile.TemporaryDirectory() as tmp, Ledger(str(Path(tmp) / "l.sqlite"), clock=lambda: now[0]) as ledger:
        ledger.add(
            [
                License.model_validate(
                    {
                        "id": "D1",
                        "authority": "US-BIS",
                        "products": ["NVIDIA H20"],
                        "destinations": ["CN"],
                        "valid_from": "2025-01-01",
                        "valid_to": "2026-12-31",
                        "quantity": TOTAL,
                    }
                )
            ]
        )
        for kind, n, amount in steps:
            tid = f"SO-{n}"
            if kind == "reserve":
                others = [r for r in ledger.reservations(license="D1") if r.transaction_id != tid]
                left = TOTAL * SCALE - sum(r.quantity for r in others if r.held(stamp(now[0])))
                shipped = any(r.status == "consumed" for r in ledger.reservations(transaction=tid))
                checked = check_with_ledger(
                    durable_engine, _order(n, amount), ledger, reserve=True, hold=dt.timedelta(hours=3)
                )
                assert (checked.decision.decision == "allow") == (amount * SCALE <= left) or shipped
            elif kind == "wait":
                now[0] += dt.timedelta(hours=amount)
            elif ledger.reservations(transaction=tid):
                (ledger.consume if kind == "consume" else ledger.release)(tid)
            b = ledger.balance("D1")
            assert b.reserved_quantity + b.consumed_quantity <= TOTAL * SCALE
            assert b.quantity_left is not None and b.quantity_left >= 0
