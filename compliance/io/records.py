"""One input record, whatever became of it: a transaction, or the problems that stopped it (with its place).

Shared by the readers (files, JSON Lines, stdin) and the CSV reader: the caps checked before validation, and
reading a byte stream in bounded lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, cast

from compliance.errors import InputError, Location, Problem
from compliance.evaluate.result import error_record
from compliance.intake import transaction_from_document
from compliance.models.transaction import Transaction
from compliance.source import RECORD_LIMITS, Document, Limits

__all__ = ["Record", "file_error", "make_record", "numbered_lines", "over_limits", "too_long", "validated"]


@dataclass(frozen=True, slots=True)
class Record:
    """One input record: where it came from and either a transaction or why it could not be read.

    A record read with ``validate=False`` carries its parsed ``document`` instead, to be validated later
    (in a worker process, where the cost is spread over the cores); :func:`validated` does that. Problems
    found while reading (a CSV date in the wrong format) travel with the document and are merged then.
    """

    source: str
    record: int  # 1-based line (JSONL), first row (CSV) or 1 (a whole file)
    transaction: Transaction | None
    problems: tuple[Problem, ...] = ()
    document: Document | None = None
    transaction_id: str | None = None  # when known although the record failed (a CSV row's id cell)
    error_code: str = "input-error"  # or "internal-error": the engine failed on this record

    def error_dict(self) -> dict[str, object]:
        return error_record(self.source, self.record, self.problems, self.error_code)


def validated(record: Record) -> Record:
    """The record with its document validated into a transaction (or into problems)."""
    if record.document is None:
        return record
    try:
        tx = transaction_from_document(record.document)
    except InputError as err:
        # A cell already reported while reading (a date in the wrong format) is not reported twice.
        known = {p.location for p in record.problems}
        extra = tuple(p for p in err.problems if p.location not in known)
        problems = tuple(sorted(record.problems + extra))
        return Record(record.source, record.record, None, problems, transaction_id=record.transaction_id)
    if record.problems:
        return Record(record.source, record.record, None, record.problems, transaction_id=record.transaction_id)
    return Record(record.source, record.record, tx)


def over_limits(doc: Document, limits: Limits) -> Problem | None:
    """A transaction too large to evaluate (caps on order lines, parties and licences), before validation."""
    if not isinstance(doc.data, dict):
        return None
    for key, cap in (("items", limits.max_items), ("parties", limits.max_parties), ("licenses", limits.max_licenses)):
        value = doc.data.get(key)
        if isinstance(value, list) and len(value) > cap:
            span = doc.spans.get((key, cap)) or doc.spans.get((key,))
            where = Location(doc.path, span[0] + doc.line_offset, span[1]) if span else doc.locate(())
            return Problem(
                where,
                "too-large",
                f"{key}: {len(value)} entries; the limit is {cap} per transaction; it was not evaluated",
                help="split the order into several transactions",
            )
    return None


def make_record(
    doc: Document, record: int, validate: bool = True, problems: tuple[Problem, ...] = (), tid: str | None = None
) -> Record:
    big = over_limits(doc, RECORD_LIMITS)
    if big is not None:
        return Record(doc.path, record, None, (*problems, big), transaction_id=tid)
    pending = Record(doc.path, record, None, problems, doc, tid)
    return validated(pending) if validate else pending


def numbered_lines(stream: IO[bytes] | IO[str] | Iterable[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, the line's bytes) for each ``\\n``-terminated line, reading at most ``max_bytes`` of a line
    at a time; a longer line is skipped to its end and given as None (an error record, not a full memory)."""
    readline = getattr(stream, "readline", None)
    if readline is None or isinstance(stream.read(0), str):  # type: ignore[union-attr]
        lines = cast("Iterable[bytes | str]", stream)
        for number, line in enumerate(lines, start=1):  # an iterable of lines, or a text stream
            data = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line
            yield number, (data if len(data) <= max_bytes + 1 else None)
        return
    number = 0
    while line := readline(max_bytes + 1):
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while (rest := readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, None
            continue
        yield number, line


def too_long(name: str, number: int, max_bytes: int) -> Problem:
    return Problem(
        Location(name, number, 1),
        "too-large",
        f"this line is longer than the limit of {max_bytes} bytes for one record; it was not read",
        help="a record this large is not one transaction; check the export",
    )


def file_error(name: str, line: int, code: str, message: str, help: str | None) -> Record:
    return Record(name, line, None, (Problem(Location(name, line, 1), code, message, help=help),))
