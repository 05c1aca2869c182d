"""Memoised matching gives exactly what the uncached core gives, on any date."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import Engine
from compliance.io.render import decision_json
from tests.conftest import RULES
from tests.evaluate.match.test_backends_agree import transactions

_PLAIN = Engine.from_directory(RULES, memoize=False)
_MEMO = Engine.from_directory(RULES, memoize=True)


@settings(max_examples=300)
@given(tx=transactions(), day=st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)))
def test_memo_agrees_with_uncached(tx: dict[str, object], day: dt.date) -> None:
    assert decision_json(_MEMO.evaluate(tx, as_of=day)) == decision_json(_PLAIN.evaluate(tx, as_of=day))


def test_boundary_days_are_exact() -> None:
    # The day before and the day a rule starts must not share a cache entry.
    tx = {
        "id": "T",
        "date": "2025-04-08",
        "destination": "CN",
        "exporter": {"name": "N", "country": "US"},
        "items": [{"line": 1, "product": "H20", "quantity": 1}],
    }
    assert _MEMO.evaluate(tx).decision == "allow"
    assert _MEMO.evaluate(tx, as_of=dt.date(2025, 4, 9)).decision == "deny"
    assert _MEMO.evaluate(tx).decision == "allow"
