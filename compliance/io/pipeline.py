"""Evaluating streams of records, in this process or in worker processes, always in input order.

Memory stays bounded whatever the input size: records are read lazily and at most ``jobs * 4`` chunks are in
flight. Worker processes each build their own :class:`Engine` from the pack directories (an engine holds a C
ruleset handle and is not picklable); the decisions are identical because packs and inputs are.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from compliance.evaluate.engine import Engine
from compliance.io.readers import Record, validated
from compliance.io.render import decision_to_dict
from compliance.models.decision import Decision

__all__ = ["Result", "evaluate_records", "evaluate_records_parallel"]

CHUNK = 256


@dataclass(frozen=True, slots=True)
class Result:
    """One output per input record: a decision, or the record's error."""

    record: Record
    decision: dict[str, object] | None  # the Decision as JSON-ready data

    @property
    def outcome(self) -> str:
        return str(self.decision["decision"]) if self.decision else "error"


def evaluate_records(engine: Engine, records: Iterable[Record], *, as_of: dt.date | None = None) -> Iterator[Result]:
    for pending in records:
        record = validated(pending)
        if record.transaction is None:
            yield Result(record, None)
            continue
        decision: Decision = engine.evaluate(record.transaction, as_of=as_of)
        yield Result(record, decision_to_dict(decision))


# Worker-process state: one engine per worker process, built by the initializer.
_worker_engine: Engine | None = None


def _init_worker(roots: Sequence[str], backend: str) -> None:
    global _worker_engine
    _worker_engine = Engine.from_directory(*roots, backend=backend)


def _work(chunk: list[Record], as_of: dt.date | None, keep_input: bool) -> list[Result]:
    assert _worker_engine is not None
    results = evaluate_records(_worker_engine, chunk, as_of=as_of)
    if keep_input:
        return list(results)
    # The parent already has the records; sending transactions back would double the pickling cost.
    return [Result(Record(r.record.source, r.record.record, None, r.record.problems), r.decision) for r in results]


def evaluate_records_parallel(
    roots: Sequence[str],
    records: Iterable[Record],
    *,
    jobs: int,
    backend: str = "durable",
    as_of: dt.date | None = None,
    keep_input: bool = False,
) -> Iterator[Result]:
    """Evaluate in ``jobs`` worker processes; results come back in input order.

    With ``keep_input`` each result carries its transaction (needed for audit receipts); otherwise only the
    record's source, number and problems come back.
    """
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    iterator = iter(records)
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(tuple(roots), backend)
    ) as pool:
        pending: deque[Future[list[Result]]] = deque()
        while True:
            while len(pending) < jobs * 4:
                chunk = list(islice(iterator, CHUNK))
                if not chunk:
                    break
                pending.append(pool.submit(_work, chunk, as_of, keep_input))
            if not pending:
                return
            yield from pending.popleft().result()
