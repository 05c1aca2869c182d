"""``/v1/licenses``: the licence ledger over HTTP (``compliance serve --db URL``), the operations of
``compliance licenses``.

- ``GET /v1/licenses``: every licence with its balance (``licenses list --format json``).
- ``POST /v1/licenses`` (``?replace=true`` to amend): licences in the transaction's licence shape, as
  ``{"licenses": [...]}``, a list, or one licence -> ``{"movements": [...]}``.
- ``GET /v1/licenses/{id}``: its balance, reservations and movements (``licenses show --format json``).
- ``POST /v1/licenses/consume`` and ``/release``: ``{"transaction_id": "...", "lines": [1, 2]}`` (``lines``
  optional) -> ``{"movements", "refused", "notes"}``; 409 when something was refused (said in
  ``refused``; the other lines are done).
- ``POST /v1/licenses/expire`` -> ``{"movements"}``.

``POST /v1/check?reserve=true`` reserves as ``check --reserve`` does. Every movement is also a receipt in the
service's audit log. Errors are the CLI's error record: 400 for a body that is not JSON, 422 for licences that do
not validate, 404 for an unknown licence or transaction, 503 when the ledger stays busy or cannot be reached.
The database work runs on the service's thread pool; each thread has its own connection.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from compliance.errors import InputError, Location, Problem
from compliance.io.writers import dumps
from compliance.ledger.db import LedgerError
from compliance.ledger.files import licenses_from_bytes
from compliance.ledger.store import Ledger, Movement, StepResult

__all__ = ["LicenseRoutes"]

JSON = "application/json"
SOURCE = "request"
_NOT_FOUND = frozenset({"ledger-unknown-license", "ledger-no-reservation"})
_UNAVAILABLE = frozenset({"ledger-busy", "ledger-open", "ledger-database", "ledger-postgres"})
_BROKEN_BODY = frozenset({"encoding", "binary", "json-syntax", "duplicate-key", "too-large", "yaml-syntax"})

Record = Callable[[str, dict[str, object]], None]  # (ledger id, movement) -> the audit log


def _problems(status: int, problems: list[Problem]) -> Response:
    code = problems[0].code if problems else "error"
    body = {"source": SOURCE, "record": 1, "error": {"code": code, "problems": [p.to_dict() for p in problems]}}
    return Response(dumps(body), status_code=status, media_type=JSON)


def _status(err: InputError) -> int:
    codes = {p.code for p in err.problems}
    if codes & _NOT_FOUND:
        return 404
    if codes & _UNAVAILABLE:
        return 503
    if codes <= _BROKEN_BODY:
        return 400
    return 422


class LicenseRoutes:
    """The ``/v1/licenses`` handlers of one service process (one :class:`Ledger`, opened on first use)."""

    def __init__(self, url: str | None, pool: ThreadPoolExecutor, record: Record | None, max_body: int) -> None:
        self.url = url
        self.pool = pool
        self.record = record
        self.max_body = max_body
        self._ledger: Ledger | None = None
        self._guard = threading.Lock()

    def ledger(self) -> Ledger:
        assert self.url is not None
        with self._guard:
            if self._ledger is None:
                self._ledger = Ledger(self.url)
            return self._ledger

    def close(self) -> None:
        with self._guard:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None

    async def _run(self, work: Callable[[], Response]) -> Response:
        if self.url is None:
            problem = Problem(
                Location(SOURCE, 0), "no-ledger", "this service has no licence ledger", help="serve --db URL"
            )
            return _problems(404, [problem])

        def guarded() -> Response:
            try:
                return work()
            except InputError as err:  # LedgerError included
                return _problems(_status(err), list(err.problems))

        return await asyncio.get_running_loop().run_in_executor(self.pool, guarded)

    def _moved(self, ledger: Ledger, moves: tuple[Movement, ...] | list[Movement]) -> list[dict[str, object]]:
        out = [m.to_dict() for m in moves]
        if self.record is not None:
            for m in out:
                self.record(ledger.id, m)
        return out

    async def _body(self, request: Request) -> bytes | Response:
        body = await request.body()
        if len(body) > self.max_body:
            return _problems(
                413, [Problem(Location(SOURCE, 1, 1), "too-large", f"the body is over {self.max_body} bytes")]
            )
        return body

    # -- routes ------------------------------------------------------------------------------------------------

    async def list(self, request: Request) -> Response:
        def work() -> Response:
            return Response(dumps([b.to_dict() for b in self.ledger().balances()]), media_type=JSON)

        return await self._run(work)

    async def show(self, request: Request) -> Response:
        license_id = str(request.path_params["license_id"])

        def work() -> Response:
            ledger = self.ledger()
            b = ledger.balance(license_id)
            body = {
                **b.to_dict(),
                "reservations": [r.to_dict() for r in ledger.reservations(license=license_id)],
                "movements": [m.to_dict() for m in ledger.movements(license=license_id)],
            }
            return Response(dumps(body), media_type=JSON)

        return await self._run(work)

    async def add(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        replace = request.query_params.get("replace", "false").lower() in ("true", "1", "yes")

        def work() -> Response:
            found = licenses_from_bytes(body, SOURCE)
            ledger = self.ledger()
            moves = ledger.add(found, replace=replace, source="POST /v1/licenses")
            return Response(dumps({"movements": self._moved(ledger, moves)}), media_type=JSON)

        return await self._run(work)

    async def consume(self, request: Request) -> Response:
        return await self._step(request, "consume")

    async def release(self, request: Request) -> Response:
        return await self._step(request, "release")

    async def expire(self, request: Request) -> Response:
        def work() -> Response:
            ledger = self.ledger()
            return self._result(ledger, ledger.expire())

        return await self._run(work)

    async def _step(self, request: Request, kind: str) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        try:
            data: Any = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return _problems(400, [Problem(Location(SOURCE, 1, 1), "json-syntax", f"the body is not JSON: {exc}")])
        tid = data.get("transaction_id") if isinstance(data, dict) else None
        lines = data.get("lines") if isinstance(data, dict) else None
        if not isinstance(tid, str) or not tid.strip():
            problem = Problem(Location(SOURCE, 1, 1), "missing-field", "`transaction_id` (a string) is required")
            return _problems(422, [problem])
        if lines is not None and not (
            isinstance(lines, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in lines)
        ):
            problem = Problem(Location(SOURCE, 1, 1), "invalid-value", "`lines` must be a list of line numbers (>= 1)")
            return _problems(422, [problem])

        def work() -> Response:
            ledger = self.ledger()
            step = ledger.consume if kind == "consume" else ledger.release
            return self._result(ledger, step(tid, lines or None))

        return await self._run(work)

    def _result(self, ledger: Ledger, result: StepResult) -> Response:
        body = {
            "movements": self._moved(ledger, result.movements),
            "refused": list(result.refused),
            "notes": list(result.notes),
        }
        return Response(dumps(body), status_code=409 if result.refused else 200, media_type=JSON)


def ledger_error_status(err: LedgerError) -> int:
    """The status of a ledger error met while checking (``POST /v1/check`` with ``--db``)."""
    return _status(err)


def openapi_paths(errors: Callable[..., dict[str, object]]) -> dict[str, object]:
    """The ``/v1/licenses`` part of ``/openapi.json`` (``errors``: the document's error responses)."""
    step = {
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": {
                        "type": "object",
                        "required": ["transaction_id"],
                        "properties": {
                            "transaction_id": {"type": "string"},
                            "lines": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {"description": "`{movements, refused, notes}`."},
            "409": {"description": "Something was refused (in `refused`); the other lines are done."},
        }
        | errors(400, 401, 404, 422, 503),
    }
    return {
        "/v1/licenses": {
            "get": {
                "summary": "Every licence in the ledger with its balance (`compliance licenses list --format json`)",
                "responses": {"200": {"description": "The balances, expiring first."}} | errors(401, 404, 503),
            },
            "post": {
                "summary": "Add licences (`compliance licenses add`); `?replace=true` amends",
                "requestBody": {"required": True, "content": {JSON: {"schema": {"type": ["object", "array"]}}}},
                "responses": {"200": {"description": "`{movements}`."}} | errors(400, 401, 404, 422, 503),
            },
        },
        "/v1/licenses/{license_id}": {
            "get": {
                "summary": "One licence: balance, reservations, movements (`compliance licenses show`)",
                "parameters": [{"name": "license_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The licence."}} | errors(401, 404, 503),
            }
        },
        "/v1/licenses/consume": {"post": {"summary": "The transaction shipped: reservations become shipments", **step}},
        "/v1/licenses/release": {"post": {"summary": "The order was cancelled: reservations are released", **step}},
        "/v1/licenses/expire": {
            "post": {
                "summary": "Record reservations past their time as expired",
                "responses": {"200": {"description": "`{movements}`."}} | errors(401, 404, 503),
            }
        },
    }
