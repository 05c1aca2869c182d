"""Benchmark: throughput, latency, cold start, CLI end to end, a 1,000-rule pack, streaming memory. Not a test.

    python bench/run.py                      # quick: about two minutes
    python bench/run.py --full               # bigger corpora and the 1M-record stream (several minutes)
    python bench/run.py --code DIR --save F  # the same figures for another checkout (e.g. the previous release)

Every figure is printed beside its target and the previous release's figure (bench/baseline.json, measured
with ``--code`` on a checkout of that release, same machine). Only the public API (``Engine``,
``evaluate``, ``evaluate_many``) and the ``compliance`` command are used, so any release can be measured.
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.corpus import corpus  # noqa: E402

# (key, label, unit, target, higher is better)
FIGURES: tuple[tuple[str, str, str, float | None, bool], ...] = (
    ("warm_tps", "evaluate_many, warm, 1 core, full cited decisions", "tx/s", 25_000, True),
    ("first_tps", "evaluate_many, first pass over distinct transactions", "tx/s", 10_000, True),
    ("p50_ms", "evaluate latency, warm, p50", "ms", None, False),
    ("p99_ms", "evaluate latency, warm, p99", "ms", 1.0, False),
    ("cli_jobs1_tps", "CLI end to end (parse, evaluate, JSONL out), --jobs 1", "tx/s", 10_000, True),
    ("cli_jobs2_tps", "CLI end to end, --jobs 2", "tx/s", None, True),
    ("cli_jobs2_ratio", "  --jobs 2 / --jobs 1", "x", 1.7, True),
    ("cold_start_s", "cold start, `compliance check` of one file", "s", 0.5, False),
    ("big_pack_load_s", "1,000-rule generated pack, load on durable-rules", "s", 5.0, False),
    ("big_pack_agree", "  ... decisions equal to the reference matcher", "%", 100.0, True),
    ("stream_rss_mb", "streamed through `check --format jsonl`: peak RSS", "MB", 300.0, False),
)


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


def _best(fn: Callable[[], float], repeat: int) -> float:
    """The fastest of `repeat` runs (the machine is shared: the minimum is the least disturbed)."""
    return min(fn() for _ in range(repeat))


def library(code: Path, n: int, repeat: int) -> dict[str, float]:
    sys.path.insert(0, str(code))
    from compliance import Engine  # the checkout under test

    rules = str(code / "rules")
    txs = list(corpus(n))
    out: dict[str, float] = {}

    def first_pass() -> float:
        with Engine.from_directory(rules) as engine:
            fresh = list(corpus(n, seed=len(txs) + 1))
            start = time.perf_counter()
            for _ in engine.evaluate_many(fresh):
                pass
            return time.perf_counter() - start

    out["first_tps"] = n / _best(first_pass, repeat)
    with Engine.from_directory(rules) as engine:
        for _ in engine.evaluate_many(txs):  # fill the caches, as a nightly batch of repeat patterns does
            pass

        def warm() -> float:
            start = time.perf_counter()
            for _ in engine.evaluate_many(txs):
                pass
            return time.perf_counter() - start

        out["warm_tps"] = n / _best(warm, repeat)
        samples = []
        for tx in txs[:5000]:
            start = time.perf_counter_ns()
            engine.evaluate(tx)
            samples.append((time.perf_counter_ns() - start) / 1e6)
        samples.sort()
        out["p50_ms"] = statistics.median(samples)
        out["p99_ms"] = samples[int(len(samples) * 0.99) - 1]
    out.update(big_pack(code, Engine))
    return out


def big_pack(code: Path, engine_cls: type) -> dict[str, float]:
    """A pack of 1,000 classification rules (control code x destination groups x window), on both matchers."""
    import random

    rng = random.Random(1000)
    groups = ["A:5", "A:6", "D:1", "D:4", "D:5", "E:1", "E:2"]
    rules = []
    for i in range(1000):
        rules.append(
            {
                "id": f"us-ear.cc.r{i:04d}",
                "title": "Commerce Country Chart cell",
                "effect": "license_required",
                "authority": "US-BIS",
                "when": {
                    "control_codes": [f"{rng.randrange(10)}{'ABCDE'[rng.randrange(5)]}{rng.randrange(1000):03d}"],
                    "destination_groups": rng.sample(groups, rng.randint(1, 3)),
                },
                "effective_from": f"{rng.randint(2023, 2025)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "message": "A licence is required for this control code to this destination.",
                "citations": [{"cite": "15 CFR 738.4"}],
            }
        )
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "rules"
        subprocess.run(["cp", "-r", str(code / "rules"), str(dest)], check=True)
        # Written as JSON (which YAML reads): every code quoted, so `3E001` stays a code, not a number.
        (dest / "us-ear" / "country-chart.yaml").write_text(
            json.dumps({"kind": "rules", "pack": "us-ear", "rules": rules}, indent=1)
        )
        start = time.perf_counter()
        try:
            durable = engine_cls.from_directory(dest)
        except Exception:  # the previous release refuses such a pack (ruleset-too-large)
            return {"big_pack_load_s": float("nan"), "big_pack_agree": float("nan")}
        load = time.perf_counter() - start
        reference = engine_cls.from_directory(dest, backend="reference")
        sample = []
        for tx in corpus(500, seed=3):
            for item in tx["items"]:  # type: ignore[attr-defined]
                item["eccn"] = rules[rng.randrange(1000)]["when"]["control_codes"][0]
            sample.append(tx)
        same = sum(durable.evaluate(tx).model_dump() == reference.evaluate(tx).model_dump() for tx in sample)
        durable.close()
        reference.close()
    return {"big_pack_load_s": load, "big_pack_agree": 100.0 * same / len(sample)}


def _cli(code: Path) -> list[str]:
    return [sys.executable, str(code / "cli.py")]


def cli(code: Path, n: int, repeat: int) -> dict[str, float]:
    out: dict[str, float] = {}
    env = {**os.environ, "PYTHONPATH": str(code)}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "orders.jsonl"
        with src.open("w") as f:
            for tx in corpus(n, seed=11):
                f.write(json.dumps(tx) + "\n")
        base = [*_cli(code), "check", str(src), "--rules", str(code / "rules"), "--format", "jsonl", "--quiet"]
        for jobs in (1, 2):

            def run(jobs: int = jobs) -> float:
                start = time.perf_counter()
                subprocess.run([*base, "--jobs", str(jobs)], stdout=subprocess.DEVNULL, env=env, check=False)
                return time.perf_counter() - start

            out[f"cli_jobs{jobs}_tps"] = n / _best(run, repeat)
    out["cli_jobs2_ratio"] = out["cli_jobs2_tps"] / out["cli_jobs1_tps"]
    one = [*_cli(code), "check", str(code / "examples" / "h20-to-china.yaml"), "--rules", str(code / "rules")]

    def cold() -> float:
        start = time.perf_counter()
        subprocess.run(one, capture_output=True, env=env, check=False)
        return time.perf_counter() - start

    out["cold_start_s"] = statistics.median(cold() for _ in range(5))
    return out


def stream_memory(code: Path, n: int) -> dict[str, float]:
    """Peak RSS (MB) of `check --format jsonl` over n streamed transactions, measured in its own process."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "stream.jsonl"
        with src.open("w") as out:
            for tx in corpus(n, seed=99):
                out.write(json.dumps(tx) + "\n")
        exe = [*_cli(code), "check", str(src), "--rules", str(code / "rules"), "--format", "jsonl", "--quiet"]
        wrapper = (
            "import resource, subprocess, sys;"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        done = subprocess.run(
            [sys.executable, "-c", wrapper, *exe], capture_output=True, text=True, env=env, check=False
        )
    return {"stream_rss_mb": int(done.stdout.strip() or 0) / 1024}


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if value != value:  # NaN: not measurable on that release
        return "refused"
    if unit in ("tx/s",):
        return f"{value:,.0f}"
    if unit == "x":
        return f"x{value:.2f}"
    if unit == "%":
        return f"{value:.0f}%"
    return f"{value:.3f}" if unit == "ms" else f"{value:.2f}"


def report(figures: dict[str, float], baseline: dict[str, object] | None, stream_n: int) -> str:
    prev = baseline.get("figures", {}) if baseline else {}
    assert isinstance(prev, dict)
    rows = [("figure", "now", "previous", "target", "")]
    for key, label, unit, target, higher in FIGURES:
        if key not in figures:
            continue
        now = figures[key]
        verdict = ""
        if target is not None and now == now:
            verdict = "met" if (now >= target if higher else now <= target) else "not met"
        label = label.replace("streamed", f"{stream_n:,} transactions streamed") if key == "stream_rss_mb" else label
        was = prev.get(key)
        rows.append(
            (
                label,
                f"{_fmt(now, unit)} {unit if unit not in ('x', '%') else ''}".strip(),
                _fmt(float(was), unit) if isinstance(was, (int, float)) else "-",
                f"{'>=' if higher else '<='} {_fmt(target, unit)}" if target is not None else "",
                verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="bigger corpora and the 1M-record stream")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout to measure (default: this one)")
    parser.add_argument("--save", type=Path, help="write the figures as JSON (e.g. bench/baseline.json)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    args = parser.parse_args()
    code = args.code.resolve()
    n = 50_000 if args.full else 10_000
    cli_n = 100_000 if args.full else 20_000
    stream_n = 1_000_000 if args.full else 100_000
    print(f"machine: {machine()}")
    where = "this checkout" if code == ROOT else str(code)
    print(f"code: {where}; corpus: {n:,} transactions (CLI: {cli_n:,}), seeded; best of {args.repeat} runs")
    figures = library(code, n, args.repeat)
    figures.update(cli(code, cli_n, args.repeat))
    figures.update(stream_memory(code, stream_n))
    baseline_path = ROOT / "bench" / "baseline.json"
    baseline = json.loads(baseline_path.read_text()) if baseline_path.is_file() else None
    if baseline:
        print(f"previous: {baseline.get('release')} measured {baseline.get('measured')} on {baseline.get('machine')}")
    print(report(figures, baseline, stream_n))
    if args.save:
        data = {
            "release": os.environ.get("BENCH_RELEASE", "unnamed"),
            "measured": time.strftime("%Y-%m-%d"),
            "machine": machine(),
            "figures": figures,
        }
        args.save.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
