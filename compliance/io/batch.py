"""Writing one batch: results in input order to the output, problems to a callback, a receipt per record to
the audit log, a tally; the run's seal at the end. The ``check`` command's loop, kept out of ``cli.py``.

A run that stops early (the reader closed the output, Ctrl-C, a crash) leaves its log unsealed, so that
``audit verify`` says so and a rerun resumes it; only a run that wrote every record is sealed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from compliance.audit.receipts import AuditLog
from compliance.errors import Problem
from compliance.io.pipeline import Result
from compliance.io.writers import Format, Progress, Tally, csv_header

__all__ = ["BatchOutput", "write_batch"]


@dataclass
class BatchOutput:
    tally: Tally = field(default_factory=Tally)
    collected: list[object] = field(default_factory=list)  # --format json: every result, for one array
    head: str | None = None  # the seal's hash, when audited


def write_batch(
    results: Iterable[Result],
    *,
    fmt: Format,
    out: IO[str],
    report: Callable[[Problem], None],
    log: AuditLog | None = None,
    progress: Progress | None = None,
) -> BatchOutput:
    batch = BatchOutput()
    if fmt == "csv":
        out.write(csv_header() + "\n")
    try:
        for result in results:
            if log is not None:  # first: a resumed run refuses a record that does not match before printing it
                if result.receipt is not None:
                    before = log.prev
                    log.add_decision(result.source, result.record, result.receipt)
                    if fmt == "html" and isinstance(result.output, dict) and log.prev != before:
                        result.output["receipt"] = log.prev  # this record's receipt, for the case file
                    for ledger_id, movement in result.movements:  # what the check drew on the licence ledger
                        log.add_movement(ledger_id, movement)
                else:
                    problems = [p.to_dict() for p in result.problems]
                    log.add_error(result.source, result.record, problems, result.transaction_id)
            batch.tally.add(result.outcome)
            for problem in result.problems:
                report(problem)
            if fmt in ("json", "html"):
                batch.collected.append(result.output)
            elif result.output:
                out.write(f"{result.output}\n")  # buffered: one flush per buffer, not per record
            if progress is not None:
                progress.update(batch.tally.total)
        out.flush()
        if log is not None:
            batch.head = log.seal()
    finally:
        if log is not None:
            log.close()  # before the output's flush, which raises when its reader has gone (`| head`)
        if progress is not None:
            progress.done()
        out.flush()
    return batch
