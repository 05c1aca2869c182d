"""Batch input: many transactions from files, directories, JSON Lines, CSV or stdin, streamed one record at a time.

Every record the user gave comes out as exactly one :class:`Record`: a transaction, or the problems that
stopped it. Nothing is skipped silently; input count = output count, whatever a record holds (a bad byte, a
number too long to convert, a cell over the CSV field limit, an unterminated quote, a line of any length).
Every source, standard input included, is read in bounded pieces: a record (a file, a JSON Lines line, the
rows of a CSV transaction) is capped at ``RECORD_LIMITS.max_bytes`` and at ``max_items`` order lines,
``max_parties`` parties and ``max_licenses`` licences; over a cap, it is an error record, located. Standard
input is sniffed (JSON Lines, JSON, YAML or CSV) unless ``--input-format`` says. CSV: :mod:`compliance.io.csv_input`.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from compliance.errors import InputError, Location, Problem
from compliance.io.csv_input import CSV_COLUMNS, CsvColumn, CsvMap, csv_options, load_csv_map, read_csv
from compliance.io.csv_rows import detect_delimiter, split_cells
from compliance.io.records import Record, file_error, make_record, numbered_lines, too_long, validated
from compliance.source import RECORD_LIMITS, Document, load_document, parse_bytes, parse_text

__all__ = [
    "CSV_COLUMNS",
    "STDIN",
    "CsvColumn",
    "CsvMap",
    "InputFormat",
    "RawLine",
    "Record",
    "csv_options",
    "load_csv_map",
    "parse_raw",
    "raw_lines",
    "read_csv",
    "read_items",
    "read_jsonl",
    "read_sources",
    "validated",
]

InputFormat = Literal["auto", "yaml", "json", "jsonl", "csv"]


@dataclass(frozen=True, slots=True)
class RawLine:
    """One JSON Lines record as read, not yet decoded: parsed where it is evaluated (a worker, with --jobs)."""

    source: str
    record: int  # 1-based line number
    data: bytes


def parse_raw(raw: RawLine, validate: bool = True) -> Record:
    """The record one JSON Lines line holds; a line that is not UTF-8 or not JSON is an error record."""
    name, number = raw.source, raw.record
    data = raw.data[3:] if number == 1 and raw.data.startswith(b"\xef\xbb\xbf") else raw.data  # a BOM
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem(
            Location(name, number, len(data[: exc.start].decode("utf-8", "replace")) + 1),
            "encoding",
            "this line is not valid UTF-8 text",
            help="export the file as UTF-8; the other lines were read",
        )
        return Record(name, number, None, (problem,))
    try:
        doc = parse_text(text, name, fmt="json")
    except InputError as err:
        problems = tuple(
            Problem(Location(name, number, p.location.col), p.code, p.message, help=p.help) for p in err.problems
        )
        return Record(name, number, None, problems)
    return make_record(Document(name, doc.data, text=text, line_offset=number - 1), number, validate)


def raw_lines(stream: IO[bytes] | Iterable[bytes], name: str) -> Iterator[RawLine | Record]:
    """Each non-blank line of a JSON Lines byte stream, bounded in length. Lines end at ``\\n`` only: a stray
    ``\\r`` inside a record is whitespace to JSON, not a record boundary, and a bad byte spoils its own line
    alone. A line over the record size limit is an error :class:`Record` in its place."""
    cap = RECORD_LIMITS.max_bytes
    for number, line in numbered_lines(stream, cap):
        if line is None:
            yield Record(name, number, None, (too_long(name, number, cap),))
        elif line.strip():  # blank lines are not records
            yield RawLine(name, number, line)


def read_jsonl(stream: IO[bytes] | IO[str], name: str, validate: bool = True) -> Iterator[Record]:
    for raw in raw_lines(stream, name):  # type: ignore[arg-type]
        yield raw if isinstance(raw, Record) else parse_raw(raw, validate)


# ---------------------------------------------------------------------------------------------- sources


def _detect(path: str, fmt: InputFormat) -> str:
    if fmt != "auto":
        return fmt
    suffix = Path(path).suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "json"}.get(suffix, "yaml")


def read_sources(
    sources: Iterable[str],
    *,
    fmt: InputFormat = "auto",
    stdin: IO[bytes] | None = None,
    csv_map: CsvMap | Mapping[str, str] | None = None,
    validate: bool = True,
) -> Iterator[Record]:
    """Stream records from paths, directories (their *.yaml, *.yml, *.json, *.jsonl, *.csv) or ``-`` (stdin)."""
    for item in read_items(sources, fmt=fmt, stdin=stdin, csv_map=csv_map, validate=validate):
        yield item if isinstance(item, Record) else parse_raw(item, validate)


def read_items(
    sources: Iterable[str],
    *,
    fmt: InputFormat = "auto",
    stdin: IO[bytes] | None = None,
    csv_map: CsvMap | Mapping[str, str] | None = None,
    validate: bool = True,
) -> Iterator[Record | RawLine]:
    """Like :func:`read_sources`, but JSON Lines come as undecoded :class:`RawLine` (parsed by the consumer)."""
    cmap = CsvMap.of(csv_map)
    for source in sources:
        if source == "-":
            if stdin is None:
                yield Record(
                    "<stdin>", 1, None, (Problem(Location("<stdin>"), "no-stdin", "standard input is not available"),)
                )
                continue
            yield from _read_stdin(stdin, fmt, cmap, validate)
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json", ".jsonl", ".ndjson", ".csv")
            )
            yield from read_items([str(p) for p in files], fmt=fmt, csv_map=cmap, stdin=stdin, validate=validate)
            continue
        kind = _detect(source, fmt)
        if kind in ("jsonl", "csv"):
            try:
                with open(path, "rb") as stream:
                    yield from _read_stream(stream, source, kind, cmap, validate)
            except OSError as exc:
                yield file_error(source, 1, "unreadable", f"cannot read file: {exc.strerror or exc}", None)
            continue
        try:
            doc = load_document(path, limits=RECORD_LIMITS, display=source)
        except InputError as err:
            yield Record(source, 1, None, err.problems)
            continue
        yield make_record(doc, 1, validate)


def _read_stream(stream: IO[bytes], name: str, kind: str, cmap: CsvMap, validate: bool) -> Iterator[Record | RawLine]:
    if kind == "jsonl":
        yield from raw_lines(stream, name)
    elif kind == "csv":
        yield from read_csv(stream, name, cmap, validate)
    else:
        raw = stream.read(RECORD_LIMITS.max_bytes + 1)  # bounded: standard input may be endless
        try:
            doc = parse_bytes(raw, name, limits=RECORD_LIMITS, fmt="json" if kind == "json" else "yaml")
        except InputError as err:
            yield Record(name, 1, None, err.problems)
            return
        yield make_record(doc, 1, validate)


STDIN = "<stdin>"


def _read_stdin(stdin: IO[bytes], fmt: InputFormat, cmap: CsvMap, validate: bool) -> Iterator[Record | RawLine]:
    if fmt != "auto":
        yield from _read_stream(stdin, STDIN, fmt, cmap, validate)
        return
    kind, head, why = _sniff(stdin, cmap)
    if kind is None:
        yield file_error(STDIN, 1, "input-format", why, "pass --input-format yaml, json, jsonl or csv")
        return
    yield from _read_stream(_Prefixed(head, stdin), STDIN, kind, cmap, validate)  # type: ignore[arg-type]


def _sniff(stream: IO[bytes], cmap: CsvMap) -> tuple[str | None, bytes, str]:
    """What standard input holds, from its first lines (kept, to be read again): JSON Lines, JSON, YAML or CSV.

    A first line that is a whole JSON value means JSON Lines (one transaction per line); one that opens a JSON
    value without closing it means a JSON document, unless the next line is a whole JSON value (then it is JSON
    Lines whose first record is broken, and that record alone is an error). A header with the transaction id
    column among three or more cells means CSV; a line with a ``key:`` (or ``---``, ``#``) means YAML. When
    nothing fits, the message says what was expected. Returns (kind or None, bytes read, why not).
    """
    cap = RECORD_LIMITS.max_bytes
    head = b""
    lines: list[bytes] = []
    while len(lines) < 2 and len(head) <= cap:
        line = stream.readline(cap + 1)
        if not line:
            break
        head += line
        if line.strip():
            lines.append(line)
    expected = "expected YAML, JSON, JSON Lines or CSV"
    if not lines:
        return None, head, f"standard input is empty; {expected}"
    raw = lines[0]
    first = raw.removeprefix(b"\xef\xbb\xbf").strip()
    if first.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first:
        return None, head, f"standard input is not UTF-8 text (binary data, or UTF-16); {expected}"
    if first[:1] in (b"{", b"["):
        if len(raw) > cap or _whole_json(first) or (len(lines) > 1 and _whole_json(lines[1].strip())):
            return "jsonl", head, ""
        return "json", head, ""
    text = first.decode("utf-8", "replace")
    cells = [c.strip() for c in split_cells(text, detect_delimiter(text, [cmap.header("id")]))]
    if cmap.header("id") in cells and len(cells) >= 3:
        return "csv", head, ""
    if text.startswith(("---", "%YAML", "#")) or re.match(r"^[^\s:][^:]*:(\s|$)", text):
        return "yaml", head, ""
    shown = text if len(text) <= 40 else text[:40] + "..."
    return None, head, f"cannot tell what standard input holds (it starts {shown!r}); {expected}"


def _whole_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


class _Prefixed(io.RawIOBase):
    """A byte stream that gives ``head`` (already read, to sniff the format) and then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        limit = -1 if size is None or size < 0 else size
        if not self._head:
            return self._stream.readline(limit)
        upto = len(self._head) if limit < 0 else min(limit, len(self._head))
        end = self._head.find(b"\n", 0, upto)
        cut = end + 1 if end >= 0 else upto
        line, self._head = self._head[:cut], self._head[cut:]
        if end >= 0 or self._head or 0 <= limit <= len(line):
            return line
        # what was read ahead ends inside a line: the rest of that line is still in the stream
        return line + self._stream.readline(-1 if limit < 0 else limit - len(line))

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            out, self._head = self._head + self._stream.read(), b""
            return out
        out, self._head = self._head[:size], self._head[size:]
        if len(out) < size:
            out += self._stream.read(size - len(out))
        return out

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
