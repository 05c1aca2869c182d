"""The HTTP API (Starlette, served by uvicorn): the CLI's decisions for programs that cannot shell out.

- ``POST /v1/check``: one transaction (JSON) -> its decision, the content of ``compliance check --format json``
  (compact). A body that is not JSON (or not UTF-8) is 400; a transaction that fails validation is 422; both
  answer with the CLI's error record ``{"source", "record", "error": {"code", "problems"}}``.
- ``POST /v1/check/batch``: JSON Lines in, JSON Lines out (``compliance check --format jsonl``), streamed: each
  record is answered as soon as its chunk is decided, one record out per record in, in order.
- ``GET /v1/packs`` (``compliance packs --format json``), ``POST /v1/reload``, ``GET /healthz``, ``GET /metrics``,
  ``GET /openapi.json``.

Evaluation runs on a small thread pool, off the event loop, so a timed-out request is answered (503) while the
loop keeps serving. Each request holds one pack set from start to end (:class:`PackState`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from compliance._version import __version__
from compliance.errors import Location, Problem
from compliance.io.pipeline import Result, check_item
from compliance.io.readers import RawLine
from compliance.io.writers import dumps
from compliance.ledger.db import LedgerError
from compliance.ledger.determine import LedgerOptions
from compliance.ledger.store import Ledger
from compliance.server.access import AccessLog
from compliance.server.audit import Entry, MovementEntry
from compliance.server.licenses import LicenseRoutes, ledger_error_status
from compliance.server.metrics import ENDPOINTS, Metrics
from compliance.server.openapi import openapi_document
from compliance.server.state import PackState

__all__ = ["SOURCE", "AppConfig", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# The `source` of every record a request carries (the CLI names the file instead).
SOURCE = "request"
# Problem codes that mean the body is not a JSON document at all: 400, not 422.
BROKEN_BODY = frozenset({"encoding", "binary", "json-syntax", "duplicate-key", "too-large", "yaml-syntax"})
JSON = "application/json"
JSONL = "application/x-ndjson"
BATCH_CHUNK = 256


@dataclass(frozen=True, slots=True)
class AppConfig:
    token: bytes | None = None
    max_body_bytes: int = 1 << 20
    max_batch_bytes: int = 64 << 20
    max_batch_records: int = 100_000
    timeout: float = 10.0
    batch_timeout: float = 300.0
    threads: int = 4
    ledger: str | None = None  # the licence ledger's URL (`serve --db`): /v1/licenses, and ledger licences in checks
    hold_seconds: int = 7 * 86400  # how long a reservation made by `POST /v1/check?reserve=true` holds


Submit = Callable[[Entry | MovementEntry], None]


class _TooLarge(Exception):
    pass


def _error(status: int, code: str, message: str, record: int = 1, hint: str | None = None) -> Response:
    problem = Problem(Location(SOURCE, record if status != 401 else 0), code, message, help=hint)
    body = {"source": SOURCE, "record": record, "error": {"code": code, "problems": [problem.to_dict()]}}
    return Response(dumps(body), status_code=status, media_type=JSON)


def _as_of(request: Request | Scope) -> dt.date | None:
    query = request.query_params if isinstance(request, Request) else Request(request).query_params
    value = query.get("as_of")
    if value is None:
        return None
    return dt.date.fromisoformat(value)  # ValueError -> 400 by the caller


class Service:
    """The routes and what they share: the pack state, the thread pool, metrics, audit and access logs."""

    def __init__(
        self,
        state: PackState,
        config: AppConfig,
        metrics: Metrics,
        *,
        submit: Submit | None = None,
        audit_alive: Callable[[], bool] = lambda: True,
        access: AccessLog | None = None,
        on_reload: Callable[[], None] | None = None,
    ) -> None:
        self.state = state
        self.config = config
        self.metrics = metrics
        self.submit = submit
        self.audit_alive = audit_alive
        self.access = access
        self.on_reload = on_reload
        self.pool = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="check")
        self.started = time.time()
        if config.ledger:  # created and migrated at start-up: a ledger that cannot be used stops the service here
            Ledger(config.ledger).close()
        record = None if submit is None else (lambda ledger, movement: submit(MovementEntry(ledger, movement)))
        self.licenses = LicenseRoutes(config.ledger, self.pool, record, config.max_body_bytes)

    # -- one record ------------------------------------------------------------------------------------------

    def _decide(self, raws: list[RawLine], as_of: dt.date | None, fmt: str, reserve: bool = False) -> list[Result]:
        audit = self.submit is not None
        url = self.config.ledger
        ledger = LedgerOptions(url, reserve, dt.timedelta(seconds=self.config.hold_seconds)) if url else None
        with self.state.acquire() as loaded:
            results = [
                check_item(loaded.engine, raw, fmt=fmt, as_of=as_of, audit=audit, ledger=ledger)  # type: ignore[arg-type]
                for raw in raws
            ]
        if self.submit is not None:
            for r in results:
                problems = tuple(p.to_dict() for p in r.problems)
                self.submit(Entry(r.source, r.record, r.receipt, problems, r.transaction_id, r.movements))
        self.metrics.decisions(r.outcome for r in results)
        return results

    async def check(self, request: Request) -> Response:
        try:
            as_of = _as_of(request)
        except ValueError:
            return _error(400, "invalid-query", "as_of must be an ISO date (YYYY-MM-DD)")
        if self.submit is not None and not self.audit_alive():
            return _error(503, "audit-unavailable", "the audit log cannot be written; no decision is given unrecorded")
        try:
            body = await _read_body(request, self.config.max_body_bytes)
        except _TooLarge:
            return _error(413, "too-large", f"the body is over {self.config.max_body_bytes} bytes")
        reserve = request.query_params.get("reserve", "false").lower() in ("true", "1", "yes")
        if reserve and not self.config.ledger:
            return _error(400, "no-ledger", "reserve=true needs a licence ledger", hint="serve --db URL")
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self.pool, self._decide, [RawLine(SOURCE, 1, body)], as_of, "json", reserve)
        try:
            (result,) = await asyncio.wait_for(work, self.config.timeout)
        except TimeoutError:
            return _error(503, "timeout", f"no decision within {self.config.timeout:g} s", hint="retry later")
        except LedgerError as err:
            problem = err.problems[0]
            return _error(ledger_error_status(err), problem.code, problem.message, hint=problem.help)
        headers = {"X-Compliance-Decision": result.outcome}
        if result.outcome == "error":
            broken = all(p.code in BROKEN_BODY for p in result.problems)
            return Response(dumps(result.output), status_code=400 if broken else 422, media_type=JSON, headers=headers)
        return Response(dumps(result.output), media_type=JSON, headers=headers)

    # -- a batch, streamed -------------------------------------------------------------------------------------

    async def batch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _error(405, "method-not-allowed", "use POST")(scope, receive, send)
            return
        try:
            as_of = _as_of(scope)
        except ValueError:
            await _error(400, "invalid-query", "as_of must be an ISO date (YYYY-MM-DD)")(scope, receive, send)
            return
        if self.submit is not None and not self.audit_alive():
            response = _error(
                503, "audit-unavailable", "the audit log cannot be written; no decision is given unrecorded"
            )
            await response(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.config.max_batch_bytes:
            await _error(413, "too-large", f"the body is over {self.config.max_batch_bytes} bytes")(
                scope, receive, send
            )
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", JSONL.encode()), (b"x-content-type-options", b"nosniff")],
            }
        )
        async for chunk in self._batch_lines(receive, as_of):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _batch_lines(self, receive: Receive, as_of: dt.date | None) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.batch_timeout
        buffer = b""
        number = 0  # physical line number, as the CLI counts lines
        records = 0
        size = 0
        pending: list[RawLine] = []
        refused: list[bytes] = []

        def refuse(line_no: int, code: str, message: str, hint: str) -> bytes:
            problem = Problem(Location(SOURCE, line_no, 1), code, message, help=hint)
            return (
                dumps(
                    {"source": SOURCE, "record": line_no, "error": {"code": code, "problems": [problem.to_dict()]}}
                ).encode()
                + b"\n"
            )

        async def flush() -> bytes:
            nonlocal pending
            batch, pending = pending, []
            if not batch:
                return b""
            remaining = deadline - loop.time()
            if remaining <= 0:
                return b"".join(
                    refuse(r.record, "timeout", "not decided: the batch ran out of time", _RETRY) for r in batch
                )
            work = loop.run_in_executor(self.pool, self._decide, batch, as_of, "jsonl")
            try:
                results = await asyncio.wait_for(work, remaining)
            except TimeoutError:
                return b"".join(
                    refuse(r.record, "timeout", "not decided: the batch ran out of time", _RETRY) for r in batch
                )
            return "".join(f"{r.output}\n" for r in results).encode()

        def take(line: bytes) -> None:
            nonlocal number, records
            number += 1
            if not line.strip():
                return  # a blank line is not a record
            records += 1
            if records > self.config.max_batch_records:
                refused.append(
                    refuse(
                        number,
                        "too-many-records",
                        f"not decided: the batch limit is {self.config.max_batch_records} records",
                        "send the rest in another request",
                    )
                )
            else:
                pending.append(RawLine(SOURCE, number, line))

        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk: bytes = message.get("body", b"")
            more = bool(message.get("more_body", False))
            size += len(chunk)
            if size > self.config.max_batch_bytes:
                out = await flush()
                yield (
                    out
                    + b"".join(refused)
                    + refuse(
                        number + 1,
                        "too-large",
                        f"the body is over {self.config.max_batch_bytes} bytes; records from this line on were not read",
                        "send the rest in another request",
                    )
                )
                return
            buffer += chunk
            if b"\n" in buffer:
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    take(line)
            if len(pending) >= BATCH_CHUNK or refused:
                out = await flush()
                yield out + b"".join(refused)
                refused.clear()
        if buffer:
            take(buffer)
        out = await flush()
        if out or refused:
            yield out + b"".join(refused)

    # -- the rest -----------------------------------------------------------------------------------------------

    async def packs(self, request: Request) -> Response:
        return Response(dumps(self.state.current.listing), media_type=JSON)

    async def reload(self, request: Request) -> Response:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, self.state.reload)
        self.metrics.reload(result.ok)
        if self.access is not None:
            self.access.event(
                "reload", ok=result.ok, problems=[str(p.location) + ": " + p.message for p in result.problems]
            )
        if result.ok and self.on_reload is not None:
            self.on_reload()
        body = {
            "reloaded": result.ok,
            "generation": result.loaded.generation,
            "packs": result.loaded.listing,
        }
        if not result.ok:
            body["error"] = {"code": "pack-error", "problems": [p.to_dict() for p in result.problems]}
        return Response(dumps(body), status_code=200 if result.ok else 422, media_type=JSON)

    async def healthz(self, request: Request) -> Response:
        loaded = self.state.current
        ok = self.submit is None or self.audit_alive()
        body = {
            "status": "ok" if ok else "failing",
            "engine_version": __version__,
            "generation": loaded.generation,
            "packs": [{"id": p.id, "version": p.version, "sha256": p.sha256} for p in loaded.packs],
            "audit": None if self.submit is None else ("ok" if ok else "failed"),
        }
        return Response(dumps(body), status_code=200 if ok else 503, media_type=JSON)

    async def metrics_text(self, request: Request) -> Response:
        loaded = self.state.current
        return PlainTextResponse(
            self.metrics.render(loaded.packs, loaded.loaded_at), media_type="text/plain; version=0.0.4"
        )

    async def openapi(self, request: Request) -> Response:
        return Response(json.dumps(openapi_document(), ensure_ascii=False), media_type=JSON)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.licenses.close()


_RETRY = "send these records again"


async def _read_body(request: Request, limit: int) -> bytes:
    declared = _content_length(request.scope)
    if declared is not None and declared > limit:
        raise _TooLarge
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        parts.append(chunk)
    return b"".join(parts)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _Edge:
    """Every request: bearer-token check, metrics and the access log, around the routes."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], service: Service) -> None:
        self.app = app
        self.service = service
        token = service.config.token
        self.expected = b"Bearer " + token if token is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path: str = scope["path"]
        status = 500
        sent = 0
        decision: str | None = None

        async def counted(message: Message) -> None:
            nonlocal status, sent, decision
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"x-compliance-decision":
                        decision = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            if self.expected is not None and path != "/healthz" and not self._authorized(scope):
                response = _error(401, "unauthorized", "a valid bearer token is required", record=0)
                response.headers["WWW-Authenticate"] = 'Bearer realm="compliance"'
                await response(scope, receive, counted)
            else:
                await self.app(scope, receive, counted)
        finally:
            seconds = time.perf_counter() - start
            endpoint = path if path in ENDPOINTS else "other"
            self.service.metrics.request(endpoint, status, seconds)
            if self.service.access is not None:
                self.service.access.request(scope, status, seconds, sent, decision)

    def _authorized(self, scope: Scope) -> bool:
        assert self.expected is not None
        given = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                given = value
                break
        return hmac.compare_digest(given, self.expected)  # constant time in the token's content


class _Raw:
    """A plain ASGI endpoint (Starlette wraps functions and methods as request -> response handlers)."""

    def __init__(self, handler: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(scope, receive, send)


def create_app(
    state: PackState,
    config: AppConfig,
    metrics: Metrics,
    *,
    submit: Submit | None = None,
    audit_alive: Callable[[], bool] = lambda: True,
    access: AccessLog | None = None,
    on_reload: Callable[[], None] | None = None,
) -> tuple[Callable[[Scope, Receive, Send], Awaitable[None]], Service]:
    """The ASGI application and the service behind it (for shutdown)."""
    service = Service(
        state, config, metrics, submit=submit, audit_alive=audit_alive, access=access, on_reload=on_reload
    )
    routes = [
        Route("/v1/check", service.check, methods=["POST"]),
        Route("/v1/check/batch", _Raw(service.batch)),
        Route("/v1/packs", service.packs, methods=["GET"]),
        Route("/v1/licenses", service.licenses.list, methods=["GET"]),
        Route("/v1/licenses", service.licenses.add, methods=["POST"]),
        Route("/v1/licenses/consume", service.licenses.consume, methods=["POST"]),
        Route("/v1/licenses/release", service.licenses.release, methods=["POST"]),
        Route("/v1/licenses/expire", service.licenses.expire, methods=["POST"]),
        Route("/v1/licenses/{license_id}", service.licenses.show, methods=["GET"]),
        Route("/v1/reload", service.reload, methods=["POST"]),
        Route("/healthz", service.healthz, methods=["GET"]),
        Route("/metrics", service.metrics_text, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    return _Edge(app, service), service
