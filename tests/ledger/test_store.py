"""The ledger's store: migrations on open, master data, reservations, shipments, releases and expiry; every change a
movement. On SQLite in the default run and on PostgreSQL in the slow run (the ``ledger_url`` fixture)."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from compliance.evaluate.balances import SCALE
from compliance.ledger import Ledger, LedgerError
from compliance.ledger.schema import SCHEMA_VERSION
from compliance.ledger.store import Claim
from compliance.models.transaction import License, Transaction

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def lic(**over: object) -> License:
    data: dict[str, object] = {
        "id": "D100",
        "authority": "US-BIS",
        "products": ["NVIDIA H20"],
        "destinations": ["CN"],
        "valid_from": "2025-01-01",
        "valid_to": "2026-12-31",
        "quantity": 100,
        "value": 1_200_000,
        "currency": "USD",
    }
    data.update(over)
    return License.model_validate(data)


def order(tid: str = "SO-1", quantity: float = 10) -> Transaction:
    return Transaction.model_validate(
        {
            "id": tid,
            "date": "2025-09-01",
            "exporter": {"name": "NVIDIA Corporation", "country": "US"},
            "destination": "CN",
            "items": [
                {"line": 1, "product": "NVIDIA H20", "quantity": quantity, "unit_value": 12000, "currency": "USD"}
            ],
        }
    )


def reserve(ledger: Ledger, tx: Transaction, quantity: int, value: int = 0, hold: dt.timedelta | None = None) -> object:
    seen = ledger.candidates(tx, tx.date)
    claims = [Claim(1, "D100", quantity * SCALE, value * SCALE)]
    return ledger.reserve(tx, tx.date, seen, claims, lambda fresh: claims, hold=hold or dt.timedelta(days=1))


def test_opening_migrates_once_and_records_the_version(ledger_url: str) -> None:
    with Ledger(ledger_url) as first:
        ledger_id = first.id
    with Ledger(ledger_url) as again:  # a second open applies nothing and keeps the id
        assert again.id == ledger_id
        with again.db.transaction(write=False) as t:
            rows = t.run("SELECT version, description FROM ledger_schema ORDER BY version")
        assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))


def test_a_ledger_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    Ledger(str(path)).close()
    # `with connect()` only commits; closing() closes (Python 3.13 warns about a connection left open).
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("INSERT INTO ledger_schema VALUES (?, 'x', 'from the future')", (SCHEMA_VERSION + 1,))
    with pytest.raises(LedgerError) as err:
        Ledger(str(path))
    assert err.value.problems[0].code == "ledger-schema" and "newer" in err.value.problems[0].message


def test_a_missing_ledger_is_not_created_by_a_read(tmp_path: Path) -> None:
    with pytest.raises(LedgerError) as err:
        Ledger(str(tmp_path / "none.sqlite"), create=False)
    assert err.value.problems[0].code == "ledger-missing"
    assert not (tmp_path / "none.sqlite").exists()


def test_bad_urls_are_located_errors() -> None:
    for url in ["sqlite://relative.db", "mysql://x/y"]:
        with pytest.raises(LedgerError) as err:
            Ledger(url)
        assert err.value.problems[0].code == "ledger-url"


def test_add_is_all_or_nothing_and_idempotent(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        assert [m.kind for m in ledger.add([lic()])] == ["add"]
        assert ledger.add([lic()]) == []  # the same terms again: nothing
        with pytest.raises(LedgerError) as err:  # other terms for a known id, with a new licence: neither added
            ledger.add([lic(id="D200"), lic(quantity=50)])
        assert err.value.problems[0].code == "ledger-conflict"
        assert [b.license.id for b in ledger.balances()] == ["D100"]
        moves = ledger.add([lic(quantity=50)], replace=True)
        assert [m.kind for m in moves] == ["amend"] and ledger.balance("D100").license.quantity == 50
        with pytest.raises(LedgerError):
            ledger.add([lic(), lic()])
        with pytest.raises(LedgerError) as err:
            ledger.balance("nope")
        assert err.value.problems[0].code == "ledger-unknown-license"


def test_reserve_is_idempotent_per_transaction_and_line(ledger_url: str) -> None:
    with Ledger(ledger_url, clock=Clock()) as ledger:
        ledger.add([lic()])
        first = reserve(ledger, order(), 10, 120_000)
        assert [m.kind for m in first.movements] == ["reserve"]  # type: ignore[attr-defined]
        again = reserve(ledger, order(), 10, 120_000)
        assert again.movements == ()  # type: ignore[attr-defined]
        b = ledger.balance("D100")
        assert (b.reserved_quantity, b.quantity_left) == (10 * SCALE, 90 * SCALE)
        assert b.value_left == (1_200_000 - 120_000) * SCALE
        # The order changed (12 now): the old reservation is released and the new one made, net 12 held.
        changed = reserve(ledger, order(quantity=12), 12, 144_000)
        assert [m.kind for m in changed.movements] == ["release", "reserve"]  # type: ignore[attr-defined]
        assert ledger.balance("D100").quantity_left == 88 * SCALE


def test_candidates_leave_out_what_the_transaction_itself_holds(ledger_url: str) -> None:
    with Ledger(ledger_url, clock=Clock()) as ledger:
        ledger.add([lic()])
        reserve(ledger, order("SO-1"), 10)
        reserve(ledger, order("SO-2"), 30)
        (own,) = ledger.candidates(order("SO-1"), dt.date(2025, 9, 1))
        assert own.used_quantity == 30 * SCALE  # SO-2's, not SO-1's own 10 (its line needs them again)
        assert ledger.candidates(order("SO-1"), dt.date(2027, 1, 1)) == ()  # not valid then


def test_consume_release_and_their_refusals(ledger_url: str) -> None:
    with Ledger(ledger_url, clock=Clock()) as ledger:
        ledger.add([lic()])
        reserve(ledger, order("SO-1"), 10)
        reserve(ledger, order("SO-2"), 20)
        shipped = ledger.consume("SO-1")
        assert [m.kind for m in shipped.movements] == ["consume"] and not shipped.refused
        assert ledger.consume("SO-1").notes  # already consumed: a note, nothing moves
        assert ledger.release("SO-1").refused  # a shipment is not released
        released = ledger.release("SO-2")
        assert [m.kind for m in released.movements] == ["release"]
        assert ledger.consume("SO-2").refused  # a released reservation does not ship
        b = ledger.balance("D100")
        assert (b.consumed_quantity, b.reserved_quantity, b.quantity_left) == (10 * SCALE, 0, 90 * SCALE)
        with pytest.raises(LedgerError) as err:
            ledger.consume("SO-unknown")
        assert err.value.problems[0].code == "ledger-no-reservation"


def test_reservations_expire_after_their_hold(ledger_url: str) -> None:
    clock = Clock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.add([lic()])
        reserve(ledger, order("SO-1"), 60, hold=dt.timedelta(hours=2))
        assert ledger.balance("D100").quantity_left == 40 * SCALE
        clock.now = T0 + dt.timedelta(hours=2, seconds=1)
        assert ledger.balance("D100").quantity_left == 100 * SCALE  # past its time: no longer held
        # Another order takes the freed balance (recording the expiry on the way); the expired one can no longer
        # ship on it.
        taken = reserve(ledger, order("SO-2"), 50)
        kinds = [(m.kind, m.transaction_id) for m in taken.movements]  # type: ignore[attr-defined]
        assert kinds == [("expire", "SO-1"), ("reserve", "SO-2")]
        refused = ledger.consume("SO-1")
        assert refused.refused and "has 50 left, line needs 60" in refused.refused[0]
        assert ledger.expire().movements == ()


def test_expire_records_every_reservation_past_its_time(ledger_url: str) -> None:
    clock = Clock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.add([lic()])
        reserve(ledger, order("SO-1"), 10, hold=dt.timedelta(minutes=30))
        reserve(ledger, order("SO-2"), 10, hold=dt.timedelta(hours=3))
        clock.now = T0 + dt.timedelta(hours=1)
        expired = ledger.expire()
        assert [(m.kind, m.transaction_id) for m in expired.movements] == [("expire", "SO-1")]
        assert ledger.expire().movements == ()
        assert [r.status for r in ledger.reservations(license="D100")] == ["expired", "reserved"]


def test_an_expired_reservation_ships_if_the_balance_is_still_there(ledger_url: str) -> None:
    clock = Clock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.add([lic()])
        reserve(ledger, order("SO-1"), 60, hold=dt.timedelta(minutes=5))
        clock.now = T0 + dt.timedelta(hours=1)
        shipped = ledger.consume("SO-1")
        assert [m.kind for m in shipped.movements] == ["consume"] and "expired" in str(shipped.movements[0].detail)


def test_every_change_is_a_movement_in_order(ledger_url: str) -> None:
    with Ledger(ledger_url, clock=Clock()) as ledger:
        ledger.add([lic()])
        reserve(ledger, order("SO-1"), 10)
        ledger.consume("SO-1")
        moves = ledger.movements(license="D100")
        assert [m.kind for m in moves] == ["add", "reserve", "consume"]
        assert [m.seq for m in moves] == sorted(m.seq for m in moves)
        assert [m.kind for m in ledger.movements(transaction="SO-1")] == ["reserve", "consume"]


def test_the_database_refuses_an_over_draw_even_if_the_caller_claims_it(ledger_url: str) -> None:
    # Defence in depth: claims that do not fit (a defect upstream) roll the whole reservation back.
    with Ledger(ledger_url, clock=Clock()) as ledger:
        ledger.add([lic()])
        with pytest.raises(AssertionError, match="over-drawn"):
            reserve(ledger, order("SO-1"), 101)
        assert ledger.balance("D100").quantity_left == 100 * SCALE
        assert [m.kind for m in ledger.movements()] == ["add"]


def test_a_password_never_reaches_messages() -> None:
    from compliance.ledger import display_url

    assert display_url("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert display_url("ledger.sqlite") == "ledger.sqlite"


def test_a_ledger_error_crosses_from_a_worker_process_intact() -> None:
    import pickle

    from compliance.errors import Location, Problem

    err = LedgerError([Problem(Location("ledger.sqlite"), "ledger-busy", "stayed busy")])
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, LedgerError) and again.problems == err.problems


def test_one_licence_is_never_kept_twice_under_two_spellings(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger:
        ledger.add([lic()])
        for spelling in ["d100", "D-100", "D 100"]:
            with pytest.raises(LedgerError) as err:
                ledger.add([lic(id=spelling)])
            assert err.value.problems[0].code == "ledger-conflict" and "(the ledger has D100)" in str(err.value)
        with pytest.raises(LedgerError) as err:
            ledger.add([lic(id="A-1"), lic(id="a1")])
        assert err.value.problems[0].code == "ledger-duplicate"
        with pytest.raises(LedgerError) as err:
            ledger.add([lic(id="BIG", quantity=1e13)])
        assert err.value.problems[0].code == "ledger-amount"
        assert [b.license.id for b in ledger.balances()] == ["D100"]


def test_a_new_ledger_opened_by_many_at_once_is_created_once(ledger_url: str) -> None:
    import threading

    ids: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_it() -> None:
        try:
            start.wait(timeout=30)
            with Ledger(ledger_url) as ledger:
                ids.append(ledger.id)
        except BaseException as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(ids) == 6 and len(set(ids)) == 1
    with Ledger(ledger_url) as ledger, ledger.db.transaction(write=False) as t:
        assert t.run("SELECT COUNT(*) FROM ledger_schema") == [(SCHEMA_VERSION,)]
