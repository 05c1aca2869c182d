"""What a real server cannot show deterministically, on the ASGI app in this process: the per-request timeout
(an evaluation held on an event), and an audit writer that failed (no decision is given unrecorded)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compliance.server.app import AppConfig, create_app
from compliance.server.metrics import Metrics
from compliance.server.state import Loaded, PackState
from tests.conftest import RULES
from tests.server.test_service import GERMANY, H20


class HeldState(PackState):
    """The bundled packs; ``acquire`` waits for ``release`` (an evaluation that takes too long)."""

    def __init__(self) -> None:
        super().__init__([str(RULES)])
        self.release = threading.Event()

    @contextmanager
    def acquire(self) -> Iterator[Loaded]:
        self.release.wait(30)
        with super().acquire() as loaded:
            yield loaded


def _call(app: object, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    async def run() -> tuple[int, bytes]:
        sent: list[dict[str, object]] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, object]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "scheme": "http",
            "root_path": "",
            "http_version": "1.1",
            "asgi": {"version": "3.0"},
        }
        await app(scope, receive, send)  # type: ignore[operator]
        status = next(int(str(m["status"])) for m in sent if m["type"] == "http.response.start")
        return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]

    return asyncio.run(run())


def test_a_check_over_the_time_limit_is_503_and_the_service_goes_on() -> None:
    state = HeldState()
    app, service = create_app(state, AppConfig(timeout=0.05, batch_timeout=0.05), Metrics())
    try:
        status, body = _call(app, "POST", "/v1/check", H20)
        assert status == 503 and json.loads(body)["error"]["code"] == "timeout"
        status, body = _call(app, "POST", "/v1/check/batch", H20 + b"\n" + GERMANY + b"\n")
        lines = [json.loads(line) for line in body.splitlines()]
        assert status == 200 and [line["error"]["code"] for line in lines] == ["timeout", "timeout"]
        assert [line["record"] for line in lines] == [1, 2]
        state.release.set()
        status, body = _call(app, "POST", "/v1/check", H20)
        assert status == 200 and json.loads(body)["decision"] == "deny"
    finally:
        state.release.set()
        service.close()
        state.close()


def test_no_decision_without_a_working_audit_log() -> None:
    state = PackState([str(RULES)])
    receipts: list[object] = []
    app, service = create_app(
        state, AppConfig(), Metrics(), submit=lambda r, now: receipts.append(r), audit_alive=lambda: False
    )
    try:
        for path in ("/v1/check", "/v1/check/batch"):
            status, body = _call(app, "POST", path, H20)
            assert status == 503 and json.loads(body)["error"]["code"] == "audit-unavailable"
        status, _body = _call(app, "GET", "/healthz", b"")
        assert status == 503 and receipts == []
    finally:
        service.close()
        state.close()


def test_a_port_in_use_or_a_broken_audit_log_is_one_line(tmp_path: Path) -> None:
    import socket

    from click.testing import CliRunner

    from cli import main

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(main, ["serve", "--port", port, "--quiet", "--no-access-log"])
        assert result.exit_code == 2 and result.stderr.startswith("error: cannot start the service: ")
    finally:
        taken.close()
    log = tmp_path / "audit.jsonl"
    log.write_text("not a receipt\n")
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--audit-log", str(log), "--quiet"])
    assert result.exit_code == 2 and "refusing to continue a broken chain" in result.stderr
