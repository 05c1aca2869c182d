"""Batch input: many transactions from files, directories, JSON Lines or CSV, streamed one record at a time.

Every record the user gave comes out as exactly one :class:`Record`: a transaction, or the problems that
stopped it. Nothing is skipped silently; input count = output count.

CSV: one row per order line. Rows of one transaction share a transaction id and must be contiguous (so a
batch streams in bounded memory). Transaction-level fields are read from the first row of each group.
Default column names are below; ``--csv-map FILE`` renames them (YAML: ``field: "Column Header"``).
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from compliance.errors import InputError, Location, Problem
from compliance.intake import transaction_from_document
from compliance.models.transaction import PARTY_ROLES, Transaction
from compliance.source import Document, load_document, parse_bytes, parse_text

__all__ = [
    "CSV_COLUMNS",
    "InputFormat",
    "RawLine",
    "Record",
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


@dataclass(frozen=True, slots=True)
class Record:
    """One input record: where it came from and either a transaction or why it could not be read.

    A record read with ``validate=False`` carries its parsed ``document`` instead, to be validated later
    (in a worker process, where the cost is spread over the cores); :func:`validated` does that.
    """

    source: str
    record: int  # 1-based line (JSONL), first row (CSV) or 1 (a whole file)
    transaction: Transaction | None
    problems: tuple[Problem, ...] = ()
    document: Document | None = None

    def error_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "record": self.record,
            "error": {"code": "input-error", "problems": [p.to_dict() for p in self.problems]},
        }


def validated(record: Record) -> Record:
    """The record with its document validated into a transaction (or into problems)."""
    if record.document is None:
        return record
    try:
        return Record(record.source, record.record, transaction_from_document(record.document))
    except InputError as err:
        return Record(record.source, record.record, None, err.problems)


def _record(doc: Document, record: int, validate: bool = True) -> Record:
    pending = Record(doc.path, record, None, (), doc)
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


def raw_lines(stream: Iterable[bytes], name: str) -> Iterator[RawLine]:
    """Each non-blank line of a JSON Lines byte stream. Lines end at ``\n`` only: a stray ``\r`` inside a
    record is whitespace to JSON, not a record boundary, and a bad byte spoils its own line alone."""
    for number, line in enumerate(stream, start=1):
        if line.strip():  # blank lines are not records
            yield RawLine(name, number, line)


def read_jsonl(stream: IO[bytes] | IO[str], name: str, validate: bool = True) -> Iterator[Record]:
    binary: Iterable[bytes] = _encoded(stream) if isinstance(stream.read(0), str) else stream  # type: ignore[assignment]
    for raw in raw_lines(binary, name):
        yield parse_raw(raw, validate)


def _encoded(stream: IO[bytes] | IO[str]) -> Iterator[bytes]:
    for line in stream:
        yield line.encode("utf-8") if isinstance(line, str) else line


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _number(cell: str) -> object:
    try:
        return int(cell) if cell.lstrip("-").isdigit() else float(cell)
    except ValueError:
        return cell  # left as text so the model reports the field


def _row_item(row: Mapping[str, str], col: Mapping[str, str]) -> dict[str, object]:
    item: dict[str, object] = {}
    for field in ("product", "description", "eccn", "origin", "currency", "hs_code"):
        if row.get(col[field]):
            item[field] = row[col[field]].strip()
    for field in ("line", "quantity", "unit_value"):
        if row.get(col[field]):
            item[field] = _number(row[col[field]].strip())
    if row.get(col["datacenter"]):
        flag = row[col["datacenter"]].strip().lower()
        item["datacenter"] = {"true": True, "false": False}.get(flag, flag)
    specs = {
        k.removeprefix("spec_"): _number(v.strip())
        for k, v in row.items()
        if k and k.startswith("spec_") and v and v.strip()
    }
    if specs:
        item["specs"] = specs
    return item


def _row_transaction(row: Mapping[str, str], col: Mapping[str, str]) -> dict[str, object]:
    def cell(field: str) -> str | None:
        value = row.get(col[field])
        return value.strip() if value and value.strip() else None

    tx: dict[str, object] = {}
    for field in ("id", "date", "activity", "destination", "destination_subdivision", "end_use"):
        if (value := cell(field)) is not None:
            tx[field] = value
    if (codes := cell("end_use_codes")) is not None:
        tx["end_use_codes"] = _split(codes)
    if cell("exporter_name") or cell("exporter_country"):
        tx["exporter"] = {
            k: v for k, v in (("name", cell("exporter_name")), ("country", cell("exporter_country"))) if v
        }
    parties = []
    for role in PARTY_ROLES:
        name = cell(f"{role}_name")
        if name:
            party: dict[str, object] = {"role": role, "name": name}
            if (country := cell(f"{role}_country")) is not None:
                party["country"] = country
            if (hq := cell(f"{role}_headquarters")) is not None:
                party["headquarters"] = hq
            parties.append(party)
    if parties:
        tx["parties"] = parties
    if cell("license_id"):
        lic: dict[str, object] = {"id": cell("license_id")}
        for field, key in (
            ("license_authority", "authority"),
            ("license_valid_from", "valid_from"),
            ("license_valid_to", "valid_to"),
        ):
            if (value := cell(field)) is not None:
                lic[key] = value
        for field, key in (
            ("license_products", "products"),
            ("license_eccns", "eccns"),
            ("license_destinations", "destinations"),
        ):
            if (value := cell(field)) is not None:
                lic[key] = _split(value)
        tx["licenses"] = [lic]
    return tx


def read_csv(
    stream: IO[str], name: str, mapping: Mapping[str, str] | None = None, validate: bool = True
) -> Iterator[Record]:
    col = {**CSV_COLUMNS, **(mapping or {})}
    reader = csv.DictReader(stream)
    missing = [
        col[f] for f in ("id", "date", "destination") if reader.fieldnames is None or col[f] not in reader.fieldnames
    ]
    if missing:
        yield Record(
            name,
            1,
            None,
            (
                Problem(
                    Location(name, 1, 1),
                    "csv-header",
                    f"CSV header lacks column(s): {', '.join(missing)}",
                    help="name the columns as in docs/erp.md or pass --csv-map",
                ),
            ),
        )
        return
    seen: set[str] = set()
    group: list[tuple[int, dict[str, str]]] = []

    def flush() -> Record:
        first_row, first = group[0]
        tx = _row_transaction(first, col)
        tx["items"] = [_row_item(row, col) for _, row in group]
        spans: dict[tuple[str | int, ...], tuple[int, int]] = {(): (first_row, 1)}
        for i, (row_no, _) in enumerate(group):
            spans[("items", i)] = (row_no, 1)
        return _record(Document(name, tx, spans), first_row, validate)

    for row in reader:
        row_no = reader.line_num
        tid = (row.get(col["id"]) or "").strip()
        if group and tid != (group[0][1].get(col["id"]) or "").strip():
            yield flush()
            group = []
        if not group and tid and tid in seen:
            yield Record(
                name,
                row_no,
                None,
                (
                    Problem(
                        Location(name, row_no, 1),
                        "csv-not-contiguous",
                        f"rows of transaction {tid!r} are not contiguous; this row was not evaluated",
                        help="sort the export by transaction id",
                    ),
                ),
            )
            continue
        if not group:
            seen.add(tid)
        group.append((row_no, dict(row)))
    if group:
        yield flush()


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
    csv_map: Mapping[str, str] | None = None,
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
    csv_map: Mapping[str, str] | None = None,
    validate: bool = True,
) -> Iterator[Record | RawLine]:
    """Like :func:`read_sources`, but JSON Lines come as undecoded :class:`RawLine` (parsed by the consumer)."""
    for source in sources:
        if source == "-":
            if stdin is None:
                yield Record(
                    "<stdin>", 1, None, (Problem(Location("<stdin>"), "no-stdin", "standard input is not available"),)
                )
                continue
            kind: str = fmt if fmt != "auto" else "jsonl"
            yield from _read_stream(stdin, "<stdin>", kind, csv_map, validate)
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json", ".jsonl", ".ndjson", ".csv")
            )
            yield from read_items([str(p) for p in files], fmt=fmt, csv_map=csv_map, stdin=stdin, validate=validate)
            continue
        kind = _detect(source, fmt)
        if kind in ("jsonl", "csv"):
            try:
                with open(path, "rb") as stream:
                    yield from _read_stream(stream, source, kind, csv_map, validate)
            except OSError as exc:
                yield Record(
                    source,
                    1,
                    None,
                    (Problem(Location(source), "unreadable", f"cannot read file: {exc.strerror or exc}"),),
                )
            except UnicodeDecodeError:
                yield Record(source, 1, None, (Problem(Location(source), "encoding", "file is not valid UTF-8 text"),))
            continue
        try:
            doc = load_document(path)
        except InputError as err:
            yield Record(source, 1, None, err.problems)
            continue
        yield _record(doc, 1, validate)


def _read_stream(
    stream: IO[bytes], name: str, kind: str, csv_map: Mapping[str, str] | None, validate: bool
) -> Iterator[Record | RawLine]:
    if kind == "jsonl":
        yield from raw_lines(stream, name)
    elif kind == "csv":
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        try:
            yield from read_csv(text, name, csv_map, validate)
        finally:
            text.detach()  # the caller owns (and closes) the byte stream
    else:
        try:
            doc = parse_bytes(stream.read(), name, fmt="json" if kind == "json" else "yaml")
        except InputError as err:
            yield Record(name, 1, None, err.problems)
            return
        yield _record(doc, 1, validate)


def load_csv_map(path: str) -> dict[str, str]:
    """A ``--csv-map`` file: YAML ``field: "Column Header"``; any problem is a located :class:`InputError`."""
    doc = load_document(path)
    if not isinstance(doc.data, dict) or not all(isinstance(v, str) for v in doc.data.values()):
        raise InputError(
            [Problem(doc.locate(()), "csv-map", "the CSV map must be a mapping of field -> column header")]
        )
    problems = [
        Problem(doc.locate((key,), key=True), "csv-map", f"unknown field {key!r}", help=_did_you_mean(key))
        for key in doc.data
        if key not in CSV_COLUMNS
    ]
    if problems:
        raise InputError(problems)
    return {str(k): str(v) for k, v in doc.data.items()}


def _did_you_mean(key: str) -> str | None:
    close = difflib.get_close_matches(key, list(CSV_COLUMNS), n=1)
    return f"did you mean {close[0]!r}?" if close else None
