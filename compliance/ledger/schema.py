"""The ledger's tables and their versioned migrations, applied when a ledger is opened.

``ledger_schema`` records each migration applied (version, when, what). Opening a ledger applies, in one write
transaction, every migration newer than the database's version (PostgreSQL: under a transaction-scoped advisory
lock, so two processes opening a new ledger at once do not both create it); a database whose version is newer
than this code knows is refused (it was written by a later release). Migrations are never edited once released:
a change is a new migration at the end of :data:`MIGRATIONS`.

Amounts (quantity, value) are integers of millionths of a unit (:mod:`compliance.evaluate.balances`), exact in
both databases; times are UTC ISO 8601 text with microseconds (``2026-12-01T09:30:00.000000Z``), which sort
as they compare; dates are ``YYYY-MM-DD``.

Tables (version 1):

- ``ledger_meta``: ``ledger_id``, a random id named in audit receipts (never the database URL, which may hold
  a password).
- ``licenses``: one row per licence, its terms as canonical JSON in the transaction's licence shape, with the
  columns the ledger queries (authority, validity, quantity, value, currency).
- ``reservations``: what a transaction line holds on a licence, keyed by (transaction id, line, licence):
  ``reserved`` (until ``expires_at``), ``consumed`` (shipped), ``released`` or ``expired``.
- ``movements``: every change, one row each, in order (``seq``): a licence added or amended, a reservation made,
  consumed, released or expired. Rows are only ever inserted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from compliance.ledger.db import Tx

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "version"]

_V1 = """
CREATE TABLE ledger_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE licenses (
    id TEXT PRIMARY KEY,
    authority TEXT NOT NULL,
    terms TEXT NOT NULL,
    terms_sha256 TEXT NOT NULL,
    quantity BIGINT,
    value BIGINT,
    currency TEXT,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX licenses_valid ON licenses (valid_to, valid_from);
CREATE TABLE reservations (
    transaction_id TEXT NOT NULL,
    line INTEGER NOT NULL,
    license_id TEXT NOT NULL REFERENCES licenses (id),
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    value BIGINT NOT NULL CHECK (value >= 0),
    status TEXT NOT NULL CHECK (status IN ('reserved', 'consumed', 'released', 'expired')),
    reserved_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (transaction_id, line, license_id)
);
CREATE INDEX reservations_license ON reservations (license_id, status);
CREATE TABLE movements (
    seq {serial},
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('add', 'amend', 'reserve', 'consume', 'release', 'expire')),
    license_id TEXT NOT NULL,
    transaction_id TEXT,
    line INTEGER,
    quantity BIGINT,
    value BIGINT,
    detail TEXT NOT NULL
);
CREATE INDEX movements_license ON movements (license_id, seq);
CREATE INDEX movements_transaction ON movements (transaction_id, seq);
"""

_SERIAL = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgresql": "BIGSERIAL PRIMARY KEY"}


def _v1(tx: Tx) -> None:
    for statement in _V1.format(serial=_SERIAL[tx.dialect]).split(";"):
        if statement.strip():
            tx.run(statement)
    tx.run("INSERT INTO ledger_meta (key, value) VALUES (?, ?)", ("ledger_id", uuid.uuid4().hex))


# (version, description, apply); append only.
MIGRATIONS: tuple[tuple[int, str, Callable[[Tx], None]], ...] = ((1, "licences, reservations and movements", _v1),)
SCHEMA_VERSION = MIGRATIONS[-1][0]

# Any fixed 64-bit key: the advisory lock under which PostgreSQL ledgers are migrated.
_ADVISORY_KEY = 0x636F6D706C6C6467


def version(tx: Tx) -> int:
    """The database's schema version; 0 for a new (empty) database."""
    if tx.dialect == "postgresql":
        row = tx.one("SELECT to_regclass('ledger_schema') IS NOT NULL")
        exists = bool(row and row[0])
    else:
        exists = tx.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_schema'") is not None
    if not exists:
        return 0
    row = tx.one("SELECT MAX(version) FROM ledger_schema")
    return int(row[0]) if row and row[0] is not None else 0


def migrate(tx: Tx, now: str) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION` inside the write transaction ``tx``; the version before.

    Raises ``ValueError`` for a database written by a newer release."""
    if tx.dialect == "postgresql":
        tx.run("SELECT pg_advisory_xact_lock(?)", (_ADVISORY_KEY,))
    tx.run(
        "CREATE TABLE IF NOT EXISTS ledger_schema ("
        "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, description TEXT NOT NULL)"
    )
    row = tx.one("SELECT MAX(version) FROM ledger_schema")
    current = int(row[0]) if row and row[0] is not None else 0
    if current > SCHEMA_VERSION:
        raise ValueError(
            f"the ledger's schema is version {current}, newer than this release knows ({SCHEMA_VERSION}): "
            "it was written by a later release of compliance"
        )
    for version, description, apply in MIGRATIONS:
        if version > current:
            apply(tx)
            tx.run(
                "INSERT INTO ledger_schema (version, applied_at, description) VALUES (?, ?, ?)",
                (version, now, description),
            )
    return current
