"""One streaming pipeline: records in, one rendered result per record out, in input order.

The same step (:func:`check_item`) runs in this process or in worker processes: parse (a JSON Lines line
arrives as raw bytes and is parsed where it is evaluated), validate, decide, render in the requested
format, and prepare the audit receipt's content. Workers therefore share the expensive part; the parent
reads lines, writes results and keeps the audit chain (a single writer).

Memory stays bounded whatever the input size: records are read lazily and at most ``jobs * 4`` chunks are
in flight. Each worker builds its own :class:`Engine` from the parent's loaded pack set (an engine holds C
ruleset handles and is not picklable; a forked worker inherits the pack set without reading the YAML again);
the decisions are identical because packs and inputs are. A worker exits when its parent dies, so a killed
run leaves no orphans behind.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from compliance.audit.receipts import ReceiptInput, receipt_input
from compliance.errors import Location, Problem
from compliance.evaluate.engine import Engine
from compliance.io.readers import RawLine, parse_raw
from compliance.io.records import Record, validated
from compliance.io.writers import Format, render
from compliance.ledger.db import LedgerError
from compliance.ledger.determine import LedgerOptions, check_with_ledger
from compliance.ledger.store import Ledger
from compliance.packs.packset import PackSet
from compliance.screening.clearances import ClearanceBook

__all__ = ["CHUNK", "Result", "check_item", "check_items", "check_items_parallel", "close_ledgers"]

CHUNK = 256


@dataclass(frozen=True, slots=True)
class Result:
    """One output per input record: its outcome, what the writer prints, and the receipt content if audited.

    An error result (``outcome == "error"``) carries its problems; its receipt is written from them.
    """

    source: str
    record: int
    outcome: str  # allow | deny | review | error
    problems: tuple[Problem, ...]
    output: object  # str (text, jsonl, csv), or the JSON-ready data (json)
    receipt: ReceiptInput | None = None
    transaction_id: str | None = None
    # With the licence ledger: (ledger id, movement) for each change the check made (``--reserve``), written to
    # the audit log after the decision's receipt.
    movements: tuple[tuple[str, dict[str, object]], ...] = ()


# One ledger per process and URL (workers open their own; a ledger is not picklable); it keeps one connection
# per thread (the service decides on a thread pool).
_ledgers: dict[str, Ledger] = {}
_ledgers_guard = threading.Lock()


def _ledger(options: LedgerOptions) -> Ledger:
    with _ledgers_guard:
        ledger = _ledgers.get(options.url)
        if ledger is None:
            ledger = _ledgers[options.url] = Ledger(options.url, create=False)
        return ledger


def close_ledgers() -> None:
    with _ledgers_guard:
        while _ledgers:
            _ledgers.popitem()[1].close()


def check_item(
    engine: Engine,
    item: Record | RawLine,
    *,
    fmt: Format,
    as_of: dt.date | None = None,
    audit: bool = False,
    debug: bool = False,
    ledger: LedgerOptions | None = None,
) -> Result:
    """Parse (if raw), validate, decide and render one record; whatever happens, one result for it.

    An exception here is a defect in the engine, not in the record, but the batch must account for the
    record and go on: it becomes an ``internal-error`` record naming the exception (exit 2, never an allow).
    With ``debug`` the exception propagates instead (``compliance --debug``: the traceback).
    """
    try:
        record = validated(parse_raw(item) if isinstance(item, RawLine) else item)
        if record.transaction is None:
            return _error(record, fmt)
        movements: tuple[tuple[str, dict[str, object]], ...] = ()
        problems: tuple[Problem, ...] = ()
        if ledger is None:
            decision = engine.decide(record.transaction, as_of=as_of)
            receipt = receipt_input(record.transaction, decision) if audit else None
        else:
            # The ledger is read (and, with --reserve, drawn on) here; the engine gets the licences as values.
            checked = check_with_ledger(
                engine, record.transaction, _ledger(ledger), as_of=as_of, reserve=ledger.reserve, hold=ledger.hold
            )
            decision = checked.decision
            receipt = receipt_input(record.transaction, decision, ledger=checked.receipt()) if audit else None
            movements = tuple((checked.ledger_id, m.to_dict()) for m in checked.movements)
            where = Location(record.source, record.record, 1)
            problems = tuple(Problem(where, "ledger-note", note, level="warning") for note in checked.notes)
        output = render(record, decision, fmt)
    except LedgerError:
        raise  # the ledger cannot be opened or stayed busy: stop the run (nothing after it could draw either)
    except Exception as exc:  # the per-record boundary: report the record, keep the batch
        if debug:
            raise
        problem = Problem(
            Location(item.source, item.record, 1),
            "internal-error",
            f"internal error while checking this record: {type(exc).__name__}: {exc}; it was not decided",
            help="please report this with the record (rerun with --debug for the traceback); the other records "
            "were checked",
        )
        return _error(Record(item.source, item.record, None, (problem,), error_code="internal-error"), fmt)
    return Result(record.source, record.record, decision.decision, problems, output, receipt, movements=movements)


def _error(record: Record, fmt: Format) -> Result:
    return Result(
        record.source, record.record, "error", record.problems, render(record, None, fmt), None, record.transaction_id
    )


def check_items(
    engine: Engine,
    items: Iterable[Record | RawLine],
    *,
    fmt: Format,
    as_of: dt.date | None = None,
    audit: bool = False,
    debug: bool = False,
    ledger: LedgerOptions | None = None,
) -> Iterator[Result]:
    for item in items:
        yield check_item(engine, item, fmt=fmt, as_of=as_of, audit=audit, debug=debug, ledger=ledger)


# Worker-process state: one engine per worker process, built by the initializer.
_worker_engine: Engine | None = None


def _init_worker(packset: PackSet, backend: str, parent: int, clearances: ClearanceBook | None = None) -> None:
    global _worker_engine
    # 0: started by a fork server, whose death (it follows ours) is what the worker watches for.
    _exit_with_parent(parent or os.getppid())
    _worker_engine = Engine(packset, backend=backend, clearances=clearances)


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent is gone (killed, crashed) exits instead of waiting on its queue forever."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: the kernel kills us when the parent dies
        except (OSError, AttributeError):
            pass  # the watch thread below still covers it

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(0.5)

    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _work(
    chunk: list[Record | RawLine],
    fmt: Format,
    as_of: dt.date | None,
    audit: bool,
    debug: bool,
    ledger: LedgerOptions | None = None,
) -> list[Result]:
    assert _worker_engine is not None
    engine = _worker_engine
    return [check_item(engine, item, fmt=fmt, as_of=as_of, audit=audit, debug=debug, ledger=ledger) for item in chunk]


def _start_method() -> str:
    """``fork`` shares the loaded packs without pickling them, but forking a process that runs other threads can
    deadlock the child (Python 3.12+ warns): such a process starts its workers from a fork server instead."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def check_items_parallel(
    packset: PackSet,
    items: Iterable[Record | RawLine],
    *,
    jobs: int,
    fmt: Format,
    backend: str = "durable",
    as_of: dt.date | None = None,
    audit: bool = False,
    debug: bool = False,
    clearances: ClearanceBook | None = None,
    ledger: LedgerOptions | None = None,
) -> Iterator[Result]:
    """Evaluate in ``jobs`` worker processes; results come back in input order (each worker opens the ledger
    itself: its reservations are serialised by the database)."""
    method = _start_method()
    context = multiprocessing.get_context(method)
    iterator = iter(items)
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(packset, backend, os.getpid() if method != "forkserver" else 0, clearances),
    ) as pool:
        pending: deque[Future[list[Result]]] = deque()
        while True:
            while len(pending) < jobs * 4:
                chunk = list(islice(iterator, CHUNK))
                if not chunk:
                    break
                pending.append(pool.submit(_work, chunk, fmt, as_of, audit, debug, ledger))
            if not pending:
                return
            yield from pending.popleft().result()
