"""Worker processes: same output as one process, and none outlives a parent that was killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RULES
from tests.corpus import corpus


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_exit_when_the_parent_is_killed() -> None:
    exe = [sys.executable, "-m", "cli", "check", "-", "--jobs", "2", "--format", "jsonl", "--rules", str(RULES)]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(exe, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None
    try:
        for tx in corpus(3000):  # enough to start both workers; stdin then stays open, so the run waits
            proc.stdin.write((json.dumps(tx) + "\n").encode())
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = _children(proc.pid)
            time.sleep(0.2)
        assert len(workers) >= 2, "the workers never started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.2)
        assert not [w for w in workers if _alive(w)], "a worker outlived its parent"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdin.close()
