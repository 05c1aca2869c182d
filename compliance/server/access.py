"""The structured access log: one JSON object per line per request (and per reload), for log shippers.

``{"ts", "event": "request", "method", "path", "status", "ms", "bytes", "client", "decision", "request_id"}``;
``decision`` is the ``X-Compliance-Decision`` of a single check, ``request_id`` the caller's ``X-Request-Id``.
Tokens and bodies are never logged.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import MutableMapping
from typing import IO, Any

__all__ = ["AccessLog"]


class AccessLog:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def _write(self, entry: dict[str, object]) -> None:
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a closed log stream must not fail the request it describes

    def request(
        self, scope: MutableMapping[str, Any], status: int, seconds: float, sent: int, decision: str | None = None
    ) -> None:
        headers = dict(scope.get("headers", ()))
        client = scope.get("client")
        request_id = headers.get(b"x-request-id")
        self._write(
            {
                "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "event": "request",
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "ms": round(seconds * 1000, 3),
                "bytes": sent,
                "client": f"{client[0]}:{client[1]}" if client else None,
                "decision": decision,
                "request_id": request_id.decode("latin-1")[:200] if request_id else None,
            }
        )

    def event(self, name: str, **fields: object) -> None:
        self._write({"ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "event": name, **fields})
