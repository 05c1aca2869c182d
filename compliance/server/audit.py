"""The service's audit log: the CLI's receipts, written by one writer whatever the number of workers.

Workers put what they decided on a queue (``Entry``: the request it came from, the record in it, and the
receipt content or the problems of an error record); one thread in the serving process (the supervisor, with
``--workers N``) appends them to the log in arrival order, so the hash chain has a single author. Each serving
period is one audit run (``start`` ... ``seal``, as for one ``compliance check``); the run is sealed on shutdown,
after the queue is drained, and on rotation (SIGUSR1: seal the file, then continue in a new one at the same
path, after e.g. logrotate moved the old one away). A crash leaves the run unsealed, which ``compliance audit
verify`` reports and ``compliance audit close`` seals as interrupted.

This is the one place the service touches :mod:`compliance.audit.receipts`.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from compliance.audit.keys import AuditKey
from compliance.audit.receipts import AuditLog, ReceiptInput, RunInfo, inspect_tail

__all__ = ["ROTATE", "STOP", "AuditWriter", "Entry", "MovementEntry", "ReceiptQueue"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One record the service answered: where it came from, and its receipt content or its error."""

    source: str  # e.g. "POST /v1/check 3f2a..." (the request), so receipts say which request they belong to
    record: int  # 1 for /v1/check; the line for /v1/check/batch
    receipt: ReceiptInput | None
    problems: tuple[dict[str, object], ...] = ()
    transaction_id: str | None = None
    movements: tuple[tuple[str, dict[str, object]], ...] = ()  # (ledger id, movement) the check made (reserve)


@dataclass(frozen=True, slots=True)
class MovementEntry:
    """A licence-ledger change made through ``/v1/licenses`` (not a record): a ``movement`` receipt."""

    ledger: str
    movement: dict[str, object]


# Control messages on the queue, beside (receipt, time) pairs.
ROTATE = "rotate"
STOP = "stop"


class ReceiptQueue(Protocol):
    """What the writer reads and the workers write: a ``queue.Queue`` or a ``multiprocessing`` queue."""

    def put(self, item: object) -> None: ...

    def get(self) -> object: ...


class AuditWriter:
    """The single writer: a thread that drains ``queue`` into the log at ``path``."""

    def __init__(
        self,
        path: str | Path,
        run: RunInfo,
        receipts: ReceiptQueue | None = None,
        *,
        key: AuditKey | None = None,
    ) -> None:
        self.path = Path(path)
        self.run = run
        self.key = key
        self.queue: ReceiptQueue = receipts if receipts is not None else queue.Queue()
        self.written = 0
        self.failure: BaseException | None = None
        self._log = self._open()  # opened here, so a broken chain stops start-up, not the first request
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)

    def _open(self) -> AuditLog:
        # A run a crash left unsealed cannot be resumed by a service (its requests are gone): seal it, marked
        # interrupted, and start a new run after it.
        if self.path.exists():
            with open(self.path, "rb") as stream:
                unsealed = inspect_tail(stream, self.path, self.key).run is not None
            if unsealed:
                AuditLog.close_run(self.path, key=self.key)
        return AuditLog(self.path, self.run, key=self.key)

    def start(self) -> AuditWriter:
        self._thread.start()
        return self

    def submit(self, entry: Entry | MovementEntry) -> None:
        self.queue.put(entry)

    def rotate(self) -> None:
        self.queue.put(ROTATE)

    def _run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item == STOP:
                    break
                if item == ROTATE:
                    self._log.seal()
                    self._log.close()
                    self._log = self._open()
                    continue
                if isinstance(item, MovementEntry):
                    self._log.add_movement(item.ledger, item.movement)
                    continue
                assert isinstance(item, Entry)
                if item.receipt is not None:
                    self._log.add_decision(item.source, item.record, item.receipt)
                    for ledger_id, movement in item.movements:
                        self._log.add_movement(ledger_id, movement)
                else:
                    self._log.add_error(item.source, item.record, list(item.problems), item.transaction_id)
                self.written += 1
                if _drained(self.queue):
                    self._log.flush()  # a service writes as it answers: on disk when it has caught up
            self._log.seal()
        except BaseException as exc:  # a full disk: record it; /healthz reports the writer as failed
            self.failure = exc
        finally:
            self._log.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and self.failure is None

    def close(self, timeout: float | None = 30.0) -> None:
        """Write what is queued, then seal the log."""
        if self._thread.is_alive():
            self.queue.put(STOP)
            self._thread.join(timeout)
        elif not self._thread.ident:  # never started
            self._log.seal()
            self._log.close()


def _drained(receipts: ReceiptQueue) -> bool:
    empty = getattr(receipts, "empty", None)
    return bool(empty()) if callable(empty) else True
