"""Workers start by fork only from a single-threaded process; from a threaded one (a server, a test runner with
helper threads) by fork server, without the fork warning of Python 3.12+ and with the same decisions."""

from __future__ import annotations

import threading

import pytest

from compliance import Engine
from compliance.io import pipeline
from compliance.io.pipeline import check_items, check_items_parallel
from compliance.io.readers import read_items
from tests.conftest import EXAMPLES, RULES


@pytest.mark.slow
def test_a_threaded_process_starts_workers_without_fork() -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.yaml"))
    with Engine.from_directory(RULES) as engine:
        expected = [r.output for r in check_items(engine, read_items(files), fmt="jsonl")]
        assert pipeline._start_method() == "fork"
        stop = threading.Event()
        helper = threading.Thread(target=stop.wait, daemon=True)
        helper.start()
        try:
            assert pipeline._start_method() == "forkserver"
            got = [r.output for r in check_items_parallel(engine.packset, read_items(files), jobs=2, fmt="jsonl")]
        finally:
            stop.set()
            helper.join()
    assert got == expected
