"""CSV transactions: contiguous rows of one transaction id become one record, with every value's source column.

The rows come from :mod:`compliance.io.csv_rows` (bytes, one line at a time; a bad row spoils its own
transaction only). Default column names are :data:`CSV_COLUMNS`; ``--csv-map FILE`` renames them (YAML:
``field: "Column Header"``, or ``field: {column: "Header", format: "DD.MM.YYYY", decimal: ","}``),
``--delimiter`` and ``--date-format`` complete it (:class:`CsvMap`). Transaction-level cells must agree across
the rows of one transaction (or be empty after the first): a disagreement is an error, never a silent pick.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import IO

from compliance.errors import InputError, Location, Problem
from compliance.io.csv_rows import CellColumns, DateFormat, Row, detect_delimiter, parse_decimal, rows
from compliance.io.records import Record, file_error, make_record, numbered_lines, too_long
from compliance.models.transaction import PARTY_ROLES
from compliance.source import RECORD_LIMITS, Document, NumberRangeError, exact_int, finite_float, load_document

__all__ = ["CSV_COLUMNS", "CsvColumn", "CsvMap", "csv_options", "load_csv_map", "read_csv"]

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
    "hs_code": "hs_code",
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

_ITEM_FIELDS = (
    "line",
    "product",
    "description",
    "eccn",
    "origin",
    "quantity",
    "unit_value",
    "currency",
    "datacenter",
    "hs_code",
)
_DATE_FIELDS = ("date", "license_valid_from", "license_valid_to")
_NUMBER_FIELDS = ("line", "quantity", "unit_value")
_SPEC_FIELD = re.compile(r"^spec_[a-z][a-z0-9_]{0,63}$")


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
        for name in ("product", "description", "eccn", "origin", "currency", "hs_code"):
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
    for number, raw in numbered_lines(stream, max_bytes):
        if raw is None:
            yield number, "", [too_long(name, number, max_bytes)]
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
            big = file_error(
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
        return make_record(doc, group[0].line, validate, found, tid)

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
