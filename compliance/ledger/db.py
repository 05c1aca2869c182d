"""The ledger's database: an embedded SQLite file (the default) or PostgreSQL (``postgresql://...``).

One connection per thread (the service answers on a thread pool) and per process (``--jobs`` workers open their
own). Two kinds of transactions:

- **read**: a consistent snapshot (SQLite: a deferred transaction in WAL mode, which readers share with one
  writer; PostgreSQL: ``REPEATABLE READ``);
- **write**: serialised against every other writer of the same licences. SQLite takes the database's write lock
  up front (``BEGIN IMMEDIATE``), so what a writer reads cannot change before it commits. PostgreSQL runs in
  ``READ COMMITTED`` and the writer locks the rows of the licences it draws on (``SELECT ... FOR UPDATE``, in
  id order); every change to a licence's reservations holds that row's lock, so the balance read after taking it
  stays true until commit. A deadlock (PostgreSQL aborts one side) or a busy SQLite file is retried a few times
  by the caller (:func:`retrying`).

SQLite runs with ``synchronous=FULL`` (a committed reservation survives a power cut: a lost one would free
balance that was promised) and a 30-second busy timeout. WAL needs a local file system (not NFS).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from compliance.errors import InputError, Location, Problem

__all__ = ["Database", "LedgerError", "Tx", "display_url", "retrying"]

Dialect = Literal["sqlite", "postgresql"]
Row = tuple[Any, ...]
_T = TypeVar("_T")

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another writer before giving up
RETRIES = 8  # deadlocks / busy files retried this many times


class LedgerError(InputError):
    """The ledger cannot do what was asked (no such licence, a broken file, a database that cannot be opened)."""

    def summary(self) -> str:
        return "the licence ledger was not changed"

    def __reduce__(self) -> tuple[type[LedgerError], tuple[list[Problem]]]:
        # Raised in a `--jobs` worker, it crosses to the parent pickled: rebuilt from its problems, not its text.
        return (type(self), (list(self.problems),))


class _Retry(Exception):
    """A transient conflict (deadlock, busy database): the whole operation may be run again."""


def display_url(url: str) -> str:
    """The URL without its password, for messages and receipts."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _problem(url: str, code: str, message: str, help: str | None = None) -> LedgerError:
    return LedgerError([Problem(Location(display_url(url)), code, message, help=help)])


class _Cursor(Protocol):
    @property
    def description(self) -> Any: ...
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


@dataclass
class Tx:
    """One open database transaction: ``run`` SQL written with ``?`` placeholders, in either dialect."""

    dialect: Dialect
    cursor: _Cursor
    locked: set[str]

    def run(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        self.cursor.execute(sql, tuple(params))
        if self.cursor.description is None:  # a statement without a result
            return []
        return [tuple(r) for r in self.cursor.fetchall()]

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        rows = self.run(sql, params)
        return rows[0] if rows else None

    def lock(self, license_ids: Sequence[str]) -> None:
        """Hold the rows of these licences until commit (PostgreSQL; SQLite's write transaction holds all)."""
        wanted = sorted(set(license_ids) - self.locked)
        if not wanted:
            return
        if self.dialect == "postgresql":
            marks = ",".join("?" * len(wanted))
            self.run(f"SELECT id FROM licenses WHERE id IN ({marks}) ORDER BY id FOR UPDATE", wanted)
        self.locked.update(wanted)


class Database:
    """Connections to one ledger database, one per thread; opened lazily, closed by :meth:`close`."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.shown = display_url(url)
        self.dialect: Dialect
        if url.startswith(("postgresql://", "postgres://")):
            self.dialect = "postgresql"
            self._target = url
        else:
            self.dialect = "sqlite"
            path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
            if url.startswith("sqlite://") and not url.startswith("sqlite:///"):
                raise _problem(url, "ledger-url", "a SQLite URL is sqlite:///PATH (three slashes), or just the path")
            if "://" in path:
                raise _problem(
                    url,
                    "ledger-url",
                    "not a ledger database: give a file path (SQLite) or a postgresql:// URL",
                    help="e.g. --db ledger.sqlite or --db postgresql://compliance@127.0.0.1:5432/ledger",
                )
            if not create and not Path(path).exists():
                raise _problem(
                    url,
                    "ledger-missing",
                    "there is no ledger at this path",
                    help="`compliance licenses add FILE --db PATH` creates one",
                )
            self._target = path
        self._local = threading.local()
        self._all: list[Any] = []
        self._guard = threading.Lock()

    # -- connections -------------------------------------------------------------------------------------------

    def _connect(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self.dialect == "sqlite":
            try:
                conn = sqlite3.connect(
                    self._target, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as exc:
                raise _problem(self.url, "ledger-open", f"cannot open the ledger: {exc}") from None
            try:
                _wal(conn)
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.Error as exc:
                _close(conn)  # not left to the garbage collector (Python 3.13 warns about an open connection)
                raise _problem(self.url, "ledger-open", f"cannot open the ledger: {exc}") from None
        else:
            try:
                import psycopg
            except ImportError:
                raise _problem(
                    self.url,
                    "ledger-postgres",
                    "a PostgreSQL ledger needs psycopg 3",
                    help="pip install 'compliance-engine[postgres]'",
                ) from None
            try:
                conn = psycopg.connect(self._target, connect_timeout=10)
                # A writer waits this long for another's row lock, then the operation is retried.
                conn.execute(f"SET lock_timeout = '{int(BUSY_TIMEOUT * 1000)}ms'")
                conn.commit()
            except psycopg.Error as exc:
                raise _problem(self.url, "ledger-open", f"cannot connect to the ledger: {_first_line(exc)}") from None
        self._local.conn = conn
        with self._guard:
            self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._guard:
            conns, self._all = self._all, []
        for conn in conns:
            _close(conn)
        self._local = threading.local()

    # -- transactions ------------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Tx]:
        """A read or write transaction; committed when the block ends, rolled back if it raises.

        A transient conflict raises :class:`_Retry` (the caller runs the whole operation again)."""
        conn = self._connect()
        if self.dialect == "sqlite":
            cursor = conn.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as exc:
                raise _Retry(str(exc)) from None
            try:
                yield Tx("sqlite", cursor, set())
            except BaseException as exc:
                conn.rollback()
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise _Retry(str(exc)) from None
                raise
            else:
                try:
                    cursor.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    conn.rollback()
                    raise _Retry(str(exc)) from None
            return
        import psycopg
        import psycopg.errors

        level = "READ COMMITTED" if write else "REPEATABLE READ"
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
                try:
                    yield Tx("postgresql", cursor, set())
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        except (
            psycopg.errors.DeadlockDetected,
            psycopg.errors.SerializationFailure,
            psycopg.errors.LockNotAvailable,
        ) as exc:
            conn.rollback()
            raise _Retry(_first_line(exc)) from None
        except psycopg.OperationalError as exc:
            # A dropped connection: forget it, so that the retry opens a new one.
            self._forget(conn)
            raise _Retry(_first_line(exc)) from None
        except psycopg.Error as exc:
            conn.rollback()
            raise _problem(self.url, "ledger-database", f"the database refused: {_first_line(exc)}") from None

    def _forget(self, conn: Any) -> None:
        self._local.conn = None
        with self._guard:
            if conn in self._all:
                self._all.remove(conn)
        _close(conn)

    def retrying(self, work: Callable[[], _T]) -> _T:
        return retrying(work, self.url)


def retrying(work: Callable[[], _T], url: str) -> _T:
    """Run ``work`` (a whole transaction) again after a transient conflict, a few times, then give up."""
    last = ""
    for attempt in range(RETRIES):
        try:
            return work()
        except _Retry as exc:
            last = str(exc)
            time.sleep(min(0.05 * 2**attempt, 1.0))
    raise _problem(url, "ledger-busy", f"the ledger stayed busy after {RETRIES} attempts ({last})", help="retry later")


def _wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. Switching a new file needs it to itself, and SQLite answers "locked" at once rather than
    waiting (the busy timeout does not cover it): several processes opening a new ledger together wait here."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.01
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


def _close(conn: Any) -> None:
    """Close a connection that may already be broken (by the server, or by another thread): nothing to add."""
    errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
    try:
        import psycopg

        errors += (psycopg.Error,)
    except ImportError:
        pass
    with contextlib.suppress(*errors):
        conn.close()


_SPACES = re.compile(r"\s+")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _SPACES.sub(" ", text[0]) if text else type(exc).__name__
