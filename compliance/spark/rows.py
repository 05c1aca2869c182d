"""One Arrow batch of DataFrame rows in, the same rows with their results out: what runs inside a Spark task.

A row is a record exactly as a JSON Lines line is: its value goes through the CLI's own step
(:func:`compliance.io.pipeline.check_item`: parse, validate, decide, render ``--format jsonl``) under the number
the row has in the DataFrame, so ``decision_json`` is byte for byte the line ``compliance check rows.jsonl
--format jsonl`` prints for it. Two things a file cannot hold are error rows here, never dropped: a null value
and a blank one (``empty-record``; the CLI skips a blank line, which is not a record, but a row is always
reported). A value over the record size cap is the CLI's ``too-large`` error.

Record numbers: the driver counts the rows of each partition first (:class:`Numbering`); a task numbers its rows
from its partition's offset, and fails (:class:`RowCountChanged`) if the partition no longer holds the rows it
held when counted, since the numbers would then be wrong. Nothing here imports Spark; pyarrow is imported where
batches are built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from compliance.authoring.diff import compare
from compliance.errors import Location, Problem
from compliance.evaluate.engine import Engine
from compliance.evaluate.values import DecisionValue, to_model
from compliance.io.pipeline import check_item
from compliance.io.readers import RawLine, parse_raw
from compliance.io.records import Record, too_long, validated
from compliance.io.writers import jsonl_line
from compliance.source import RECORD_LIMITS

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CHECK_COLUMNS",
    "DIFF_COLUMNS",
    "DiffRow",
    "Numbering",
    "RowCountChanged",
    "check_batches",
    "check_value",
    "diff_batches",
    "diff_value",
    "row_item",
]

Value = str | bytes | None

# The columns check() adds, and those diff() adds, in order.
CHECK_COLUMNS = ("decision", "decision_json", "error")
DIFF_COLUMNS = (
    "record",
    "transaction_id",
    "old_decision",
    "new_decision",
    "decision_changed",
    "findings",
    "old_decision_json",
    "new_decision_json",
    "error",
)


class RowCountChanged(RuntimeError):
    """A partition holds other rows than when it was counted: its record numbers would be wrong, so it stops."""


@dataclass(frozen=True, slots=True)
class Numbering:
    """Rows per partition when counted, and the record number before each partition's first row."""

    counts: dict[int, int]
    offsets: dict[int, int]

    @classmethod
    def of(cls, counts: dict[int, int]) -> Numbering:
        offsets, total = {}, 0
        for partition in sorted(counts):
            offsets[partition] = total
            total += counts[partition]
        return cls(dict(counts), offsets)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def numbers(self, partition: int) -> _Numbers:
        return _Numbers(partition, self.offsets.get(partition, 0), self.counts.get(partition, 0))


class _Numbers:
    """The record numbers of one partition's rows, checked against the count."""

    def __init__(self, partition: int, offset: int, expected: int) -> None:
        self.partition, self.offset, self.expected, self.seen = partition, offset, expected, 0

    def take(self, n: int) -> range:
        start = self.offset + self.seen + 1
        self.seen += n
        if self.seen > self.expected:
            self._changed()
        return range(start, start + n)

    def close(self) -> None:
        if self.seen != self.expected:
            self._changed()

    def _changed(self) -> None:
        raise RowCountChanged(
            f"partition {self.partition} of the DataFrame held {self.expected} row(s) when its rows were numbered "
            f"and {'more' if self.seen > self.expected else self.seen} now: its rows are not deterministic, so "
            "their record numbers would not be; persist or checkpoint the DataFrame, or write it to a table, "
            "before checking it"
        )


def _empty(source: str, number: int, message: str) -> Record:
    problem = Problem(
        Location(source, number, 1),
        "empty-record",
        message,
        help="every row is a record: put the transaction's JSON in the column, or filter the row out before checking",
    )
    return Record(source, number, None, (problem,))


def row_item(value: Value, source: str, number: int, column: str) -> Record | RawLine:
    """What the CLI would read for this row as line ``number`` of a JSON Lines file (an error record if none)."""
    if value is None:
        return _empty(source, number, f"the column `{column}` is null: this row holds no transaction")
    # A str from Arrow is valid UTF-8; one built in Python may hold a lone surrogate, which is then the CLI's
    # encoding error (the bytes are not UTF-8), not a crash.
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else bytes(value)
    if not data.strip():
        return _empty(source, number, f"the column `{column}` is blank: this row holds no transaction")
    if len(data) > RECORD_LIMITS.max_bytes:
        return Record(source, number, None, (too_long(source, number, RECORD_LIMITS.max_bytes),))
    return RawLine(source, number, data + b"\n")  # as a line of a file: the newline is part of what is parsed


@dataclass(frozen=True, slots=True)
class Checked:
    decision: str  # allow | deny | review | error
    decision_json: str  # the CLI's --format jsonl line
    error: str | None  # the error record (the same line) when the row could not be decided


def check_value(engine: Engine, value: Value, source: str, number: int, column: str, as_of: dt.date | None) -> Checked:
    result = check_item(engine, row_item(value, source, number, column), fmt="jsonl", as_of=as_of)
    line = str(result.output)
    return Checked(result.outcome, line, line if result.outcome == "error" else None)


# ---------------------------------------------------------------------------------------------- diff


@dataclass(frozen=True, slots=True)
class DiffRow:
    """A row whose outcome under the new packs differs from the old (or that could not be compared: an error)."""

    record: int
    transaction_id: str | None
    old: str
    new: str
    findings: tuple[dict[str, object], ...]  # each FindingChange: rule_id, line, party, change, old, new
    old_json: str
    new_json: str
    error: str | None


def _decide(engine: Engine, record: Record, as_of: dt.date | None) -> DecisionValue | Record:
    """The decision, or the internal-error record in its place (the boundary of ``check_item``, same words)."""
    assert record.transaction is not None
    try:
        return engine.decide(record.transaction, as_of=as_of)
    except Exception as exc:  # the per-record boundary: report the record, keep the batch
        problem = Problem(
            Location(record.source, record.record, 1),
            "internal-error",
            f"internal error while checking this record: {type(exc).__name__}: {exc}; it was not decided",
            help="please report this with the record (rerun with --debug for the traceback); the other records "
            "were checked",
        )
        return Record(record.source, record.record, None, (problem,), error_code="internal-error")


def _outcome(record: Record, value: DecisionValue | Record) -> tuple[str, str]:
    if isinstance(value, Record):
        return "error", jsonl_line(value, None)
    return value.decision, jsonl_line(record, value)


def diff_value(
    old: Engine, new: Engine, value: Value, source: str, number: int, column: str, as_of: dt.date | None
) -> DiffRow | None:
    """The change one row sees between two pack sets (``compliance diff``'s comparison), ``None`` if nothing changed.

    A row that cannot be read is returned as an error under both (the impact of a pack change on it is unknown);
    one the engine failed on under one pack set only is a change to or from ``error``.
    """
    item = row_item(value, source, number, column)
    record = validated(parse_raw(item) if isinstance(item, RawLine) else item)
    if record.transaction is None:
        line = jsonl_line(record, None)
        return DiffRow(number, record.transaction_id, "error", "error", (), line, line, line)
    before, after = _decide(old, record, as_of), _decide(new, record, as_of)
    tid = record.transaction.id
    (old_outcome, old_json), (new_outcome, new_json) = _outcome(record, before), _outcome(record, after)
    if isinstance(before, DecisionValue) and isinstance(after, DecisionValue):
        change = compare(source, to_model(before), to_model(after))
        if change is None:
            return None
        findings: tuple[dict[str, object], ...] = tuple(
            {"rule_id": f.rule_id, "line": f.line, "party": f.party, "change": f.kind, "old": f.old, "new": f.new}
            for f in change.findings
        )
        return DiffRow(number, tid, change.old, change.new, findings, old_json, new_json, None)
    error = new_json if new_outcome == "error" else old_json
    return DiffRow(number, tid, old_outcome, new_outcome, (), old_json, new_json, error)


# ---------------------------------------------------------------------------------------------- batches


def _values(batch: pa.RecordBatch, field: str) -> list[Value]:
    """The raw bytes of each row's value. A Spark string is whatever bytes the source held (``spark.read.text`` of
    a file with a bad byte): decoding the column here would fail the whole task on one row, so it is read as
    binary and each row is decoded on its own, as the CLI decodes each line (an ``encoding`` error record)."""
    import pyarrow as pa

    column = batch.column(batch.schema.get_field_index(field))
    if pa.types.is_string(column.type):
        column = column.cast(pa.binary())
    elif pa.types.is_large_string(column.type):
        column = column.cast(pa.large_binary())
    return column.to_pylist()  # type: ignore[no-any-return]


def _kept(batch: pa.RecordBatch, drop: str | None) -> tuple[list[pa.Array], list[str]]:
    names = [n for n in batch.schema.names if n != drop]
    return [batch.column(batch.schema.get_field_index(n)) for n in names], names


def check_batches(
    batches: Iterator[pa.RecordBatch],
    engine: Callable[[], Engine],
    numbers: Numbering,
    partition: int,
    *,
    field: str,
    column: str,
    drop: str | None,
    source: str,
    as_of: dt.date | None,
) -> Iterator[pa.RecordBatch]:
    """Each batch with ``decision``, ``decision_json`` and ``error`` appended (``drop``, a helper column, removed)."""
    import pyarrow as pa

    counter = numbers.numbers(partition)
    checker: Engine | None = None
    for batch in batches:
        values = _values(batch, field)
        if not values:
            continue
        checker = checker or engine()  # built (once per worker) only when a partition has rows
        numbered = zip(values, counter.take(len(values)), strict=True)
        results = [check_value(checker, v, source, n, column, as_of) for v, n in numbered]
        arrays, names = _kept(batch, drop)
        arrays += [
            pa.array([r.decision for r in results], pa.string()),
            pa.array([r.decision_json for r in results], pa.string()),
            pa.array([r.error for r in results], pa.string()),
        ]
        yield pa.RecordBatch.from_arrays(arrays, names=[*names, *CHECK_COLUMNS])
    counter.close()


def finding_type() -> pa.DataType:
    import pyarrow as pa

    return pa.list_(
        pa.struct(
            [
                ("rule_id", pa.string()),
                ("line", pa.int32()),
                ("party", pa.string()),
                ("change", pa.string()),
                ("old", pa.string()),
                ("new", pa.string()),
            ]
        )
    )


def diff_batches(
    batches: Iterator[pa.RecordBatch],
    engines: Callable[[], tuple[Engine, Engine]],
    numbers: Numbering,
    partition: int,
    *,
    field: str,
    column: str,
    drop: str | None,
    source: str,
    as_of: dt.date | None,
) -> Iterator[pa.RecordBatch]:
    """The rows of each batch that changed between the two pack sets (or are errors), with what changed."""
    import pyarrow as pa

    counter = numbers.numbers(partition)
    pair: tuple[Engine, Engine] | None = None
    for batch in batches:
        values = _values(batch, field)
        if not values:
            continue
        pair = pair or engines()
        rows: list[tuple[int, DiffRow]] = []
        for i, (value, number) in enumerate(zip(values, counter.take(len(values)), strict=True)):
            row = diff_value(pair[0], pair[1], value, source, number, column, as_of)
            if row is not None:
                rows.append((i, row))
        if not rows:
            continue
        arrays, names = _kept(batch.take(pa.array([i for i, _r in rows], pa.int64())), drop)
        changed: Sequence[DiffRow] = [r for _i, r in rows]
        arrays += [
            pa.array([r.record for r in changed], pa.int64()),
            pa.array([r.transaction_id for r in changed], pa.string()),
            pa.array([r.old for r in changed], pa.string()),
            pa.array([r.new for r in changed], pa.string()),
            pa.array([r.old != r.new for r in changed], pa.bool_()),
            pa.array([list(r.findings) for r in changed], finding_type()),
            pa.array([r.old_json for r in changed], pa.string()),
            pa.array([r.new_json for r in changed], pa.string()),
            pa.array([r.error for r in changed], pa.string()),
        ]
        yield pa.RecordBatch.from_arrays(arrays, names=[*names, *DIFF_COLUMNS])
    counter.close()
