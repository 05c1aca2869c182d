"""CSV as ERP systems export it: rows read from bytes, one bad row spoiling only its own transaction.

The standard ``csv`` module, given a whole file, stops the batch at a cell over its field limit, stops it at
the first invalid UTF-8 byte, and reads an unterminated quote as one long cell that silently swallows every
row up to the next quote character. Here the file is read one physical line (``\\n``) at a time, bounded; a
line is decoded on its own; a quoted cell may span lines (a description with a line break), but a row whose
quote does not close before a line that looks like a row of its own (or within :data:`MAX_ROW_LINES`
lines, or the record size limit) is reported at the line where the quote opened, and the lines after it
are read again as rows. ``csv`` itself then splits each logical row into cells.

Also here: the delimiter (``,``, ``;``, tab or ``|``, detected from the header unless given), dates in the
format an ERP writes them (``YYYYMMDD``, ``DD.MM.YYYY``), and numbers with a decimal comma.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from compliance.errors import Location, Problem

__all__ = [
    "DELIMITERS",
    "MAX_ROW_LINES",
    "CellColumns",
    "DateFormat",
    "Row",
    "detect_delimiter",
    "parse_decimal",
    "rows",
    "split_cells",
]

DELIMITERS = (",", ";", "\t", "|")
# A quoted cell spanning more physical lines than this is an unterminated quote, not a long description.
MAX_ROW_LINES = 200

_START, _FIELD, _QUOTED, _AFTER = range(4)


@dataclass(slots=True)
class Row:
    """One logical CSV row: the physical lines it spans, its cells, and what is wrong with it."""

    line: int  # first physical line (1-based)
    cells: list[str]
    problems: list[Problem] = field(default_factory=list)
    last: int = 0  # last physical line
    text: str = ""  # the first physical line, to locate a cell in it


@dataclass(frozen=True, slots=True)
class CellColumns:
    """The character column where cell N starts on a row's first line: ``file:line:col`` for a CSV cell."""

    texts: dict[int, str]
    delimiter: str

    def __call__(self, line: int, cell: int) -> int:
        text = self.texts.get(line)
        if text is None or cell <= 1:
            return max(cell, 1) if text is None else 1
        starts = cell_starts(_strip_eol(text), self.delimiter)
        return starts[cell - 1] + 1 if cell - 1 < len(starts) else len(text) + 1


def cell_starts(text: str, delimiter: str) -> list[int]:
    """0-based offsets of the cells of one line, delimiters inside quoted cells not counted."""
    starts = [0]
    i, n, state = 0, len(text), _START
    while i < n:
        if state == _QUOTED:
            j = text.find('"', i)
            if j < 0:
                break
            if j + 1 < n and text[j + 1] == '"':
                i = j + 2
                continue
            state, i = _AFTER, j + 1
            continue
        if state == _START and text[i] == '"':
            state, i = _QUOTED, i + 1
            continue
        j = text.find(delimiter, i)
        if j < 0:
            break
        starts.append(j + 1)
        state, i = _START, j + 1
    return starts


def _scan(text: str, delimiter: str, state: int) -> tuple[int, int]:
    """The quote state after ``text`` (one physical line without its line break), as ``csv`` reads it.

    Returns (state, column of the quote that opened a cell still open at the end, or 0). A quote opens a
    quoted cell only at the start of a cell; elsewhere it is a literal character (``12" monitor``), as in
    ``csv`` with ``strict=False``. Finds, not a loop per character: most lines have no quote at all.
    """
    i, n, opened = 0, len(text), 0
    while i < n:
        if state == _QUOTED:
            j = text.find('"', i)
            if j < 0:
                return _QUOTED, opened
            if j + 1 < n and text[j + 1] == '"':
                i = j + 2  # an escaped quote inside the quoted cell
                continue
            state, i = _AFTER, j + 1
            continue
        if state == _START:
            if text[i] == '"':
                state, opened, i = _QUOTED, i + 1, i + 1
                continue
            state = _FIELD
        j = text.find(delimiter, i)
        if j < 0:
            return state, 0
        state, i = _START, j + 1
    return state, (opened if state == _QUOTED else 0)


def _strip_eol(text: str) -> str:
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def _cells(texts: list[str], delimiter: str) -> list[str]:
    """Split one logical row (its physical lines, line breaks kept) into cells; ``csv.Error`` propagates."""
    if len(texts) == 1 and '"' not in texts[0]:
        text = _strip_eol(texts[0])
        if "\r" not in text and "\x00" not in text and len(text) <= csv.field_size_limit():
            return text.split(delimiter)  # what csv gives for a line without quotes, without a reader per row
    reader = csv.reader(texts, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    out: list[str] = []
    for record in reader:  # one logical row gives one record; a stray line break after a closed quote, two
        out.extend(record)
    return out


def rows(
    lines: Iterable[tuple[int, str, list[Problem]]],
    *,
    name: str,
    delimiter: str,
    columns: int | None,
    max_bytes: int,
) -> Iterator[Row]:
    """Logical rows from decoded physical lines ``(number, text with its line break, problems)``.

    ``columns`` is the header's cell count (None while reading the header itself); it is what tells an
    unterminated quote (the row it swallowed has the wrong shape, or a line inside it looks like a row) from
    a quoted cell with a line break in it.
    """
    source = iter(lines)
    again: deque[tuple[int, str, list[Problem]]] = deque()

    def pull() -> tuple[int, str, list[Problem]] | None:
        if again:
            return again.popleft()
        return next(source, None)

    while (first := pull()) is not None:
        number, text, problems = first
        state, opened = _scan(_strip_eol(text), delimiter, _START) if '"' in text else (_FIELD, 0)
        if state != _QUOTED:
            if not text.strip():
                continue  # a blank line is not a record
            yield _row(number, number, [text], list(problems), delimiter, columns, name)
            continue
        span = [first]
        size = len(text)
        closed = False
        while len(span) < MAX_ROW_LINES and size <= max_bytes:
            nxt = pull()
            if nxt is None:
                break
            span.append(nxt)
            size += len(nxt[1])
            state, _ = _scan(_strip_eol(nxt[1]), delimiter, state)
            if state != _QUOTED:
                closed = True
                break
        row = _row(
            number, span[-1][0], [t for _, t, _ in span], [p for _, _, ps in span for p in ps], delimiter, columns, name
        )
        if closed and not _swallowed(span, row, delimiter, columns):
            yield row
            continue
        # The quote opened on this line never closed, or closed only after swallowing rows: this line is
        # one bad row and the lines after it are read again as rows of their own.
        alone = _row(number, number, [text], list(problems), delimiter, None, name)
        why = f"the quote opened at column {opened} does not close on this line; " + (
            f"the {len(span) - 1} line(s) after it look like rows of their own and are read as rows"
            if closed
            else "it never closes"
            if size <= max_bytes and len(span) < MAX_ROW_LINES
            else f"it does not close within {MAX_ROW_LINES} lines or {max_bytes} bytes"
        )
        alone.problems.append(
            Problem(
                Location(name, number, opened),
                "csv-quote",
                f"unterminated quote: {why}; this row was not evaluated",
                help='close the quote, or double a quote inside a quoted cell ("")',
            )
        )
        yield alone
        again.extendleft(reversed(span[1:]))


def _swallowed(span: list[tuple[int, str, list[Problem]]], row: Row, delimiter: str, columns: int | None) -> bool:
    """Did a multi-line quoted cell swallow rows? Its row has the wrong shape, or a line in it looks like a row."""
    if columns is None:
        return False
    if len(row.cells) != columns:
        return True
    return columns > 2 and any(_strip_eol(t).count(delimiter) >= columns - 1 for _, t, _ in span[1:])


def _row(
    first: int, last: int, texts: list[str], problems: list[Problem], delimiter: str, columns: int | None, name: str
) -> Row:
    try:
        cells = _cells(texts, delimiter)
    except csv.Error as exc:
        # e.g. a cell over the csv module's field limit (131,072 characters): this row only, not the batch
        problems.append(
            Problem(
                Location(name, first, 1),
                "csv-syntax",
                f"this row cannot be read as CSV ({exc}); it was not evaluated",
                help="a cell this long is not an order line; check the export",
            )
        )
        cells = split_cells(texts[0], delimiter)
    row = Row(first, cells, problems, last, texts[0])
    if columns is not None and len(cells) != columns and not any(p.code == "csv-syntax" for p in problems):
        row.problems.append(
            Problem(
                Location(name, first, 1),
                "csv-shape",
                f"this row has {len(cells)} cell(s); the header has {columns}; it was not evaluated",
                help="a delimiter inside a cell must be quoted; a row cut short is an incomplete export",
            )
        )
    return row


def split_cells(text: str, delimiter: str) -> list[str]:
    """The cells of one line (its first 4 KiB), or none when it cannot be read as CSV."""
    try:
        return _cells([text[:4096]], delimiter)
    except csv.Error:
        return []


def detect_delimiter(header: str, known: Iterable[str]) -> str:
    """The delimiter that splits the header into the most known column names (then the most cells)."""
    names = set(known)
    best, score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            cells = [c.strip() for c in _cells([header], delimiter)]
        except csv.Error:
            continue
        this = (sum(c in names for c in cells), len(cells))
        if this > score:
            best, score = delimiter, this
    return best


# ------------------------------------------------------------------------------------------- cell formats

_TOKENS = {
    "YYYY": r"(?P<y>\d{4})",
    "MM": r"(?P<m>\d{2})",
    "DD": r"(?P<d>\d{2})",
    "M": r"(?P<m>\d{1,2})",
    "D": r"(?P<d>\d{1,2})",
}
_STRPTIME = {"%Y": "YYYY", "%m": "MM", "%d": "DD"}


@dataclass(frozen=True, slots=True)
class DateFormat:
    """A date layout such as ``YYYYMMDD``, ``DD.MM.YYYY`` or ``%d/%m/%Y``: read strictly, written as ISO.

    ``YYYY``, ``MM`` and ``DD`` are exactly four, two and two digits; ``M`` and ``D`` one or two. Anything
    else is a literal character. ``strptime`` codes ``%Y``, ``%m``, ``%d`` mean the same.
    """

    pattern: str
    regex: re.Pattern[str]

    @classmethod
    def parse(cls, pattern: str) -> DateFormat:
        text = pattern
        for code, token in _STRPTIME.items():
            text = text.replace(code, token)
        if "%" in text:
            raise ValueError(f"date format {pattern!r}: only %Y, %m and %d (or YYYY, MM, DD) are understood")
        out, i = [], 0
        seen: set[str] = set()
        while i < len(text):
            for token in ("YYYY", "MM", "DD", "M", "D"):
                if text.startswith(token, i):
                    if token[0] in seen:
                        raise ValueError(f"date format {pattern!r} names the {_PART[token[0]]} twice")
                    seen.add(token[0])
                    out.append(_TOKENS[token])
                    i += len(token)
                    break
            else:
                out.append(re.escape(text[i]))
                i += 1
        if seen != {"Y", "M", "D"}:
            raise ValueError(f"date format {pattern!r} must name the year (YYYY), month (MM) and day (DD)")
        return cls(pattern, re.compile("".join(out)))

    def iso(self, cell: str) -> str | None:
        """The cell as ``YYYY-MM-DD``, or None when it does not match the format or is not a real date."""
        match = self.regex.fullmatch(cell)
        if match is None:
            return None
        try:
            return dt.date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
        except ValueError:
            return None


_PART = {"Y": "year", "M": "month", "D": "day"}

_GROUPED = re.compile(r"^-?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_PLAIN = re.compile(r"^-?\d+(?:,\d+)?$")


def parse_decimal(cell: str, decimal: str) -> str:
    """A number written with a decimal comma (``1.234,5``) in the form ``float`` reads (``1234.5``).

    Anything else is returned unchanged, so it fails validation with its column named rather than being
    guessed at.
    """
    if decimal != ",":
        return cell
    if _GROUPED.match(cell):
        return cell.replace(".", "").replace(",", ".")
    if _PLAIN.match(cell):
        return cell.replace(",", ".")
    return cell
