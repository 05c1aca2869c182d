"""Prometheus metrics for the service, in shared memory so that every worker process counts into one set.

The label sets are fixed (the endpoints, a few status codes, the four outcomes), so the counters are a flat
array of doubles created before the workers start; any worker's ``GET /metrics`` shows the whole service.
Pack versions are the answering worker's (every worker reloads on the same signal).
"""

from __future__ import annotations

import array
import threading
from collections.abc import Iterable, MutableSequence, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

__all__ = ["BUCKETS", "ENDPOINTS", "OUTCOMES", "Metrics", "PackInfo"]

ENDPOINTS = (
    "/v1/check",
    "/v1/check/batch",
    "/v1/packs",
    "/v1/reload",
    "/healthz",
    "/metrics",
    "/openapi.json",
    "other",
)
STATUSES = (200, 400, 401, 404, 405, 413, 422, 500, 503)
OUTCOMES = ("allow", "deny", "review", "error")
RELOADS = ("ok", "failed")
# Seconds; the targets are p50 < 2 ms and p99 < 10 ms for /v1/check.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TIMED = ("/v1/check", "/v1/check/batch")


@dataclass(frozen=True, slots=True)
class PackInfo:
    id: str
    version: str
    sha256: str


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Counters and histograms in one flat array: shared memory given a multiprocessing ``context`` (workers),
    else this process's memory; updated from any thread."""

    def __init__(self, context: Any = None) -> None:
        self._requests = len(ENDPOINTS) * (len(STATUSES) + 1)
        self._decisions = self._requests
        self._reloads = self._decisions + len(OUTCOMES)
        self._hist = self._reloads + len(RELOADS)
        per_hist = len(BUCKETS) + 2  # buckets, sum, count
        size = self._hist + len(TIMED) * per_hist
        self._lock: AbstractContextManager[Any]
        self._values: MutableSequence[float]
        if context is None:
            self._values, self._lock = array.array("d", bytes(8 * size)), threading.Lock()
        else:
            shared = context.Array("d", size)
            self._values, self._lock = shared, shared.get_lock()

    def _status_index(self, status: int) -> int:
        return STATUSES.index(status) if status in STATUSES else len(STATUSES)

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        e = ENDPOINTS.index(endpoint) if endpoint in ENDPOINTS else len(ENDPOINTS) - 1
        with self._lock:
            values = self._values
            values[e * (len(STATUSES) + 1) + self._status_index(status)] += 1
            if endpoint in TIMED:
                base = self._hist + TIMED.index(endpoint) * (len(BUCKETS) + 2)
                for i, bound in enumerate(BUCKETS):
                    if seconds <= bound:
                        values[base + i] += 1
                values[base + len(BUCKETS)] += seconds
                values[base + len(BUCKETS) + 1] += 1

    def decisions(self, outcomes: Iterable[str]) -> None:
        counts = [0] * len(OUTCOMES)
        for outcome in outcomes:
            counts[OUTCOMES.index(outcome) if outcome in OUTCOMES else OUTCOMES.index("error")] += 1
        with self._lock:
            for i, n in enumerate(counts):
                if n:
                    self._values[self._decisions + i] += n

    def reload(self, ok: bool) -> None:
        with self._lock:
            self._values[self._reloads + (0 if ok else 1)] += 1

    def render(self, packs: Sequence[PackInfo], loaded_at: float) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        with self._lock:
            values = [self._values[i] for i in range(len(self._values))]
        out = [
            "# HELP compliance_requests_total HTTP requests answered, by endpoint and status code.",
            "# TYPE compliance_requests_total counter",
        ]
        for e, endpoint in enumerate(ENDPOINTS):
            for s, status in enumerate((*STATUSES, "other")):
                n = values[e * (len(STATUSES) + 1) + s]
                if n:
                    out.append(f'compliance_requests_total{{endpoint="{endpoint}",code="{status}"}} {n:g}')
        out += [
            "# HELP compliance_decisions_total Records decided (allow, deny, review) or refused as input errors.",
            "# TYPE compliance_decisions_total counter",
        ]
        out += [
            f'compliance_decisions_total{{decision="{o}"}} {values[self._decisions + i]:g}'
            for i, o in enumerate(OUTCOMES)
        ]
        out += [
            "# HELP compliance_reloads_total Pack reloads, by result (a failed reload keeps the packs in use).",
            "# TYPE compliance_reloads_total counter",
        ]
        out += [
            f'compliance_reloads_total{{result="{r}"}} {values[self._reloads + i]:g}' for i, r in enumerate(RELOADS)
        ]
        out += [
            "# HELP compliance_request_duration_seconds Time from request to response (whole body, for a batch).",
            "# TYPE compliance_request_duration_seconds histogram",
        ]
        for t, endpoint in enumerate(TIMED):
            base = self._hist + t * (len(BUCKETS) + 2)
            for i, bound in enumerate(BUCKETS):
                out.append(
                    f'compliance_request_duration_seconds_bucket{{endpoint="{endpoint}",le="{bound:g}"}} {values[base + i]:g}'
                )
            count = values[base + len(BUCKETS) + 1]
            out.append(f'compliance_request_duration_seconds_bucket{{endpoint="{endpoint}",le="+Inf"}} {count:g}')
            out.append(
                f'compliance_request_duration_seconds_sum{{endpoint="{endpoint}"}} {values[base + len(BUCKETS)]:.6f}'
            )
            out.append(f'compliance_request_duration_seconds_count{{endpoint="{endpoint}"}} {count:g}')
        out += [
            "# HELP compliance_pack_info The rule packs in use (value 1), with version and content hash.",
            "# TYPE compliance_pack_info gauge",
        ]
        out += [
            f'compliance_pack_info{{pack="{_label(p.id)}",version="{_label(p.version)}",sha256="{p.sha256}"}} 1'
            for p in packs
        ]
        out += [
            "# HELP compliance_packs_loaded_timestamp_seconds When the packs in use were loaded (Unix time).",
            "# TYPE compliance_packs_loaded_timestamp_seconds gauge",
            f"compliance_packs_loaded_timestamp_seconds {loaded_at:.3f}",
        ]
        return "\n".join(out) + "\n"
