"""`compliance check ... | head`: the reader goes away; the run stops quietly with 141 (as a shell reports
SIGPIPE), never 0, and an audited run is left unsealed, so that a rerun resumes it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.audit.verify import verify_log
from tests.conftest import ROOT, RULES
from tests.corpus import corpus

N = 600


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_a_closed_output_exits_141_quietly_and_leaves_the_run_unsealed(tmp_path: Path, jobs: str) -> None:
    src, log = tmp_path / "orders.jsonl", tmp_path / "audit.jsonl"
    src.write_text("".join(json.dumps(tx) + "\n" for tx in corpus(N)))  # more output than a pipe holds
    cmd = [sys.executable, "-m", "cli", "check", str(src), "--rules", str(RULES), "--format", "jsonl", "--jobs", jobs]
    proc = subprocess.Popen([*cmd, "--audit-log", str(log)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141 and json.loads(first)["record"] == 1
    assert err == ""  # no traceback, no "internal error"
    report = verify_log(log)
    assert report.broken is not None and report.broken.code == "audit-unsealed"
    rerun = subprocess.run([*cmd, "--audit-log", str(log), "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert len(rerun.stdout.splitlines()) == N and rerun.returncode in (1, 2, 3)
    report = verify_log(log)
    assert report.ok and report.records == N and report.runs == 1
