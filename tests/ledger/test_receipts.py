"""Movement receipts in the audit chain: not records (the seal's counts are the records'), verified, and a run
that a crash left with a movement as its last receipt is resumed like any other."""

from __future__ import annotations

from pathlib import Path

import yaml

from compliance import Engine
from compliance.audit.receipts import AuditLog, RunInfo, read_receipts, receipt_input
from compliance.audit.verify import verify_log
from compliance.intake import transaction_from_mapping
from tests.conftest import ROOT

RUN = RunInfo(("orders",), None, "durable", (), "0.1.0")


def test_a_crash_after_a_movement_resumes(durable_engine: Engine, tmp_path: Path) -> None:
    tx = transaction_from_mapping(yaml.safe_load((ROOT / "docs" / "ledger" / "so-3001.yaml").read_text()))
    receipt = receipt_input(tx, durable_engine.decide(tx))
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, RUN)
    log.add_decision("orders", 1, receipt)
    log.add_movement("ledger-1", {"kind": "reserve", "license": "D1", "quantity": "5"})
    log.close()  # killed: no seal, a movement last
    report = verify_log(path)
    assert report.broken is not None and report.broken.code == "audit-unsealed"
    log = AuditLog(path, RUN)
    assert log.resumed == 1
    log.add_decision("orders", 1, receipt)  # the rerun: already receipted, skipped
    log.add_decision("orders", 2, receipt)
    log.seal()
    log.close()
    report = verify_log(path)
    assert report.broken is None and report.records == 2
    kinds = [d["kind"] for _, _, d in read_receipts(path) if d is not None]
    assert kinds == ["start", "decision", "movement", "resume", "decision", "seal"]
