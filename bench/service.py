"""Benchmark of `compliance serve` on loopback, with bounded request counts. Not a test.

    python bench/service.py                  # about a minute
    python bench/service.py --requests 5000  # quicker

Starts one server process (one worker, the bundled packs, no access log) on a free loopback port, and measures:

- /v1/check latency (p50, p99) and throughput at 8 concurrent keep-alive clients; the clients run in this
  process (asyncio) and share the 2 cores with the server, so the figures include their cost;
- /v1/check throughput from one sequential client;
- /v1/check/batch against `compliance check --format jsonl` on the same records (the CLI's figure includes its
  start-up and pack load, as a user running it per batch pays them);
- 20,000 requests at 8 clients with a reload by POST /v1/reload and one by SIGHUP mid-run: every answer must be
  200 and the same decision as before the reloads (errors are counted, never retried).

The corpus is the seeded synthetic one (tests/corpus.py). Targets: p50 < 2 ms, p99 < 10 ms, >= 2,000 checks/s
for a single worker, batch within 20% of the CLI, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import machine  # noqa: E402
from tests.corpus import corpus  # noqa: E402

HOST = "127.0.0.1"


class Server:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "serve", "--port", "0", "--no-access-log"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.process.stderr is not None
        line = self.process.stderr.readline().decode()
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not found:
            raise SystemExit(f"the server did not start: {line}")
        self.port = int(found.group(1))
        threading.Thread(target=self.process.stderr.read, daemon=True).start()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


def _request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status = int((await reader.readline()).split()[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value:
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    parts = []
    while True:
        size = int((await reader.readline()).strip(), 16)
        if size == 0:
            await reader.readline()
            return status, b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readline()


async def _clients(
    port: int,
    bodies: Sequence[bytes],
    total: int,
    clients: int,
    expect: Sequence[str] | None = None,
    on: dict[int, object] | None = None,
) -> tuple[list[float], int, list[str]]:
    """``total`` requests over ``clients`` connections; (latencies, errors, decisions in request order)."""
    latencies: list[float] = []
    decisions = [""] * total
    errors = 0
    counter = iter(range(total))
    requests = [_request("/v1/check", b) for b in bodies]

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(HOST, port)
        for i in counter:
            if on and i in on:
                action = on[i]
                assert callable(action)
                await asyncio.get_running_loop().run_in_executor(None, action)
            start = time.perf_counter()
            writer.write(requests[i % len(requests)])
            status, body = await _answer(reader)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors += 1
                continue
            decision = json.loads(body)["decision"]
            decisions[i] = decision
            if expect is not None and decision != expect[i % len(expect)]:
                errors += 1
        writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors, decisions


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _post(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    async def go() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 24)
        writer.write(_request(path, body))
        answer = await _answer(reader)
        writer.close()
        return answer

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=8000, help="requests for the latency run (default 8000)")
    parser.add_argument("--batch", type=int, default=10_000, help="records for the batch comparison")
    parser.add_argument("--soak", type=int, default=20_000, help="requests for the run with reloads")
    args = parser.parse_args()
    txs = list(corpus(2000, seed=13))
    bodies = [json.dumps(tx).encode() for tx in txs]
    server = Server()
    figures: list[tuple[str, str, str]] = []
    try:
        _, errors, warm = asyncio.run(_clients(server.port, bodies, len(bodies), 8))  # warm the memo, learn answers
        assert errors == 0, f"{errors} errors while warming up"
        start = time.perf_counter()
        latencies, errors, _ = asyncio.run(_clients(server.port, bodies, args.requests, 8, warm))
        elapsed = time.perf_counter() - start
        figures += [
            ("/v1/check p50, 8 concurrent clients", f"{_pct(latencies, 0.50) * 1000:.2f} ms", "< 2 ms"),
            ("/v1/check p99, 8 concurrent clients", f"{_pct(latencies, 0.99) * 1000:.2f} ms", "< 10 ms"),
            ("/v1/check throughput, 1 worker, 8 clients", f"{args.requests / elapsed:,.0f} checks/s", ">= 2,000"),
        ]
        start = time.perf_counter()
        single, errors1, _ = asyncio.run(_clients(server.port, bodies, min(args.requests, 4000), 1, warm))
        figures.append(
            (
                "/v1/check throughput, 1 worker, 1 client",
                f"{len(single) / (time.perf_counter() - start):,.0f} checks/s",
                "",
            )
        )
        errors += errors1

        records = [json.dumps(tx).encode() for tx in corpus(args.batch, seed=11)]
        batch_body = b"\n".join(records) + b"\n"
        start = time.perf_counter()
        status, out = _post(server.port, "/v1/check/batch", batch_body)
        batch_s = time.perf_counter() - start
        assert status == 200 and out.count(b"\n") == len(records), "the batch lost records"
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "orders.jsonl"
            src.write_bytes(batch_body)
            cli = [sys.executable, str(ROOT / "cli.py"), "check", str(src), "--format", "jsonl", "--quiet"]
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                subprocess.run(cli, stdout=subprocess.DEVNULL, cwd=ROOT, check=False)
                runs.append(time.perf_counter() - start)
        cli_s = min(runs)
        figures += [
            (f"/v1/check/batch, {args.batch:,} records", f"{args.batch / batch_s:,.0f} tx/s", ""),
            ("`compliance check --format jsonl`, same records", f"{args.batch / cli_s:,.0f} tx/s", ""),
            ("  batch / CLI", f"x{cli_s / batch_s:.2f}", ">= x0.80"),
        ]

        def reload() -> None:
            code, _ = _post(server.port, "/v1/reload", b"")
            assert code == 200, "reload failed"

        def hup() -> None:
            server.process.send_signal(signal.SIGHUP)

        soak_start = time.perf_counter()
        _, soak_errors, _ = asyncio.run(
            _clients(server.port, bodies, args.soak, 8, warm, on={args.soak // 2: reload, (3 * args.soak) // 4: hup})
        )
        figures += [
            (
                f"{args.soak:,} requests, reload + SIGHUP mid-run: errors",
                f"{soak_errors} ({args.soak / (time.perf_counter() - soak_start):,.0f} checks/s)",
                "0",
            ),
            ("errors in the latency and throughput runs", str(errors), "0"),
        ]
    finally:
        server.stop()
    print(f"machine: {machine()}")
    print("server: 1 worker, bundled packs, durable-rules; corpus: 2,000 distinct transactions, seeded; loopback")
    width = max(len(f[0]) for f in figures)
    for label, value, target in figures:
        print(f"{label.ljust(width)}  {value.ljust(22)}  {target}")
    print(f"(median of the 3 CLI runs: {statistics.median(runs):.2f} s)")


if __name__ == "__main__":
    main()
