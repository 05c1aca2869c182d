"""Batch input: many transactions from files, directories, JSON Lines, CSV or stdin, streamed one record at a time.

Every record the user gave comes out as exactly one :class:`Record`: a transaction, or the problems that
stopped it. Nothing is skipped silently; input count = output count, whatever a record holds (a bad byte, a
number too long to convert, a cell over the CSV field limit, an unterminated quote, a line of any length).
Every source, standard input included, is read in bounded pieces: a record (a file, a JSON Lines line, the
rows of a CSV transaction) is capped at ``RECORD_LIMITS.max_bytes`` and at ``max_items`` order lines,
``max_parties`` parties and ``max_licenses`` licences; over a cap, it is an error record, located.

CSV: one row per order line. Rows of one transaction share a transaction id and must be contiguous (so a
batch streams in bounded memory). Transaction-level cells must agree across the rows of one transaction (or
be empty after the first). Default column names are below; ``--csv-map FILE`` renames them (YAML:
``field: "Column Header"``, or ``field: {column: "Header", format: "DD.MM.YYYY", decimal: ","}``).
"""

from __future__ import annotations

import difflib
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Literal, cast

from compliance.errors import InputError, Location, Problem
from compliance.evaluate.result import error_record
from compliance.intake import transaction_from_document
from compliance.io.csv_input import CellColumns, DateFormat, Row, detect_delimiter, parse_decimal, rows, split_cells
from compliance.models.transaction import PARTY_ROLES, Transaction
from compliance.source import (
    RECORD_LIMITS,
    Document,
    Limits,
    NumberRangeError,
    exact_int,
    finite_float,
    load_document,
    parse_bytes,
    parse_text,
)

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

# field -> default CSV header. Party columns exist per role: `<role>_name`, `<role>_country`,
# `<role>_headquarters`; spec columns are `spec_<name>` (e.g. `spec_tpp`).
CSV_COLUMNS: dict[str, str] = {
    "id": "transaction_id",
    "date": "date",
    "activity": "activity",
    "exporter_name": "exporter_name",
    "exporter_country": "exporter_country",
    "destination": "destination",
    "destination_subdivision": "destination_subdivision",
    "end_use": "end_use",
    "end_use_codes": "end_use_codes",  # separated by ';'
    "line": "line",
    "product": "product",
    "description": "description",
    "eccn": "eccn",
    "origin": "origin",
    "quantity": "quantity",
    "unit_value": "unit_value",
    "currency": "currency",
    "datacenter": "datacenter",
    "license_id": "license_id",
    "license_authority": "license_authority",
    "license_products": "license_products",  # separated by ';'
    "license_eccns": "license_eccns",
    "license_destinations": "license_destinations",
    "license_valid_from": "license_valid_from",
    "license_valid_to": "license_valid_to",
}
for _role in PARTY_ROLES:
    for _part in ("name", "country", "headquarters"):
        CSV_COLUMNS[f"{_role}_{_part}"] = f"{_role}_{_part}"

_ITEM_FIELDS = ("line", "product", "description", "eccn", "origin", "quantity", "unit_value", "currency", "datacenter")
_DATE_FIELDS = ("date", "license_valid_from", "license_valid_to")
_NUMBER_FIELDS = ("line", "quantity", "unit_value")
_SPEC_FIELD = re.compile(r"^spec_[a-z][a-z0-9_]{0,63}$")


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


def _over_limits(doc: Document, limits: Limits) -> Problem | None:
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


def _record(
    doc: Document, record: int, validate: bool = True, problems: tuple[Problem, ...] = (), tid: str | None = None
) -> Record:
    big = _over_limits(doc, RECORD_LIMITS)
    if big is not None:
        return Record(doc.path, record, None, (*problems, big), transaction_id=tid)
    pending = Record(doc.path, record, None, problems, doc, tid)
    return validated(pending) if validate else pending


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
    return _record(Document(name, doc.data, text=text, line_offset=number - 1), number, validate)


def _numbered(stream: IO[bytes] | IO[str] | Iterable[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
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


def _too_long(name: str, number: int, max_bytes: int) -> Problem:
    return Problem(
        Location(name, number, 1),
        "too-large",
        f"this line is longer than the limit of {max_bytes} bytes for one record; it was not read",
        help="a record this large is not one transaction; check the export",
    )


def raw_lines(stream: IO[bytes] | Iterable[bytes], name: str) -> Iterator[RawLine | Record]:
    """Each non-blank line of a JSON Lines byte stream, bounded in length. Lines end at ``\\n`` only: a stray
    ``\\r`` inside a record is whitespace to JSON, not a record boundary, and a bad byte spoils its own line
    alone. A line over the record size limit is an error :class:`Record` in its place."""
    cap = RECORD_LIMITS.max_bytes
    for number, line in _numbered(stream, cap):
        if line is None:
            yield Record(name, number, None, (_too_long(name, number, cap),))
        elif line.strip():  # blank lines are not records
            yield RawLine(name, number, line)


def read_jsonl(stream: IO[bytes] | IO[str], name: str, validate: bool = True) -> Iterator[Record]:
    for raw in raw_lines(stream, name):  # type: ignore[arg-type]
        yield raw if isinstance(raw, Record) else parse_raw(raw, validate)


# ------------------------------------------------------------------------------------------------------ CSV


@dataclass(frozen=True, slots=True)
class CsvColumn:
    """Where a field is in the CSV, and how its cells are written."""

    header: str
    date_format: DateFormat | None = None
    decimal: str = "."


@dataclass(frozen=True, slots=True)
class CsvMap:
    """Column names (``--csv-map``), the delimiter (``--delimiter``, else detected) and ``--date-format``."""

    columns: dict[str, CsvColumn] = field(default_factory=dict)
    delimiter: str | None = None
    date_format: DateFormat | None = None

    @classmethod
    def of(cls, mapping: CsvMap | Mapping[str, str] | None) -> CsvMap:
        if isinstance(mapping, CsvMap):
            return mapping
        return cls({k: CsvColumn(v) for k, v in (mapping or {}).items()})

    def column(self, name: str) -> CsvColumn:
        return self.columns.get(name) or CsvColumn(CSV_COLUMNS.get(name, name))

    def header(self, name: str) -> str:
        return self.column(name).header


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


@dataclass(frozen=True, slots=True)
class _Field:
    """One mapped field present in the header: its cell, header text and cell format."""

    index: int
    header: str
    date_format: DateFormat | None
    decimal: str


class _Layout:
    """Where each field is in this file's header, worked out once per file (not per row)."""

    def __init__(self, header: list[str], cmap: CsvMap, delimiter: str) -> None:
        self.delimiter = delimiter
        index: dict[str, int] = {}
        for i, h in enumerate(header):
            index.setdefault(h, i)
        self.fields: dict[str, _Field] = {}
        for name in CSV_COLUMNS:
            column = cmap.column(name)
            if column.header in index:
                fmt = column.date_format or (cmap.date_format if name in _DATE_FIELDS else None)
                self.fields[name] = _Field(index[column.header], column.header, fmt, column.decimal)
        specs = {i: (h.removeprefix("spec_"), h) for i, h in enumerate(header) if _SPEC_FIELD.match(h or "-")}
        for name, column in cmap.columns.items():
            if name.startswith("spec_") and column.header in index:
                specs[index[column.header]] = (name.removeprefix("spec_"), column.header)
        self.specs = [
            (spec, _Field(i, h, None, cmap.column(f"spec_{spec}").decimal)) for i, (spec, h) in sorted(specs.items())
        ]
        items = set(_ITEM_FIELDS)
        self.shared = [(name, f) for name, f in self.fields.items() if name not in items]  # transaction-level
        self.roles = [role for role in PARTY_ROLES if f"{role}_name" in self.fields]


_TOP = {name: name for name in ("id", "date", "activity", "destination", "destination_subdivision", "end_use")}
_TOP["end_use_codes"] = "end_use_codes"
_LICENSE = {
    "id": "license_id",
    "authority": "license_authority",
    "products": "license_products",
    "eccns": "license_eccns",
    "destinations": "license_destinations",
    "valid_from": "license_valid_from",
    "valid_to": "license_valid_to",
}


@dataclass(frozen=True, slots=True)
class _Cells:
    """Where a value of one CSV transaction came from (row, cell, header): worked out only for a problem."""

    layout: _Layout
    lines: tuple[int, ...]  # the physical line of each row (= each item)
    texts: tuple[str, ...]
    roles: tuple[str, ...]  # the role of each party, in the transaction's order

    def _field(self, loc: tuple[str | int, ...]) -> tuple[int, _Field] | None:
        head = loc[0]
        name: str | None = None
        row = 0
        if head in _TOP and len(loc) == 1:
            name = _TOP[str(head)]
        elif head == "exporter" and len(loc) == 2:
            name = f"exporter_{loc[1]}"
        elif head == "parties" and len(loc) >= 2 and isinstance(loc[1], int) and loc[1] < len(self.roles):
            name = f"{self.roles[loc[1]]}_{loc[2] if len(loc) > 2 and loc[2] != 'role' else 'name'}"
        elif head == "licenses" and len(loc) == 3:
            name = _LICENSE.get(str(loc[2]))
        elif head == "items" and len(loc) >= 3 and isinstance(loc[1], int) and loc[1] < len(self.lines):
            row = loc[1]
            if loc[2] == "specs" and len(loc) == 4:
                spec = dict(self.layout.specs).get(str(loc[3]))
                return (row, spec) if spec is not None else None
            name = str(loc[2])
        f = self.layout.fields.get(name) if name else None
        return (row, f) if f is not None else None

    def locate(self, loc: tuple[str | int, ...]) -> tuple[int, int] | None:
        if loc[:1] == ("items",) and len(loc) == 2 and isinstance(loc[1], int) and loc[1] < len(self.lines):
            return self.lines[loc[1]], 1
        found = self._field(loc)
        if found is None:
            return None
        row, f = found
        return self.lines[row], _cell_col(self.texts[row], self.layout.delimiter, f.index)

    def column(self, loc: tuple[str | int, ...]) -> str | None:
        found = self._field(loc)
        return found[1].header if found is not None else None


def _cell_col(text: str, delimiter: str, index: int) -> int:
    return CellColumns({1: text}, delimiter)(1, index + 1)


class _Group:
    """The rows of one CSV transaction, turned into a document (positions worked out only for a problem)."""

    def __init__(self, name: str, layout: _Layout) -> None:
        self.name = name
        self.layout = layout
        self.fields = layout.fields
        self.problems: list[Problem] = []
        self.label = ""

    def _cell(self, row: Row, name: str) -> str | None:
        f = self.fields.get(name)
        return None if f is None else self._at(row, f)

    @staticmethod
    def _at(row: Row, f: _Field) -> str | None:
        value = row.cells[f.index].strip() if f.index < len(row.cells) else ""
        return value or None

    def _problem(self, row: Row, f: _Field, path: str, code: str, message: str) -> None:
        where = f"{self.label}, " if self.label else ""
        col = _cell_col(row.text, self.layout.delimiter, f.index)
        self.problems.append(
            Problem(Location(self.name, row.line, col), code, f"{where}{path} (column {f.header}): {message}")
        )

    def _date(self, row: Row, name: str, path: str) -> str | None:
        f = self.fields.get(name)
        value = None if f is None else self._at(row, f)
        if value is None or f is None or f.date_format is None:
            return value
        iso = f.date_format.iso(value)
        if iso is None:
            self._problem(
                row, f, path, "invalid-date", f"{value!r} is not a date in the format {f.date_format.pattern}"
            )
            return value
        return iso

    def _number(self, row: Row, f: _Field, path: str) -> object:
        value = self._at(row, f)
        if value is None:
            return None
        text = parse_decimal(value, f.decimal) if f.decimal != "." else value
        try:
            if text.isdigit() or _INT.fullmatch(text):
                return exact_int(text)
            if _FLOAT.fullmatch(text):
                return finite_float(text)
        except NumberRangeError as bad:
            self._problem(row, f, path, "number-range", str(bad))
        return value  # left as text, so validation names the column

    def document(self, rows_: list[Row]) -> tuple[Document, tuple[Problem, ...]]:
        first = rows_[0]
        tid = self._cell(first, "id")
        self.label = f"transaction {tid}" if tid else ""
        tx, roles = self._transaction(first)
        tx["items"] = [self._item(row, i) for i, row in enumerate(rows_)]
        if len(rows_) > 1:
            self._agree(rows_)
        for row in rows_:
            self.problems.extend(row.problems)
        cells = _Cells(self.layout, tuple(r.line for r in rows_), tuple(r.text for r in rows_), roles)
        doc = Document(self.name, tx, {(): (first.line, 1)}, cells=cells, label=self.label or None)
        return doc, tuple(self.problems)

    def _transaction(self, row: Row) -> tuple[dict[str, object], tuple[str, ...]]:
        tx: dict[str, object] = {}
        for name in ("id", "activity", "destination", "destination_subdivision", "end_use"):
            if (value := self._cell(row, name)) is not None:
                tx[name] = value
        if (date := self._date(row, "date", "date")) is not None:
            tx["date"] = date
        if (codes := self._cell(row, "end_use_codes")) is not None:
            tx["end_use_codes"] = _split(codes)
        exporter = {
            key: value
            for key, name in (("name", "exporter_name"), ("country", "exporter_country"))
            if (value := self._cell(row, name)) is not None
        }
        if exporter:
            tx["exporter"] = exporter
        parties: list[dict[str, object]] = []
        roles: list[str] = []
        for role in self.layout.roles:
            party_name = self._cell(row, f"{role}_name")
            if not party_name:
                continue
            party: dict[str, object] = {"role": role, "name": party_name}
            for key in ("country", "headquarters"):
                if (value := self._cell(row, f"{role}_{key}")) is not None:
                    party[key] = value
            parties.append(party)
            roles.append(role)
        if parties:
            tx["parties"] = parties
        if (lic_id := self._cell(row, "license_id")) is not None:
            lic: dict[str, object] = {"id": lic_id}
            if (value := self._cell(row, "license_authority")) is not None:
                lic["authority"] = value
            for key in ("valid_from", "valid_to"):
                if (value := self._date(row, _LICENSE[key], f"licenses.0.{key}")) is not None:
                    lic[key] = value
            for key in ("products", "eccns", "destinations"):
                if (value := self._cell(row, _LICENSE[key])) is not None:
                    lic[key] = _split(value)
            tx["licenses"] = [lic]
        return tx, tuple(roles)

    def _item(self, row: Row, i: int) -> dict[str, object]:
        item: dict[str, object] = {}
        for name in ("product", "description", "eccn", "origin", "currency"):
            if (value := self._cell(row, name)) is not None:
                item[name] = value
        for name in _NUMBER_FIELDS:
            f = self.fields.get(name)
            if f is not None and (number := self._number(row, f, f"items.{i}.{name}")) is not None:
                item[name] = number
        if (flag := self._cell(row, "datacenter")) is not None:
            item["datacenter"] = {"true": True, "false": False}.get(flag.lower(), flag)  # anything else: named
        specs: dict[str, object] = {}
        for spec, f in self.layout.specs:
            if (number := self._number(row, f, f"items.{i}.specs.{spec}")) is not None:
                specs[spec] = number
        if specs:
            item["specs"] = specs
        return item

    def _agree(self, rows_: list[Row]) -> None:
        """Transaction-level cells of later rows must repeat the first row's or be empty: never a silent pick."""
        first = rows_[0]
        for row in rows_[1:]:
            for _name, f in self.layout.shared:
                i = f.index
                got = row.cells[i].strip() if i < len(row.cells) else ""
                want = first.cells[i].strip() if i < len(first.cells) else ""
                if got and got != want:
                    where = f"{self.label}: " if self.label else ""
                    self.problems.append(
                        Problem(
                            Location(self.name, row.line, _cell_col(row.text, self.layout.delimiter, i)),
                            "csv-inconsistent",
                            f"{where}column {f.header} is {got!r} on this row but {want!r} on the "
                            f"transaction's first row ({first.line}); it was not evaluated",
                            help="rows of one transaction must agree on transaction-level columns (or leave them empty)",
                        )
                    )


_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _decoded(stream: IO[bytes] | IO[str], name: str, max_bytes: int) -> Iterator[tuple[int, str, list[Problem]]]:
    """Physical lines, each decoded on its own: a bad byte is a problem on its line, not the end of the file."""
    for number, raw in _numbered(stream, max_bytes):
        if raw is None:
            yield number, "", [_too_long(name, number, max_bytes)]
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        problems: list[Problem] = []
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            col = len(raw[: exc.start].decode("utf-8", "replace")) + 1
            problems.append(
                Problem(
                    Location(name, number, col),
                    "encoding",
                    "this row is not valid UTF-8 text; it was not evaluated",
                    help="export the file as UTF-8 (a Latin-1 or Windows-1252 export needs converting); the other rows were read",
                )
            )
            text = raw.decode("utf-8", "replace")
        if "\x00" in text:
            problems.append(
                Problem(Location(name, number, text.index("\x00") + 1), "binary", "this row holds a NUL byte")
            )
            text = text.replace("\x00", "")
        yield number, text, problems


def read_csv(
    stream: IO[bytes] | IO[str],
    name: str,
    mapping: CsvMap | Mapping[str, str] | None = None,
    validate: bool = True,
) -> Iterator[Record]:
    """One record per transaction (contiguous rows sharing a transaction id); one error record per bad row group."""
    cmap = CsvMap.of(mapping)
    max_bytes = RECORD_LIMITS.max_bytes
    lines = _decoded(stream, name, max_bytes)
    first = next((entry for entry in lines if entry[1].strip() or entry[2]), None)
    if first is None:
        return
    number, text, problems = first
    if problems:
        yield Record(
            name, number, None, (*problems, _header_problem(name, number, "the CSV header row cannot be read"))
        )
        return
    headers = {cmap.header(f) for f in CSV_COLUMNS} | {c.header for c in cmap.columns.values()}
    delimiter = cmap.delimiter or detect_delimiter(text, headers)
    (header_row,) = rows([first], name=name, delimiter=delimiter, columns=None, max_bytes=max_bytes)
    header = [h.strip() for h in header_row.cells]
    if header_row.problems:
        yield Record(
            name,
            number,
            None,
            (*header_row.problems, _header_problem(name, number, "the CSV header row cannot be read")),
        )
        return
    missing = [cmap.header(f) for f in ("id", "date", "destination") if cmap.header(f) not in header]
    if missing:
        named = "" if cmap.delimiter else f" (delimiter {delimiter!r} detected; pass --delimiter if that is wrong)"
        yield Record(
            name,
            number,
            None,
            (_header_problem(name, number, f"CSV header lacks column(s): {', '.join(missing)}{named}"),),
        )
        return
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        yield Record(
            name,
            number,
            None,
            (_header_problem(name, number, f"CSV header names column(s) twice: {', '.join(duplicates)}"),),
        )
        return
    layout = _Layout(header, cmap, delimiter)
    seen: set[str] = set()
    group: list[Row] = []
    overflow = 0  # rows of the current transaction beyond the cap on order lines: counted, not kept
    id_index = header.index(cmap.header("id"))
    cap = RECORD_LIMITS.max_items

    def tid_of(row: Row) -> str:
        return row.cells[id_index].strip() if id_index < len(row.cells) else ""

    def flush() -> Record:
        if overflow:
            rows_total = len(group) + overflow
            big = _file_error(
                name,
                group[0].line,
                "too-large",
                f"transaction {tid_of(group[0])!r} has {rows_total} rows; the limit is {cap} order lines per "
                "transaction; it was not evaluated",
                "split the order into several transactions",
            )
            return replace(big, transaction_id=tid_of(group[0]) or None)
        doc, found = _Group(name, layout).document(group)
        tid = tid_of(group[0]) or None
        if any(p.code in _ROW_FATAL for p in found):
            named = tuple(replace(p, message=f"transaction {tid}: {p.message}") if tid else p for p in found)
            return Record(name, group[0].line, None, tuple(sorted(named)), transaction_id=tid)
        return _record(doc, group[0].line, validate, found, tid)

    for row in rows(lines, name=name, delimiter=delimiter, columns=len(header), max_bytes=max_bytes):
        if not any(c.strip() for c in row.cells) and not row.problems:
            continue  # a row of empty cells (`,,,,`) is not a record
        tid = tid_of(row)
        if group and tid != tid_of(group[0]):
            yield flush()
            group, overflow = [], 0
        if not group and tid and tid in seen:
            yield Record(
                name,
                row.line,
                None,
                (
                    Problem(
                        Location(name, row.line, CellColumns({row.line: row.text}, delimiter)(row.line, id_index + 1)),
                        "csv-not-contiguous",
                        f"rows of transaction {tid!r} are not contiguous; this row was not evaluated",
                        help="sort the export by transaction id",
                    ),
                    *row.problems,
                ),
                transaction_id=tid,
            )
            continue
        if not group:
            seen.add(tid)
        if len(group) >= cap:
            overflow += 1
            continue
        group.append(row)
    if group:
        yield flush()


# A row problem that leaves nothing worth validating: the transaction is an error record with that problem.
_ROW_FATAL = frozenset({"encoding", "binary", "too-large", "csv-quote", "csv-syntax", "csv-shape"})


def _header_problem(name: str, line: int, why: str) -> Problem:
    return Problem(
        Location(name, line, 1),
        "csv-header",
        f"{why}; no row of this file was read",
        help="name the columns as in docs/erp.md or pass --csv-map; export the file as UTF-8",
    )


def _file_error(name: str, line: int, code: str, message: str, help: str | None) -> Record:
    return Record(name, line, None, (Problem(Location(name, line, 1), code, message, help=help),))


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
                yield _file_error(source, 1, "unreadable", f"cannot read file: {exc.strerror or exc}", None)
            continue
        try:
            doc = load_document(path, limits=RECORD_LIMITS, display=source)
        except InputError as err:
            yield Record(source, 1, None, err.problems)
            continue
        yield _record(doc, 1, validate)


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
        yield _record(doc, 1, validate)


STDIN = "<stdin>"


def _read_stdin(stdin: IO[bytes], fmt: InputFormat, cmap: CsvMap, validate: bool) -> Iterator[Record | RawLine]:
    if fmt != "auto":
        yield from _read_stream(stdin, STDIN, fmt, cmap, validate)
        return
    kind, head, why = _sniff(stdin, cmap)
    if kind is None:
        yield _file_error(STDIN, 1, "input-format", why, "pass --input-format yaml, json, jsonl or csv")
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


# ------------------------------------------------------------------------------------------- the CSV map


def load_csv_map(path: str, *, delimiter: str | None = None, date_format: str | None = None) -> CsvMap:
    """A ``--csv-map`` file (plus ``--delimiter`` and ``--date-format``); any problem is a located :class:`InputError`.

    Each entry is ``field: "Column Header"`` or ``field: {column: "Header", format: "YYYYMMDD", decimal: ","}``
    (``format`` for date fields, ``decimal`` for number fields). Fields are those of :data:`CSV_COLUMNS`, plus
    ``spec_<name>`` for a spec column with another header.
    """
    doc = load_document(path)
    if not isinstance(doc.data, dict):
        raise InputError(
            [Problem(doc.locate(()), "csv-map", "the CSV map must be a mapping of field -> column header")]
        )
    problems: list[Problem] = []
    columns: dict[str, CsvColumn] = {}
    for key, value in doc.data.items():
        where = doc.locate((key,), key=True)
        if key not in CSV_COLUMNS and not _SPEC_FIELD.match(key):
            problems.append(Problem(where, "csv-map", f"unknown field {key!r}", help=_did_you_mean(key)))
            continue
        column = _map_entry(doc, key, value, problems)
        if column is not None:
            columns[key] = column
    try:
        default_format = DateFormat.parse(date_format) if date_format else None
    except ValueError as exc:
        problems.append(Problem(Location("--date-format"), "csv-map", str(exc)))
        default_format = None
    if delimiter is not None and len(delimiter) != 1:
        problems.append(
            Problem(Location("--delimiter"), "csv-map", f"the delimiter must be one character, not {delimiter!r}")
        )
    if problems:
        raise InputError(problems)
    return CsvMap(columns, delimiter, default_format)


def csv_options(path: str | None, *, delimiter: str | None, date_format: str | None) -> CsvMap | None:
    """The CSV options of the command line (no map file: the default columns)."""
    if path is not None:
        return load_csv_map(path, delimiter=delimiter, date_format=date_format)
    if delimiter is None and date_format is None:
        return None
    problems: list[Problem] = []
    fmt = None
    if date_format is not None:
        try:
            fmt = DateFormat.parse(date_format)
        except ValueError as exc:
            problems.append(Problem(Location("--date-format"), "csv-map", str(exc)))
    if delimiter is not None and len(delimiter) != 1:
        problems.append(
            Problem(Location("--delimiter"), "csv-map", f"the delimiter must be one character, not {delimiter!r}")
        )
    if problems:
        raise InputError(problems)
    return CsvMap({}, delimiter, fmt)


def _map_entry(doc: Document, key: str, value: object, problems: list[Problem]) -> CsvColumn | None:
    where = doc.locate((key,))
    if isinstance(value, str):
        return CsvColumn(value)
    if not isinstance(value, dict) or not isinstance(value.get("column"), str):
        problems.append(
            Problem(
                where, "csv-map", f"{key}: expected a column header, or {{column: HEADER, format: ..., decimal: ...}}"
            )
        )
        return None
    unknown = sorted(set(value) - {"column", "format", "decimal"})
    if unknown:
        problems.append(
            Problem(doc.locate((key, unknown[0]), key=True), "csv-map", f"{key}: unknown option {unknown[0]!r}")
        )
    fmt = None
    if "format" in value:
        if key not in _DATE_FIELDS:
            problems.append(
                Problem(doc.locate((key, "format")), "csv-map", f"{key}: `format` applies to date fields only")
            )
        else:
            try:
                fmt = DateFormat.parse(str(value["format"]))
            except ValueError as exc:
                problems.append(Problem(doc.locate((key, "format")), "csv-map", f"{key}: {exc}"))
    decimal = str(value.get("decimal", "."))
    if decimal not in (".", ","):
        problems.append(Problem(doc.locate((key, "decimal")), "csv-map", f"{key}: decimal must be '.' or ','"))
    elif decimal == "," and key not in _NUMBER_FIELDS and not key.startswith("spec_"):
        problems.append(
            Problem(doc.locate((key, "decimal")), "csv-map", f"{key}: `decimal` applies to number fields only")
        )
    return CsvColumn(str(value["column"]), fmt, decimal)


def _did_you_mean(key: str) -> str | None:
    close = difflib.get_close_matches(key, list(CSV_COLUMNS), n=1)
    return f"did you mean {close[0]!r}?" if close else None
