"""The rows the Spark tests check: realistic transactions, the bundled examples, and every kind of bad record.

``lines()`` gives them as the lines of a JSON Lines file (bytes, without their newline), including blank lines:
the CLI skips a blank line, which is not a record, while a DataFrame row is always reported (``empty-record``).
"""

from __future__ import annotations

import json

from compliance.source import RECORD_LIMITS, load_document
from tests.conftest import EXAMPLES
from tests.corpus import corpus

OK = {"id": "OK-1", "date": "2025-05-01", "destination": "DE", "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}]}
H20 = {
    "id": "H20-1",
    "date": "2025-05-01",
    "destination": "CN",
    "items": [{"line": 1, "product": "H20", "quantity": 8}],
}


def _dumps(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def malformed() -> list[bytes]:
    """One of each way a record is not a transaction, as the bytes of one JSON Lines line."""
    h20 = _dumps(H20)
    many = {**OK, "id": "MANY", "items": [{"line": i, "eccn": "EAR99", "quantity": 1} for i in range(1, 10_002)]}
    return [
        b"not json",
        b'{"id": "T", "date": "2025-05-01"',  # truncated
        b"[1, 2, 3]",
        b"null",
        b'"a string"',
        b"{}",
        h20.replace(b'"CN"', b'"XX"'),  # not a country
        h20.replace(b'"destination"', b'"destinaton"'),  # an unknown key, with a "did you mean"
        h20.replace(b'{"id": "H20-1",', b'{"id": "H20-1", "id": "again",'),  # a duplicate key
        h20.replace(b"2025-05-01", b"2025-13-01"),
        h20.replace(b'"quantity": 8', b'"quantity": 1e999'),  # a number JSON cannot hold
        h20.replace(b'"quantity": 8', b'"quantity": ' + b"9" * 5000),
        h20.replace(b'"H20-1"', b'"\\ud800"'),  # a lone surrogate escape
        h20.replace(b'"H20-1"', b'"H20-\xff"'),  # a byte that is not UTF-8
        h20.replace(b", ", b",\r "),  # a lone CR inside the record: whitespace to JSON
        _dumps(many),  # over the order-line cap
        b'{"id": "BIG", "pad": "' + b"x" * RECORD_LIMITS.max_bytes + b'"}',  # over the record size cap
        b"\t" + h20 + b"  ",  # whitespace around a good record
        _dumps({**H20, "items": []}),  # an empty list where one item is required
    ]


def examples() -> list[bytes]:
    return [_dumps(load_document(p).data) for p in sorted(EXAMPLES.glob("*.yaml"))]


def lines(n: int = 300) -> list[bytes]:
    """Valid and invalid lines interleaved (so bad rows fall in several partitions), with blank lines."""
    good = [b"\xef\xbb\xbf" + _dumps(OK)] + examples() + [_dumps(tx) for tx in corpus(n, seed=15)]
    bad = malformed()
    out: list[bytes] = []
    step = max(1, len(good) // (len(bad) + 2))
    for i, line in enumerate(good):
        out.append(line)
        if i % step == step - 1 and bad:
            out.append(bad.pop(0))
        if i in (7, 120):
            out += [b"", b"   "]  # blank lines: not records to the CLI, error rows in a DataFrame
    return out + bad
