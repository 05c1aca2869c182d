"""The service's audit log: the CLI's receipts, written by one writer whatever the number of workers.

Workers put ``(ReceiptInput, time of decision)`` on a queue; one thread in the serving process (the supervisor,
with ``--workers N``) appends them to the log in arrival order, so the hash chain has a single author. The log is
closed (sealed) on shutdown, after the queue is drained, and on rotation (SIGUSR1: seal the file, then continue in
a new one at the same path, after e.g. logrotate moved the old one away).

This is the one place the service touches :mod:`compliance.audit.receipts` (``AuditLog(path)``,
``append(receipt, now)``, ``close()``).
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from pathlib import Path
from typing import Protocol

from compliance.audit.receipts import AuditLog, ReceiptInput

__all__ = ["ROTATE", "STOP", "AuditWriter", "ReceiptQueue"]

# Control messages on the queue, beside (receipt, time) pairs.
ROTATE = "rotate"
STOP = "stop"


class ReceiptQueue(Protocol):
    """What the writer reads and the workers write: a ``queue.Queue`` or a ``multiprocessing`` queue."""

    def put(self, item: object) -> None: ...

    def get(self) -> object: ...


class AuditWriter:
    """The single writer: a thread that drains ``queue`` into the log at ``path``."""

    def __init__(self, path: str | Path, receipts: ReceiptQueue | None = None) -> None:
        self.path = Path(path)
        self.queue: ReceiptQueue = receipts if receipts is not None else queue.Queue()
        self.written = 0
        self.failure: BaseException | None = None
        self._log = AuditLog(self.path)  # opened here, so a broken chain stops start-up, not the first request
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)

    def start(self) -> AuditWriter:
        self._thread.start()
        return self

    def submit(self, receipt: ReceiptInput, now: dt.datetime) -> None:
        self.queue.put((receipt, now))

    def rotate(self) -> None:
        self.queue.put(ROTATE)

    def _run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item == STOP:
                    break
                if item == ROTATE:
                    self._log.close()
                    self._log = AuditLog(self.path)
                    continue
                assert isinstance(item, tuple)
                receipt: ReceiptInput = item[0]
                now: dt.datetime = item[1]
                self._log.append(receipt, now)
                self.written += 1
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
            self._log.close()
