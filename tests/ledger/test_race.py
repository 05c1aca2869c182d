"""Races with real processes: N processes reserve against one licence at once, with balance for fewer than N
lines. Exactly the balance is reserved, the rest denied, and the licence is never over-drawn; on SQLite
(``BEGIN IMMEDIATE``) and PostgreSQL (row locks). Slow: each process loads the packs and opens its own connection.

Three shapes: worker processes that all start deciding at one barrier (the most contention: most read the same
balance before anyone commits, so most have to be decided again), the real command line, ``compliance check
--db URL --reserve``, started N times at once, and N concurrent requests to ``serve --workers 2 --db URL``.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compliance.evaluate.balances import SCALE
from compliance.ledger import Ledger
from compliance.models.transaction import License
from tests.conftest import RULES

pytestmark = pytest.mark.slow

N = 8  # processes, one order line of 8 each
LINES_THAT_FIT = 5  # the licence's balance: 5 lines (40 units)
QUANTITY = 8


def _licence() -> License:
    return License.model_validate(
        {
            "id": "D-RACE",
            "authority": "US-BIS",
            "products": ["NVIDIA H20"],
            "destinations": ["CN"],
            "valid_from": "2025-01-01",
            "valid_to": "2026-12-31",
            "quantity": LINES_THAT_FIT * QUANTITY,
        }
    )


def _order(i: int) -> dict[str, object]:
    return {
        "id": f"SO-RACE-{i}",
        "date": "2025-09-01",
        "exporter": {"name": "NVIDIA Corporation", "country": "US"},
        "destination": "CN",
        "parties": [{"role": "end_user", "name": "Example Cloud Co., Ltd.", "country": "CN"}],
        "items": [{"line": 1, "product": "NVIDIA H20", "quantity": QUANTITY}],
    }


def _worker(url: str, i: int, barrier: Any, out: Any) -> None:
    from compliance import Engine
    from compliance.ledger import check_with_ledger
    from compliance.models.transaction import Transaction

    with Engine.from_directory(RULES) as engine, Ledger(url) as ledger:
        tx = Transaction.model_validate(_order(i))
        barrier.wait(timeout=120)
        checked = check_with_ledger(engine, tx, ledger, reserve=True)
        redecided = checked.reserved is not None and checked.reserved.redecided
        out.put((tx.id, checked.decision.decision, redecided, len(checked.movements)))


def _assert_exactly_the_balance(url: str, decisions: dict[str, str]) -> None:
    assert len(decisions) == N
    allowed = sorted(t for t, d in decisions.items() if d == "allow")
    assert len(allowed) == LINES_THAT_FIT and set(decisions.values()) == {"allow", "deny"}
    with Ledger(url) as ledger:
        balance = ledger.balance("D-RACE")
        assert balance.reserved_quantity == LINES_THAT_FIT * QUANTITY * SCALE and balance.quantity_left == 0
        held = [r for r in ledger.reservations(license="D-RACE") if r.status == "reserved"]
        assert sorted(r.transaction_id for r in held) == allowed  # the allowed ones, and only they, hold it
        reserves = [m for m in ledger.movements(license="D-RACE") if m.kind == "reserve"]
        assert sorted(m.transaction_id or "" for m in reserves) == allowed


def _race_processes(url: str) -> None:
    with Ledger(url) as ledger:
        ledger.add([_licence()])
    # A fork server that has imported the engine once: each worker is a fork of it (real, separate processes),
    # without paying the imports N times.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["compliance", "compliance.ledger", "tests.ledger.test_race"])
    barrier, out = ctx.Barrier(N), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, i, barrier, out)) for i in range(N)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in range(N)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    _assert_exactly_the_balance(url, {tid: decision for tid, decision, _, _ in results})
    for _, decision, _, moves in results:
        assert moves == (1 if decision == "allow" else 0)


def _race_cli(url: str, tmp: Path) -> None:
    with Ledger(url) as ledger:
        ledger.add([_licence()])
    import json

    files = []
    for i in range(N):
        path = tmp / f"order-{i}.json"
        path.write_text(json.dumps(_order(i)))
        files.append(path)
    exe = Path(sys.executable).parent / "compliance"
    procs = [
        subprocess.Popen(
            [str(exe), "check", str(f), "--db", url, "--reserve", "--format", "json", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    decisions = {}
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode in (0, 1), err
        data = json.loads(out)
        decisions[data["transaction_id"]] = data["decision"]
    _assert_exactly_the_balance(url, decisions)


def test_race_sqlite_processes(sqlite_url: str) -> None:
    _race_processes(sqlite_url)


def test_race_postgresql_processes(postgres_url: str) -> None:
    _race_processes(postgres_url)


def test_race_sqlite_command_line(sqlite_url: str, tmp_path: Path) -> None:
    _race_cli(sqlite_url, tmp_path)


def test_race_postgresql_command_line(postgres_url: str, tmp_path: Path) -> None:
    _race_cli(postgres_url, tmp_path)


def _race_server(url: str, tmp: Path) -> None:
    """Two `serve --workers 2` worker processes answering N concurrent `POST /v1/check?reserve=true`."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from compliance.audit.receipts import read_receipts
    from compliance.audit.verify import verify_log
    from tests.server.harness import Server

    with Ledger(url) as ledger:
        ledger.add([_licence()])
    log = tmp / "audit.jsonl"
    server = Server(["--workers", "2", "--db", url, "--audit-log", str(log), "--no-access-log"])
    try:
        with ThreadPoolExecutor(max_workers=N) as pool:
            replies = list(
                pool.map(
                    lambda i: server.request("POST", "/v1/check?reserve=true", json.dumps(_order(i)).encode()), range(N)
                )
            )
    finally:
        assert server.stop() == 0
    assert all(r.status == 200 for r in replies), [r.body[:200] for r in replies]
    decisions = {str(d["transaction_id"]): str(d["decision"]) for r in replies if isinstance(d := r.json(), dict)}
    _assert_exactly_the_balance(url, decisions)
    assert verify_log(log).broken is None
    kinds = [d["kind"] for _, _, d in read_receipts(log) if d is not None]
    assert kinds.count("movement") == LINES_THAT_FIT and kinds.count("decision") == N


def test_race_sqlite_two_server_workers(sqlite_url: str, tmp_path: Path) -> None:
    _race_server(sqlite_url, tmp_path)


def test_race_postgresql_two_server_workers(postgres_url: str, tmp_path: Path) -> None:
    _race_server(postgres_url, tmp_path)
