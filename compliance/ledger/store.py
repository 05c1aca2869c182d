"""The licence ledger: licences as master data, and the reservations and shipments drawn from them.

A licence is stored in the transaction's licence shape (:class:`compliance.models.transaction.License`). Its
balance is its quantity (and value) less what transaction lines hold on it: reservations not yet expired, and
shipments (consumed reservations). Every change is one row in ``movements`` (see :mod:`compliance.ledger.schema`),
written in the same database transaction as the change itself.

A reservation is keyed by (transaction id, line, licence): reserving the same order again changes nothing;
reserving it after the order changed releases what the line no longer needs and reserves what it does. Drawing on
a licence always happens in one write transaction that holds the licence (see :mod:`compliance.ledger.db`) and
checks its balance again there; :mod:`compliance.ledger.determine` re-decides the order when the balance has
changed since it was evaluated, so a licence is never over-drawn.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from compliance.errors import Location, Problem
from compliance.evaluate.balances import LedgerLicense, micro, units
from compliance.evaluate.licenses import license_key
from compliance.ledger.db import Database, LedgerError, Tx
from compliance.ledger.schema import SCHEMA_VERSION, migrate, version
from compliance.models.transaction import License, Transaction

__all__ = [
    "DEFAULT_HOLD",
    "Balance",
    "Claim",
    "Ledger",
    "Movement",
    "Reservation",
    "ReserveResult",
    "StepResult",
    "stamp",
]

# The largest quantity or value kept, in micro-units (about 4.6 trillion units): sums of them stay inside the
# 64-bit integers of both databases.
MAX_AMOUNT = 2**62
DEFAULT_HOLD = dt.timedelta(days=7)  # how long a reservation holds its licence unless told otherwise
HELD = "(r.status = 'consumed' OR (r.status = 'reserved' AND r.expires_at > ?))"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """UTC, fixed width, so that text order is time order in both databases."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _terms(lic: License) -> str:
    return json.dumps(lic.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _amount(x: int | None) -> str | None:
    return None if x is None else units(x)


@dataclass(frozen=True, slots=True)
class Movement:
    """One row of the ledger's movements: what changed, on which licence, for which transaction line."""

    seq: int
    at: str
    kind: str  # add | amend | reserve | consume | release | expire
    license: str
    transaction_id: str | None = None
    line: int | None = None
    quantity: int | None = None
    value: int | None = None
    detail: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "license": self.license,
            "transaction_id": self.transaction_id,
            "line": self.line,
            "quantity": _amount(self.quantity),
            "value": _amount(self.value),
            "detail": self.detail,
        }

    def describe(self) -> str:
        what = f"{self.kind} licence {self.license}"
        if self.transaction_id is not None:
            what += f" for {self.transaction_id} line {self.line}"
        if self.quantity is not None:
            what += f": quantity {units(self.quantity, grouped=True)}"
            if self.value:
                what += f", value {units(self.value, grouped=True)}"
        reason = self.detail.get("reason")
        return what + (f" ({reason})" if reason else "")


@dataclass(frozen=True, slots=True)
class Reservation:
    transaction_id: str
    line: int
    license: str
    quantity: int
    value: int
    status: str  # reserved | consumed | released | expired
    reserved_at: str
    expires_at: str
    updated_at: str

    def held(self, now: str) -> bool:
        return self.status == "consumed" or (self.status == "reserved" and self.expires_at > now)

    def to_dict(self) -> dict[str, object]:
        return {
            "transaction_id": self.transaction_id,
            "line": self.line,
            "license": self.license,
            "quantity": units(self.quantity),
            "value": units(self.value),
            "status": self.status,
            "reserved_at": self.reserved_at,
            "expires_at": self.expires_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class Balance:
    """A licence with what is reserved (not expired) and consumed on it, in micro-units."""

    license: License
    reserved_quantity: int
    reserved_value: int
    consumed_quantity: int
    consumed_value: int
    added_at: str
    updated_at: str

    @property
    def quantity_left(self) -> int | None:
        q = self.license.quantity
        return None if q is None else micro(q) - self.reserved_quantity - self.consumed_quantity

    @property
    def value_left(self) -> int | None:
        v = self.license.value
        return None if v is None else micro(v) - self.reserved_value - self.consumed_value

    def to_dict(self) -> dict[str, object]:
        return {
            "license": self.license.model_dump(mode="json"),
            "reserved": {"quantity": units(self.reserved_quantity), "value": units(self.reserved_value)},
            "consumed": {"quantity": units(self.consumed_quantity), "value": units(self.consumed_value)},
            "left": {"quantity": _amount(self.quantity_left), "value": _amount(self.value_left)},
            "added_at": self.added_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class Claim:
    """What one allowed line draws from one licence (micro-units)."""

    line: int
    license: str
    quantity: int
    value: int


@dataclass(frozen=True, slots=True)
class ReserveResult:
    """The outcome of reserving one transaction: the licences and balances the final decision saw, whether the
    decision had to be made again (the balance changed since evaluation), the movements, the transaction's
    reservations afterwards, and notes (lines already shipped)."""

    seen: tuple[LedgerLicense, ...]
    redecided: bool
    movements: tuple[Movement, ...]
    reservations: tuple[Reservation, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StepResult:
    """The outcome of consume, release or expire: the movements, and what could not be done (with why)."""

    movements: tuple[Movement, ...]
    refused: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


Redecide = Callable[[tuple[LedgerLicense, ...]], list[Claim]]


class Ledger:
    """One licence ledger database (``url``: a SQLite path or ``postgresql://...``); the schema is migrated on
    open. Safe to share between threads (one connection each); every process opens its own."""

    def __init__(self, url: str, *, create: bool = True, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.db = Database(url, create=create)
        self.clock = clock
        self._parsed: dict[tuple[str, str], License] = {}
        try:
            self.id = self.db.retrying(self._open)
        except BaseException:
            self.db.close()
            raise

    @property
    def url(self) -> str:
        """The URL without its password."""
        return self.db.shown

    def _now(self) -> str:
        return stamp(self.clock())

    def _open(self) -> str:
        with self.db.transaction(write=False) as t:
            current = version(t)
            row = t.one("SELECT value FROM ledger_meta WHERE key = 'ledger_id'") if current else None
        if current < SCHEMA_VERSION or row is None:
            with self.db.transaction(write=True) as t:
                try:
                    migrate(t, self._now())
                except ValueError as exc:
                    raise self._error("ledger-schema", str(exc), "upgrade compliance to open this ledger") from None
                row = t.one("SELECT value FROM ledger_meta WHERE key = 'ledger_id'")
        elif current > SCHEMA_VERSION:
            raise self._error(
                "ledger-schema",
                f"the ledger's schema is version {current}, newer than this release knows ({SCHEMA_VERSION})",
                "upgrade compliance to open this ledger",
            )
        assert row is not None
        return str(row[0])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, code: str, message: str, help: str | None = None) -> LedgerError:
        return LedgerError([Problem(Location(self.url), code, message, help=help)])

    def _license(self, lid: str, terms: str) -> License:
        key = (lid, terms)
        lic = self._parsed.get(key)
        if lic is None:
            lic = self._parsed[key] = License.model_validate(json.loads(terms))
        return lic

    # -- movements ---------------------------------------------------------------------------------------------

    def _move(
        self,
        t: Tx,
        now: str,
        kind: str,
        license_id: str,
        transaction_id: str | None = None,
        line: int | None = None,
        quantity: int | None = None,
        value: int | None = None,
        detail: dict[str, object] | None = None,
    ) -> Movement:
        detail = detail or {}
        text = json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        row = t.one(
            "INSERT INTO movements (at, kind, license_id, transaction_id, line, quantity, value, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            (now, kind, license_id, transaction_id, line, quantity, value, text),
        )
        assert row is not None
        return Movement(int(row[0]), now, kind, license_id, transaction_id, line, quantity, value, dict(detail))

    def movements(
        self, *, license: str | None = None, transaction: str | None = None, after: int = 0
    ) -> list[Movement]:
        where: list[str] = ["seq > ?"]
        params: list[object] = [after]
        if license is not None:
            where.append("license_id = ?")
            params.append(license)
        if transaction is not None:
            where.append("transaction_id = ?")
            params.append(transaction)
        with self.db.transaction(write=False) as t:
            rows = t.run(
                "SELECT seq, at, kind, license_id, transaction_id, line, quantity, value, detail FROM movements "
                f"WHERE {' AND '.join(where)} ORDER BY seq",
                params,
            )
        return [
            Movement(
                int(r[0]),
                r[1],
                r[2],
                r[3],
                r[4],
                None if r[5] is None else int(r[5]),
                None if r[6] is None else int(r[6]),
                None if r[7] is None else int(r[7]),
                json.loads(r[8]),
            )
            for r in rows
        ]

    # -- master data -------------------------------------------------------------------------------------------

    def add(self, licenses: Sequence[License], *, replace: bool = False, source: str = "") -> list[Movement]:
        """Add licences (all or none). The same terms again change nothing; other terms for a known id are refused
        unless ``replace`` (an amendment, recorded as ``amend``)."""
        ids = [lic.id for lic in licenses]
        keys = [license_key(i) for i in ids]
        repeated = sorted({i for i, k in zip(ids, keys, strict=True) if keys.count(k) > 1})
        if repeated:
            raise self._error("ledger-duplicate", f"licence id(s) given more than once: {', '.join(repeated)}")
        huge = [lic.id for lic in licenses if max(micro(lic.quantity or 0), micro(lic.value or 0)) > MAX_AMOUNT]
        if huge:
            raise self._error(
                "ledger-amount",
                f"licence(s) {', '.join(huge)}: quantity or value over {units(MAX_AMOUNT, grouped=True)}, more than "
                "the ledger keeps exactly",
            )

        def work() -> list[Movement]:
            out: list[Movement] = []
            refused: list[str] = []
            with self.db.transaction(write=True) as t:
                now = self._now()
                t.lock(ids)
                # Another spelling of a licence number already in the ledger (`D-100` for `D100`) is the same
                # licence: refused, so that one licence is never kept (and drawn) twice.
                known = {license_key(r[0]): r[0] for r in t.run("SELECT id FROM licenses")}
                clash = sorted(f"{i} (the ledger has {known[k]})" for i, k in zip(ids, keys, strict=True)
                               if k in known and known[k] != i)  # fmt: skip
                if clash:
                    raise self._error(
                        "ledger-conflict",
                        f"licence number(s) {', '.join(clash)} are the same licence spelt otherwise; nothing was added",
                        "use the ledger's spelling (with --replace to amend it)",
                    )
                for lic in licenses:
                    terms = _terms(lic)
                    sha = hashlib.sha256(terms.encode("utf-8")).hexdigest()
                    row = t.one("SELECT terms_sha256 FROM licenses WHERE id = ?", (lic.id,))
                    columns = (
                        lic.authority,
                        terms,
                        sha,
                        None if lic.quantity is None else micro(lic.quantity),
                        None if lic.value is None else micro(lic.value),
                        lic.currency,
                        lic.valid_from.isoformat(),
                        lic.valid_to.isoformat(),
                    )
                    extra: dict[str, object] = {"terms_sha256": sha, **({"source": source} if source else {})}
                    if row is None:
                        t.run(
                            "INSERT INTO licenses (authority, terms, terms_sha256, quantity, value, currency, "
                            "valid_from, valid_to, id, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (*columns, lic.id, now, now),
                        )
                        out.append(
                            self._move(t, now, "add", lic.id, quantity=columns[3], value=columns[4], detail=extra)
                        )
                    elif row[0] == sha:
                        continue
                    elif replace:
                        t.run(
                            "UPDATE licenses SET authority = ?, terms = ?, terms_sha256 = ?, quantity = ?, value = ?, "
                            "currency = ?, valid_from = ?, valid_to = ?, updated_at = ? WHERE id = ?",
                            (*columns, now, lic.id),
                        )
                        out.append(
                            self._move(
                                t,
                                now,
                                "amend",
                                lic.id,
                                quantity=columns[3],
                                value=columns[4],
                                detail={"previous": row[0], **extra},
                            )
                        )
                    else:
                        refused.append(lic.id)
                if refused:
                    raise self._error(
                        "ledger-conflict",
                        f"licence(s) {', '.join(refused)} are already in the ledger with other terms; nothing was added",
                        "pass --replace to amend them (recorded as an `amend` movement)",
                    )
            return out

        return self.db.retrying(work)

    def balances(self, *, ids: Iterable[str] | None = None) -> list[Balance]:
        """Every licence (or those named) with what is reserved and consumed on it, expiring first."""
        wanted = None if ids is None else sorted(set(ids))
        with self.db.transaction(write=False) as t:
            now = self._now()
            where = ""
            params: list[object] = [now, now]
            if wanted is not None:
                if not wanted:
                    return []
                where = f"WHERE l.id IN ({','.join('?' * len(wanted))})"
                params += wanted
            rows = t.run(
                "SELECT l.id, l.terms, l.added_at, l.updated_at, "
                "COALESCE(SUM(CASE WHEN r.status = 'reserved' AND r.expires_at > ? THEN r.quantity END), 0), "
                "COALESCE(SUM(CASE WHEN r.status = 'reserved' AND r.expires_at > ? THEN r.value END), 0), "
                "COALESCE(SUM(CASE WHEN r.status = 'consumed' THEN r.quantity END), 0), "
                "COALESCE(SUM(CASE WHEN r.status = 'consumed' THEN r.value END), 0) "
                f"FROM licenses l LEFT JOIN reservations r ON r.license_id = l.id {where} "
                "GROUP BY l.id, l.terms, l.added_at, l.updated_at, l.valid_to, l.valid_from "
                "ORDER BY l.valid_to, l.valid_from, l.id",
                params,
            )
        return [
            Balance(self._license(r[0], r[1]), int(r[4]), int(r[5]), int(r[6]), int(r[7]), r[2], r[3]) for r in rows
        ]

    def balance(self, license_id: str) -> Balance:
        found = self.balances(ids=[license_id])
        if not found:
            raise self._error("ledger-unknown-license", f"no licence {license_id!r} in the ledger")
        return found[0]

    def reservations(self, *, license: str | None = None, transaction: str | None = None) -> list[Reservation]:
        with self.db.transaction(write=False) as t:
            return self._reservations(t, license=license, transaction=transaction)

    def _reservations(
        self, t: Tx, *, license: str | None = None, transaction: str | None = None, lines: Sequence[int] | None = None
    ) -> list[Reservation]:
        where: list[str] = ["1 = 1"]
        params: list[object] = []
        if license is not None:
            where.append("license_id = ?")
            params.append(license)
        if transaction is not None:
            where.append("transaction_id = ?")
            params.append(transaction)
        if lines:
            where.append(f"line IN ({','.join('?' * len(lines))})")
            params += list(lines)
        rows = t.run(
            "SELECT transaction_id, line, license_id, quantity, value, status, reserved_at, expires_at, updated_at "
            f"FROM reservations WHERE {' AND '.join(where)} ORDER BY transaction_id, line, license_id",
            params,
        )
        return [Reservation(r[0], int(r[1]), r[2], int(r[3]), int(r[4]), r[5], r[6], r[7], r[8]) for r in rows]

    # -- determination -----------------------------------------------------------------------------------------

    def candidates(self, tx: Transaction, on: dt.date) -> tuple[LedgerLicense, ...]:
        """The ledger's licences valid on ``on`` (and any the order names), with what *other* transactions hold on
        them: the order's own reservations and shipments are its lines, counted once as what it needs."""
        with self.db.transaction(write=False) as t:
            return self._candidates(t, tx, on, self._now())

    def _candidates(self, t: Tx, tx: Transaction, on: dt.date, now: str) -> tuple[LedgerLicense, ...]:
        day = on.isoformat()
        named: list[str] = []
        if tx.licenses:  # the ledger's licences the order names, however spelt, whatever their dates
            keys = {license_key(lic.id) for lic in tx.licenses}
            named = sorted(r[0] for r in t.run("SELECT id FROM licenses") if license_key(r[0]) in keys)
        also = f" OR l.id IN ({','.join('?' * len(named))})" if named else ""
        rows = t.run(
            "SELECT l.id, l.terms, COALESCE(SUM(r.quantity), 0), COALESCE(SUM(r.value), 0) "
            f"FROM licenses l LEFT JOIN reservations r ON r.license_id = l.id AND r.transaction_id <> ? AND {HELD} "
            f"WHERE (l.valid_from <= ? AND l.valid_to >= ?){also} "
            "GROUP BY l.id, l.terms, l.valid_to, l.valid_from ORDER BY l.valid_to, l.valid_from, l.id",
            (tx.id, now, day, day, *named),
        )
        return tuple(LedgerLicense(self._license(r[0], r[1]), int(r[2]), int(r[3])) for r in rows)

    def reserve(
        self,
        tx: Transaction,
        on: dt.date,
        seen: tuple[LedgerLicense, ...],
        claims: list[Claim],
        redecide: Redecide,
        *,
        hold: dt.timedelta = DEFAULT_HOLD,
    ) -> ReserveResult:
        """Make the transaction's reservations ``claims`` (from a decision made on ``seen``), in one write
        transaction that holds the licences drawn on and reads their balances again. If any of them changed, the
        order is decided again on what the ledger now holds (``redecide`` gives the new claims), until the
        licences it draws on are held and unchanged; lines no longer covered release what they held."""

        def work() -> ReserveResult:
            with self.db.transaction(write=True) as t:
                now_at = self.clock()
                now = stamp(now_at)
                current, wanted, redecided = seen, list(claims), False
                while True:
                    existing = self._reservations(t, transaction=tx.id)
                    t.lock([c.license for c in wanted] + [r.license for r in existing])
                    fresh = self._candidates(t, tx, on, now)
                    before = {b.license.id: b for b in current}
                    after = {b.license.id: b for b in fresh}
                    if all(before.get(i) == after.get(i) for i in t.locked):
                        break
                    current, wanted, redecided = fresh, redecide(fresh), True
                moves, notes = self._apply(t, tx.id, wanted, now, stamp(now_at + hold))
                after_rows = self._reservations(t, transaction=tx.id)
            return ReserveResult(current, redecided, tuple(moves), tuple(after_rows), tuple(notes))

        return self.db.retrying(work)

    def _sweep(self, t: Tx, now: str, license_ids: Sequence[str] | None) -> list[Movement]:
        """Reservations past their time on these licences (all, with None) become ``expired``, each a movement."""
        where = ""
        params: list[object] = [now, now]
        if license_ids is not None:
            if not license_ids:
                return []
            where = f" AND license_id IN ({','.join('?' * len(license_ids))})"
            params += list(license_ids)
        rows = t.run(
            "UPDATE reservations SET status = 'expired', updated_at = ? "
            f"WHERE status = 'reserved' AND expires_at <= ?{where} "
            "RETURNING transaction_id, line, license_id, quantity, value, expires_at",
            params,
        )
        return [
            self._move(t, now, "expire", r[2], r[0], int(r[1]), int(r[3]), int(r[4]), {"reason": f"held until {r[5]}"})
            for r in sorted(rows, key=lambda r: (r[2], r[0], r[1]))
        ]

    def _apply(
        self,
        t: Tx,
        transaction_id: str,
        claims: list[Claim],
        now: str,
        until: str,
    ) -> tuple[list[Movement], list[str]]:
        moves = self._sweep(t, now, sorted(t.locked))
        rows = {(r.line, r.license): r for r in self._reservations(t, transaction=transaction_id)}
        shipped = {r.line for r in rows.values() if r.status == "consumed"}
        notes: list[str] = []
        wanted: dict[tuple[int, str], Claim] = {}
        for c in claims:
            if c.line in shipped:
                notes.append(f"{transaction_id} line {c.line} has already shipped (consumed); nothing reserved")
                continue
            wanted[(c.line, c.license)] = c
        for key, held in sorted(rows.items()):
            if held.status == "reserved" and key not in wanted:
                t.run(
                    "UPDATE reservations SET status = 'released', updated_at = ? "
                    "WHERE transaction_id = ? AND line = ? AND license_id = ?",
                    (now, transaction_id, held.line, held.license),
                )
                moves.append(
                    self._move(
                        t, now, "release", held.license, transaction_id, held.line, held.quantity, held.value,
                        {"reason": "checked again: the line no longer draws on this licence"},
                    )
                )  # fmt: skip
        grew: set[str] = set()
        for key, c in sorted(wanted.items()):
            r = rows.get(key)
            if r is not None and r.status == "reserved" and (r.quantity, r.value) == (c.quantity, c.value):
                continue  # the same reservation again: nothing changes
            if r is not None and r.status == "reserved":
                moves.append(
                    self._move(
                        t, now, "release", c.license, transaction_id, c.line, r.quantity, r.value,
                        {"reason": "the order changed: reserved again with the new amounts"},
                    )
                )  # fmt: skip
            t.run(
                "INSERT INTO reservations (transaction_id, line, license_id, quantity, value, status, reserved_at, "
                "expires_at, updated_at) VALUES (?, ?, ?, ?, ?, 'reserved', ?, ?, ?) "
                "ON CONFLICT (transaction_id, line, license_id) DO UPDATE SET quantity = excluded.quantity, "
                "value = excluded.value, status = 'reserved', reserved_at = excluded.reserved_at, "
                "expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                (transaction_id, c.line, c.license, c.quantity, c.value, now, until, now),
            )
            moves.append(
                self._move(
                    t, now, "reserve", c.license, transaction_id, c.line, c.quantity, c.value, {"expires_at": until}
                )
            )
            grew.add(c.license)
        self._never_overdrawn(t, sorted(grew), now)
        return moves, notes

    def _never_overdrawn(self, t: Tx, license_ids: Sequence[str], now: str) -> None:
        """Defence in depth: after drawing, what is held on each licence drawn on fits in it. The decision already
        checked this; a failure here is a defect, and the whole transaction is rolled back."""
        if not license_ids:
            return
        marks = ",".join("?" * len(license_ids))
        rows = t.run(
            "SELECT l.id, l.quantity, l.value, COALESCE(SUM(r.quantity), 0), COALESCE(SUM(r.value), 0) "
            f"FROM licenses l LEFT JOIN reservations r ON r.license_id = l.id AND {HELD} "
            f"WHERE l.id IN ({marks}) GROUP BY l.id, l.quantity, l.value",
            (now, *license_ids),
        )
        for lid, quantity, value, held_q, held_v in rows:
            if (quantity is not None and int(held_q) > int(quantity)) or (
                value is not None and int(held_v) > int(value)
            ):
                raise AssertionError(f"licence {lid} would be over-drawn; nothing was reserved")

    # -- shipment, cancellation, expiry ------------------------------------------------------------------------

    def _rows_of(self, t: Tx, transaction_id: str, lines: Sequence[int] | None) -> list[Reservation]:
        rows = self._reservations(t, transaction=transaction_id, lines=lines)
        if not rows:
            which = f" line(s) {', '.join(map(str, lines))}" if lines else ""
            raise self._error(
                "ledger-no-reservation",
                f"no reservation for transaction {transaction_id!r}{which} in the ledger",
                "reserve it first: `compliance check ORDER --db URL --reserve`",
            )
        return rows

    def consume(self, transaction_id: str, lines: Sequence[int] | None = None) -> StepResult:
        """The transaction shipped: its reservations become shipments. A reservation that expired is consumed only
        if the licence still has the balance for it (checked again, holding the licence); otherwise it is refused."""

        def work() -> StepResult:
            moves: list[Movement] = []
            refused: list[str] = []
            notes: list[str] = []
            with self.db.transaction(write=True) as t:
                now = self._now()
                rows = self._rows_of(t, transaction_id, lines)
                t.lock([r.license for r in rows])
                for r in rows:
                    where = f"{transaction_id} line {r.line} on licence {r.license}"
                    if r.status == "consumed":
                        notes.append(f"{where}: already consumed")
                        continue
                    if r.status == "released":
                        refused.append(f"{where}: the reservation was released; check the order again with --reserve")
                        continue
                    detail: dict[str, object] = {}
                    if not r.held(now):
                        short = self._short(t, r, now)
                        if short:
                            refused.append(f"{where}: the reservation expired at {r.expires_at} and {short}")
                            continue
                        detail["reason"] = (
                            f"the reservation had expired at {r.expires_at}; the balance was checked again"
                        )
                    t.run(
                        "UPDATE reservations SET status = 'consumed', updated_at = ? "
                        "WHERE transaction_id = ? AND line = ? AND license_id = ?",
                        (now, transaction_id, r.line, r.license),
                    )
                    moves.append(
                        self._move(t, now, "consume", r.license, transaction_id, r.line, r.quantity, r.value, detail)
                    )
            return StepResult(tuple(moves), tuple(refused), tuple(notes))

        return self.db.retrying(work)

    def _short(self, t: Tx, r: Reservation, now: str) -> str:
        """Why an expired reservation cannot be consumed now ("" when the licence still has room for it)."""
        row = t.one(
            "SELECT l.quantity, l.value, COALESCE(SUM(x.quantity), 0), COALESCE(SUM(x.value), 0) "
            "FROM licenses l LEFT JOIN reservations x ON x.license_id = l.id AND NOT "
            "(x.transaction_id = ? AND x.line = ?) AND "
            "(x.status = 'consumed' OR (x.status = 'reserved' AND x.expires_at > ?)) "
            "WHERE l.id = ? GROUP BY l.quantity, l.value",
            (r.transaction_id, r.line, now, r.license),
        )
        assert row is not None
        quantity, value, held_q, held_v = row
        if quantity is not None and int(held_q) + r.quantity > int(quantity):
            left = max(int(quantity) - int(held_q), 0)
            return f"licence {r.license} has {units(left, grouped=True)} left, line needs {units(r.quantity, grouped=True)}"
        if value is not None and int(held_v) + r.value > int(value):
            left = max(int(value) - int(held_v), 0)
            return (
                f"licence {r.license} has {units(left, grouped=True)} of its value left, line needs "
                f"{units(r.value, grouped=True)}"
            )
        return ""

    def release(self, transaction_id: str, lines: Sequence[int] | None = None) -> StepResult:
        """The order was cancelled: its reservations free their balance. A shipped line cannot be released."""

        def work() -> StepResult:
            moves: list[Movement] = []
            refused: list[str] = []
            notes: list[str] = []
            with self.db.transaction(write=True) as t:
                now = self._now()
                rows = self._rows_of(t, transaction_id, lines)
                t.lock([r.license for r in rows])
                for r in rows:
                    where = f"{transaction_id} line {r.line} on licence {r.license}"
                    if r.status == "consumed":
                        refused.append(f"{where}: already shipped (consumed); a shipment is not released")
                        continue
                    if r.status in ("released", "expired"):
                        notes.append(f"{where}: already {r.status}")
                        continue
                    t.run(
                        "UPDATE reservations SET status = 'released', updated_at = ? "
                        "WHERE transaction_id = ? AND line = ? AND license_id = ?",
                        (now, transaction_id, r.line, r.license),
                    )
                    moves.append(self._move(t, now, "release", r.license, transaction_id, r.line, r.quantity, r.value))
            return StepResult(tuple(moves), tuple(refused), tuple(notes))

        return self.db.retrying(work)

    def expire(self) -> StepResult:
        """Every reservation past its time becomes ``expired`` (a movement each). Balances already ignore them;
        this records it."""

        def work() -> StepResult:
            with self.db.transaction(write=True) as t:
                now = self._now()
                due = t.run(
                    "SELECT DISTINCT license_id FROM reservations WHERE status = 'reserved' AND expires_at <= ?", (now,)
                )
                ids = sorted(r[0] for r in due)
                t.lock(ids)
                return StepResult(tuple(self._sweep(t, now, ids)))

        return self.db.retrying(work)
