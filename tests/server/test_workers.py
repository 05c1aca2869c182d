"""`compliance serve --workers 2`: one audit writer for both workers, rotation by SIGUSR1, reload relayed to every
worker, metrics summed over the workers, and a clean stop that seals the log."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from compliance.audit.receipts import verify_chain
from tests.server.harness import Server
from tests.server.test_service import GERMANY, H20


@pytest.mark.slow
def test_two_workers_share_one_audit_chain_and_rotate(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    server = Server(["--workers", "2", "--audit-log", str(log), "--no-access-log"])
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            replies = list(
                pool.map(lambda i: server.request("POST", "/v1/check", H20 if i % 2 else GERMANY), range(60))
            )
        assert all(r.status == 200 for r in replies)
        server.wait_for(lambda: verify_chain(log)[0] == 60, "60 receipts")
        # logrotate moves the file away, then signals: the old file is sealed, a new chain starts at the path.
        log.rename(tmp_path / "audit.1.jsonl")
        server.signal(signal.SIGUSR1)
        server.wait_for(lambda: log.exists(), "the new log file")
        for _ in range(10):
            assert server.request("POST", "/v1/check", H20).status == 200
        assert server.request("POST", "/v1/reload").status == 200
        server.wait_for(
            lambda: 'compliance_reloads_total{result="ok"} 3' in server.request("GET", "/metrics").body.decode(),
            "the reload relayed to both workers",
        )
        metrics = server.request("GET", "/metrics").body.decode()
        assert 'compliance_decisions_total{decision="deny"} 40' in metrics  # 30 + 10, whichever worker answered
    finally:
        assert server.stop() == 0
    assert verify_chain(tmp_path / "audit.1.jsonl") == (60, None)
    assert verify_chain(log) == (10, None)
    assert "audit log sealed" in server.log
