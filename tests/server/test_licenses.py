"""``/v1/licenses`` and ``POST /v1/check?reserve=true`` on the ASGI app in this process (``serve --db``): the
operations of ``compliance licenses``, the CLI's error records, and a receipt for every movement."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from compliance.server.app import AppConfig, create_app
from compliance.server.audit import Entry, MovementEntry
from compliance.server.metrics import Metrics
from compliance.server.state import PackState
from tests.conftest import RULES

LICENCE = {
    "id": "D-SVC",
    "authority": "US-BIS",
    "products": ["NVIDIA H20"],
    "destinations": ["CN"],
    "valid_from": "2025-01-01",
    "valid_to": "2026-12-31",
    "quantity": 10,
}


def _order(tid: str, quantity: int) -> bytes:
    return json.dumps(
        {
            "id": tid,
            "date": "2025-09-01",
            "exporter": {"name": "NVIDIA Corporation", "country": "US"},
            "destination": "CN",
            "parties": [{"role": "end_user", "name": "Example Cloud Co., Ltd.", "country": "CN"}],
            "items": [{"line": 1, "product": "NVIDIA H20", "quantity": quantity}],
        }
    ).encode()


def _call(app: object, method: str, path: str, body: bytes = b"") -> tuple[int, object]:
    path, _, query = path.partition("?")

    async def run() -> tuple[int, object]:
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
            "query_string": query.encode(),
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
        raw = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
        return status, json.loads(raw)

    return asyncio.run(run())


def test_the_ledger_over_http(tmp_path: Path) -> None:
    state = PackState([str(RULES)])
    entries: list[object] = []
    config = AppConfig(ledger=str(tmp_path / "ledger.sqlite"))
    app, service = create_app(state, config, Metrics(), submit=entries.append)
    try:
        status, body = _call(app, "POST", "/v1/licenses", json.dumps({"licenses": [LICENCE]}).encode())
        assert status == 200 and [m["kind"] for m in body["movements"]] == ["add"]  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/check?reserve=true", _order("SO-1", 8))
        assert status == 200 and body["decision"] == "allow"  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/check?reserve=true", _order("SO-2", 8))
        assert status == 200 and body["decision"] == "deny"  # type: ignore[index]
        assert "licence D-SVC has 2 left" in json.dumps(body)
        status, body = _call(app, "GET", "/v1/licenses")
        assert status == 200 and body[0]["left"]["quantity"] == "2"  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/licenses/consume", json.dumps({"transaction_id": "SO-1"}).encode())
        assert status == 200 and [m["kind"] for m in body["movements"]] == ["consume"]  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/licenses/release", json.dumps({"transaction_id": "SO-1"}).encode())
        assert status == 409 and "a shipment is not released" in body["refused"][0]  # type: ignore[index]
        status, body = _call(app, "GET", "/v1/licenses/D-SVC")
        assert status == 200 and [m["kind"] for m in body["movements"]] == ["add", "reserve", "consume"]  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/licenses/expire")
        assert status == 200 and body["movements"] == []  # type: ignore[index]
        # Errors: the CLI's error record, with the status that fits.
        status, body = _call(app, "GET", "/v1/licenses/NOPE")
        assert status == 404 and body["error"]["code"] == "ledger-unknown-license"  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/licenses/consume", json.dumps({"transaction_id": "SO-9"}).encode())
        assert status == 404 and body["error"]["code"] == "ledger-no-reservation"  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/licenses", b'{"licenses": [{"id": "X"}]}')
        assert status == 422 and body["error"]["problems"][0]["line"] == 1  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/licenses", b"{not json")
        assert status == 400
        status, body = _call(app, "POST", "/v1/licenses/consume", b'{"lines": [1]}')
        assert status == 422 and body["error"]["code"] == "missing-field"  # type: ignore[index]
        # Every movement is a receipt: add, reserve (with its decision), consume.
        moved = [e.movement["kind"] for e in entries if isinstance(e, MovementEntry)]
        with_check = [m["kind"] for e in entries if isinstance(e, Entry) for _, m in e.movements]
        assert moved == ["add", "consume"] and with_check == ["reserve"]
    finally:
        service.close()
        state.close()


def test_without_a_ledger(tmp_path: Path) -> None:
    state = PackState([str(RULES)])
    app, service = create_app(state, AppConfig(), Metrics())
    try:
        status, body = _call(app, "GET", "/v1/licenses")
        assert status == 404 and body["error"]["code"] == "no-ledger"  # type: ignore[index]
        status, body = _call(app, "POST", "/v1/check?reserve=true", _order("SO-1", 8))
        assert status == 400 and body["error"]["code"] == "no-ledger"  # type: ignore[index]
    finally:
        service.close()
        state.close()
