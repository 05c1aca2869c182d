"""kill -9 of a `check --jobs 2 --audit-log` run: output and log agree on what they hold, `verify` reports the
unsealed tail, no worker is left behind, and the rerun resumes the run: every record once, sealed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, RULES
from tests.corpus import corpus
from tests.io.test_workers import _alive, _children

N = 40_000


def _complete_lines(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes()
    return [json.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_mid_run_then_resume(tmp_path: Path) -> None:
    src, log, out = tmp_path / "orders.jsonl", tmp_path / "audit.jsonl", tmp_path / "out.jsonl"
    with src.open("w") as f:
        for i, tx in enumerate(corpus(N)):
            f.write(("{not json" if i % 997 == 5 else json.dumps(tx)) + "\n")
    cmd = [sys.executable, "-m", "cli", "check", str(src), "--rules", str(RULES), "--format", "jsonl", "--jobs", "2"]
    cmd += ["--audit-log", str(log), "--quiet"]
    with out.open("wb") as sink:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=sink, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not log.exists() or log.stat().st_size < 3_000_000):
            time.sleep(0.05)
        workers = _children(proc.pid)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(workers) >= 2
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not [w for w in workers if _alive(w)], "a worker outlived its parent"

    # What the kill left: both are prefixes of the input, and they agree where they overlap.
    printed = _complete_lines(out)
    receipted = [r for r in _complete_lines(log) if r["kind"] in ("decision", "error")]
    assert [r["record"] for r in printed] == list(range(1, len(printed) + 1))
    assert [r["record"] for r in receipted] == list(range(1, len(receipted) + 1))
    assert 0 < len(receipted) < N
    for p, r in zip(printed, receipted, strict=False):
        assert p.get("decision", "error") == r.get("decision", "error")
        assert ("error" in p) == (r["kind"] == "error")
    verify = subprocess.run(
        [sys.executable, "-m", "cli", "audit", "verify", str(log)], cwd=ROOT, capture_output=True, text=True
    )
    assert verify.returncode == 1 and "unsealed run" in verify.stderr

    # The rerun resumes: the whole output again, each record's receipt once, one seal over all N.
    rerun = subprocess.run(cmd[:-1], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 2 and f"after {len(receipted)} record(s)" in rerun.stderr
    assert [json.loads(line)["record"] for line in rerun.stdout.splitlines()] == list(range(1, N + 1))
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    records = [r["record"] for r in rows if r["kind"] in ("decision", "error")]
    assert records == list(range(1, N + 1))
    assert [r["kind"] for r in rows].count("resume") == 1 and rows[-1]["kind"] == "seal" and rows[-1]["records"] == N
    verify = subprocess.run(
        [sys.executable, "-m", "cli", "audit", "verify", str(log)], cwd=ROOT, capture_output=True, text=True
    )
    assert verify.returncode == 0 and f"{N} record(s)" in verify.stdout
