"""Benchmark: throughput, latency, per-stage cost, cold start and streaming memory. Not a test.

    python bench/run.py            # quick: a few seconds per figure
    python bench/run.py --full     # the figures quoted in the README (1M-record stream: several minutes)

The corpus is synthetic and seeded (tests/corpus.py): products incl. unknown ones, destinations incl.
embargoed, listed and near-listed party names, dates 2023-2026, 1-5 lines per transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compliance import Engine, Transaction  # noqa: E402
from compliance.io.pipeline import evaluate_records_parallel  # noqa: E402
from compliance.io.readers import Record  # noqa: E402
from compliance.io.render import decision_json  # noqa: E402
from compliance.source import Document  # noqa: E402
from tests.corpus import corpus  # noqa: E402

RULES = str(ROOT / "rules")


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )


def throughput(engine: Engine, txs: list[dict[str, object]], *, serialise: bool) -> tuple[float, float]:
    lines = sum(len(t["items"]) for t in txs)  # type: ignore[arg-type]
    start = time.perf_counter()
    for d in engine.evaluate_many(txs):
        if serialise:
            decision_json(d, indent=None)
    elapsed = time.perf_counter() - start
    return len(txs) / elapsed, lines / elapsed


def parallel(txs: list[dict[str, object]], jobs: int) -> float:
    # As `check --jobs` does: the parent parses, workers validate, evaluate and serialise.
    records = [Record("bench", i, None, (), Document("bench", t)) for i, t in enumerate(txs)]
    start = time.perf_counter()
    n = sum(1 for _ in evaluate_records_parallel([RULES], records, jobs=jobs))
    return n / (time.perf_counter() - start)


def latency(engine: Engine, txs: list[dict[str, object]]) -> tuple[float, float]:
    parsed = [Transaction.model_validate(t) for t in txs]
    samples = []
    for tx in parsed:
        start = time.perf_counter_ns()
        engine.evaluate(tx)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def stages(engine: Engine, txs: list[dict[str, object]]) -> dict[str, float]:
    """Microseconds per transaction in each step, measured by running the steps one after another."""
    from compliance.evaluate.resolve import line_decision, resolve_line

    n = len(txs)
    t0 = time.perf_counter()
    parsed = [Transaction.model_validate(t) for t in txs]
    t1 = time.perf_counter()
    enriched = [engine._enricher.enrich(tx) for tx in parsed]
    t2 = time.perf_counter()
    fired = [engine._matcher.match([lf.fact for lf in lines]) for _, lines in enriched]
    t3 = time.perf_counter()
    for tx, (parties, lines), hits in zip(parsed, enriched, fired, strict=True):
        for lf, idx in zip(lines, hits, strict=True):
            fs = resolve_line(tx, tx.date, lf, [engine.rules[i] for i in idx], parties, engine.packset.catalog)
            line_decision(lf, fs, [])
    t4 = time.perf_counter()
    decisions = [engine.evaluate(tx) for tx in parsed]
    t5 = time.perf_counter()
    for d in decisions:
        decision_json(d, indent=None)
    t6 = time.perf_counter()
    return {
        "parse+validate": (t1 - t0) / n * 1e6,
        "enrich": (t2 - t1) / n * 1e6,
        "match": (t3 - t2) / n * 1e6,
        "resolve": (t4 - t3) / n * 1e6,
        "evaluate (all steps)": (t5 - t4) / n * 1e6,
        "serialise (JSON)": (t6 - t5) / n * 1e6,
    }


def cold_start(runs: int = 5) -> float:
    exe = [
        sys.executable,
        str(ROOT / "cli.py"),
        "check",
        str(ROOT / "examples" / "h20-to-china.yaml"),
        "--rules",
        RULES,
    ]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(exe, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stream_memory(n: int) -> tuple[float, float]:
    """Peak RSS (MB) and seconds of `check --format jsonl` over n streamed transactions."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "stream.jsonl"
        with src.open("w") as out:
            for tx in corpus(n, seed=99):
                out.write(json.dumps(tx) + "\n")
        start = time.perf_counter()
        exe = [
            sys.executable,
            str(ROOT / "cli.py"),
            "check",
            str(src),
            "--rules",
            RULES,
            "--format",
            "jsonl",
            "--quiet",
        ]
        # Measured through a fresh wrapper process, so the peak is this run's alone (not earlier workers').
        wrapper = (
            "import resource, subprocess, sys;"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        done = subprocess.run([sys.executable, "-c", wrapper, *exe], capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
    return int(done.stdout.strip() or 0) / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="bigger corpora and the 1M-record stream")
    args = parser.parse_args()
    n = 50_000 if args.full else 10_000
    stream_n = 1_000_000 if args.full else 50_000
    txs = list(corpus(n))
    lines = sum(len(t["items"]) for t in txs)  # type: ignore[arg-type]
    print(f"machine: {machine()}")
    print(f"corpus: {n} transactions, {lines / n:.2f} lines each on average (seeded)")
    with Engine.from_directory(RULES) as engine:
        print(f"packs: {', '.join(f'{p.id} {p.version}' for p in engine.pack_refs)}; {len(engine.rules)} rules")
        # The first pass fills the match cache; a nightly ERP batch repeats its patterns like the second pass.
        tps, lps = throughput(engine, txs, serialise=False)
        print(
            f"evaluate_many, durable-rules + memo, 1 process, first pass (cache filling): {tps:,.0f} tx/s, {lps:,.0f} lines/s"
        )
        tps, lps = throughput(engine, txs, serialise=False)
        print(
            f"evaluate_many, durable-rules + memo, 1 process, second pass (cache warm):  {tps:,.0f} tx/s, {lps:,.0f} lines/s"
        )
        tps_j, _ = throughput(engine, txs, serialise=True)
        print(f"  ... second pass including JSON serialisation of each decision:          {tps_j:,.0f} tx/s")
        memo = engine._matcher
        print(f"  match cache: {getattr(memo, 'hits', 0):,} hits, {getattr(memo, 'misses', 0):,} misses")
        p50, p99 = latency(engine, txs[:5000])
        print(f"evaluate latency (warm): p50 {p50:.3f} ms, p99 {p99:.3f} ms")
        print("per-stage cost (us per transaction):")
        for stage, us in stages(engine, txs[:5000]).items():
            print(f"  {stage:<22} {us:8.1f}")
    with Engine.from_directory(RULES, memoize=False) as plain:
        tps_plain, _ = throughput(plain, txs[:5000], serialise=False)
        print(f"evaluate_many, durable-rules, no memo:     {tps_plain:,.0f} tx/s")
    with Engine.from_directory(RULES, backend="reference", memoize=False) as ref:
        tps_ref, _ = throughput(ref, txs[:5000], serialise=False)
        print(f"evaluate_many, reference matcher, no memo: {tps_ref:,.0f} tx/s")
    for jobs in (1, 2):
        print(f"worker processes (--jobs {jobs}), incl. validation and JSON: {parallel(txs, jobs):,.0f} tx/s")
    print(f"cold start, `compliance check` one file: {cold_start():.2f} s (median of 5)")
    rss, secs = stream_memory(stream_n)
    print(f"streamed {stream_n:,} transactions through `check --format jsonl`: peak RSS {rss:.0f} MB, {secs:.0f} s")


if __name__ == "__main__":
    main()
