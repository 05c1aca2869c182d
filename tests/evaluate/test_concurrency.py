"""An engine shared by many threads gives the same decisions as sequential evaluation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from compliance import Engine
from compliance.io.render import decision_json
from tests.conftest import RULES
from tests.corpus import corpus


@pytest.mark.slow
def test_threads_agree_with_sequential_runs() -> None:
    txs = list(corpus(600, seed=7))
    with Engine.from_directory(RULES) as sequential:
        expected = [decision_json(sequential.evaluate(tx)) for tx in txs]
    with Engine.from_directory(RULES) as shared, ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda tx: decision_json(shared.evaluate(tx)), txs))
    assert got == expected
