"""Output: one record rendered in each format (text, JSON, JSON Lines, CSV summary), the tally and progress."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from typing import IO, Literal

import orjson

from compliance.evaluate.values import DecisionValue, to_jsonable, to_model
from compliance.io.records import Record
from compliance.io.render import render_decision

__all__ = [
    "CSV_SUMMARY_COLUMNS",
    "FORMULA_START",
    "Format",
    "Progress",
    "Tally",
    "csv_header",
    "csv_row",
    "dumps",
    "jsonl_line",
    "neutralise",
    "render",
]

Format = Literal["text", "json", "jsonl", "csv", "html"]

CSV_SUMMARY_COLUMNS = (
    "source",
    "record",
    "transaction_id",
    "decision",
    "as_of",
    "deny_rules",
    "review_rules",
    "licenses",
    "error",
    "notices",  # added last (issue 17): `code:pack` of each notice, `;`-separated
)


def render(record: Record, decision: DecisionValue | None, fmt: Format) -> object:
    """What the writer prints for one record: a string (text, jsonl, csv) or the JSON-ready data (json)."""
    if fmt == "jsonl":
        return jsonl_line(record, decision)
    if fmt == "csv":
        return csv_row(record, decision)
    if fmt == "json":
        return to_jsonable(decision) if decision is not None else record.error_dict()
    if fmt == "html":  # collected, then rendered as one case file (compliance/io/html.py)
        if decision is None:
            return {"source": record.source, "record": record.record, "problems": [p.render() for p in record.problems]}
        return {"source": record.source, "record": record.record, "decision": to_model(decision)}
    if decision is None:
        return ""  # a bad record's problems go to stderr; text output has nothing to add
    return render_decision(to_model(decision), record.source) + "\n"


def jsonl_line(record: Record, decision: DecisionValue | None) -> str:
    if decision is None:
        return dumps(record.error_dict())
    return dumps({**to_jsonable(decision), "source": record.source, "record": record.record})


# A spreadsheet reads a cell that begins with one of these as a formula (OWASP "CSV Injection": = + - @ tab
# CR; OWASP ASVS 5.0 requirement 1.2.10 adds NUL): such a cell is written with a leading `'`, which
# spreadsheets take as "text" and do not show. Only the CSV output changes; JSON Lines and JSON stay exact.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise(cell: object) -> object:
    """The cell as a spreadsheet must see it: text starting with a formula character gets a leading quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


class _SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`neutralise`: the one way this tool writes CSV."""

    def __init__(self, stream: IO[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")

    def writerow(self, cells: list[object]) -> None:
        self._writer.writerow([neutralise(c) for c in cells])


def csv_header() -> str:
    return ",".join(CSV_SUMMARY_COLUMNS)


def csv_row(record: Record, d: DecisionValue | None) -> str:
    buffer = io.StringIO()
    writer = _SafeWriter(buffer)
    if d is None:
        problems = "; ".join(f"{p.location}: {p.code} {p.message}" for p in record.problems)
        writer.writerow(
            [record.source, record.record, record.transaction_id or "", "error", "", "", "", "", problems, ""]
        )
    else:
        by = {k: sorted({f.rule_id for f in d.findings if f.outcome == k}) for k in ("deny", "review")}
        licenses = sorted({f.license for f in d.findings if f.license})
        writer.writerow(
            [
                record.source,
                record.record,
                d.transaction_id,
                d.decision,
                d.as_of.isoformat(),
                ";".join(by["deny"]),
                ";".join(by["review"]),
                ";".join(licenses),
                "",
                ";".join(f"{n.code}:{n.pack}" for n in d.notices),
            ]
        )
    return buffer.getvalue().rstrip("\n")


class Tally:
    """Counts every record by outcome; the batch's input count equals ``total``."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, outcome: str) -> None:
        self.counts[outcome] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        parts = ", ".join(f"{self.counts[k]} {k}" for k in ("allow", "deny", "review", "error"))
        return f"{self.total} record(s): {parts}"


class Progress:
    """A one-line progress display with rate (and ETA when the input size is known), for terminals only."""

    def __init__(self, stream: IO[str], total_bytes: int | None = None, every: float = 0.25) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.last = 0.0
        self.every = every
        self.total_bytes = total_bytes

    def update(self, count: int, done_bytes: int | None = None) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        text = f"\r{count} records  {count / elapsed:,.0f}/s"
        if self.total_bytes and done_bytes:
            fraction = min(done_bytes / self.total_bytes, 1.0)
            if fraction > 0:
                text += f"  ETA {max(elapsed / fraction - elapsed, 0):.0f}s"
        self.stream.write(text)
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def dumps(data: object, *, indent: bool = False) -> str:
    """JSON as ``json.dumps(..., ensure_ascii=False)`` writes it (compact, or indented by 2), byte for byte.

    orjson writes the same bytes several times faster; what it refuses (a lone surrogate that a JSON input's
    ``\\ud800`` escape can carry, an integer beyond 64 bits) falls back to the standard library.
    """
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 if indent else 0).decode()
    except (TypeError, orjson.JSONEncodeError):
        if indent:
            return json.dumps(data, indent=2, ensure_ascii=False)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
