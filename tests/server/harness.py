"""A `compliance serve` process on a free loopback port, and a small HTTP client for it (standard library only)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

LISTENING = re.compile(rb"listening on http://127\.0\.0\.1:(\d+)")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)

    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.body.splitlines()]


class Server:
    """``compliance serve --port 0 ...`` in a child process; the port is read from its start line."""

    def __init__(self, args: Sequence[str], cwd: Path = ROOT) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                *args,
            ],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.stderr: list[bytes] = []
        self.port = self._wait_for_port()
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _wait_for_port(self) -> int:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                raise AssertionError(f"the server exited ({self.process.wait()}): {b''.join(self.stderr).decode()}")
            self.stderr.append(line)
            found = LISTENING.search(line)
            if found:
                return int(found.group(1))
        raise AssertionError("the server did not start")

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def request(
        self, method: str, path: str, body: bytes | Iterable[bytes] | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(
                method, path, body=body, headers=headers or {}, encode_chunked=not isinstance(body, bytes | None)
            )
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self._drain.join(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return code

    @property
    def log(self) -> str:
        return b"".join(self.stderr).decode()

    def access_entries(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.log.splitlines() if line.startswith("{")]

    def wait_for(self, predicate: object, what: str, timeout: float = 30.0) -> None:
        """Poll until ``predicate()`` holds (a reload triggered by a signal completes in the background)."""
        assert callable(predicate)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")
