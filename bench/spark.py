"""Benchmark: ``compliance.spark.check`` on local[2] against ``compliance check --jobs 2``. Not a test.

    python bench/spark.py                  # 100,000 records; a few minutes on 2 cores
    python bench/spark.py --records 20000 --repeat 1

The same seeded records (tests/corpus.py), as one JSON Lines file, go through both:

- the CLI: ``compliance check FILE --format jsonl --quiet --jobs 2`` to /dev/null, in its own process;
- Spark: ``spark.read.text(FILE)`` then ``check(df)`` written to Spark's ``noop`` sink (every row evaluated and
  rendered, nothing stored), on local[2], in a new session each run so that its Python workers start cold, as
  the CLI's processes do. The time includes what such a job pays: loading and checking the packs on the driver,
  the count of rows per partition (the record numbers), the broadcast, each Python worker starting and building
  its engine; not the JVM's start, reported apart. The same job once more on the warm workers (engines kept)
  is reported beside it.

Target: Spark's throughput within 30% of the CLI's (ratio >= 0.70). Nothing is shared between tasks but the
broadcast packs, so on paper the throughput grows linearly with executors; this measures one machine only.
Requires the [spark] extra and Java 17.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import machine  # noqa: E402
from tests.corpus import corpus  # noqa: E402

RULES = ROOT / "rules"
TARGET = 0.70  # Spark local[2] / CLI --jobs 2


def cli_seconds(path: Path, jobs: int) -> float:
    cmd = [sys.executable, str(ROOT / "cli.py"), "check", str(path), "--rules", str(RULES), "--format", "jsonl"]
    start = time.perf_counter()
    subprocess.run([*cmd, "--quiet", "--jobs", str(jobs)], stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per figure; the best is kept")
    parser.add_argument("--backend", default="durable", choices=["durable", "reference"])
    args = parser.parse_args()
    n = args.records
    print(f"machine: {machine()}")
    print(f"records: {n:,} (tests/corpus.py, seed 11), backend {args.backend}; best of {args.repeat} runs")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.jsonl"
        with path.open("w") as f:
            for tx in corpus(n, seed=11):
                f.write(json.dumps(tx) + "\n")

        os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run this interpreter (and its packages)
        from pyspark.sql import SparkSession

        from compliance.spark import check

        sessions, runs, clis, partitions, warm = [], [], [], 0, float("nan")
        counts: dict[str, int] = {}
        for last in [False] * (args.repeat - 1) + [True]:
            clis.append(cli_seconds(path, 2))  # interleaved: the machine's load drifts alike for both
            # A new session each time: its Python workers start cold (no engine, no memo), as a job's first run.
            start = time.perf_counter()
            spark = (
                SparkSession.builder.master("local[2]")
                .appName("compliance-bench")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.memory", "2g")
                .getOrCreate()
            )
            spark.sparkContext.setLogLevel("ERROR")
            sessions.append(time.perf_counter() - start)
            df = spark.read.text(str(path), lineSep="\n").withColumnRenamed("value", "transaction")
            partitions = df.rdd.getNumPartitions()
            start = time.perf_counter()
            check(df, RULES, backend=args.backend).write.format("noop").mode("overwrite").save()
            runs.append(time.perf_counter() - start)
            if last:  # the same job again on the warm workers (engines kept), and the decisions' tally
                start = time.perf_counter()
                check(df, RULES, backend=args.backend).write.format("noop").mode("overwrite").save()
                warm = time.perf_counter() - start
                result = check(df, RULES, backend=args.backend).groupBy("decision").count().collect()
                counts = {r["decision"]: r["count"] for r in result}
            spark.stop()
    cli, on_spark = min(clis), min(runs)
    ratio = cli / on_spark
    rows = [
        ("figure", "now", "target", ""),
        ("CLI end to end, --jobs 2", f"{n / cli:,.0f} tx/s", "", ""),
        ("  CLI runs (s)", ", ".join(f"{r:.1f}" for r in clis), "", ""),
        (f"Spark local[2], check() to noop ({partitions} partitions)", f"{n / on_spark:,.0f} tx/s", "", ""),
        ("  Spark / CLI", f"x{ratio:.2f}", f">= x{TARGET:.2f}", "met" if ratio >= TARGET else "not met"),
        ("  Spark runs, cold workers (s)", ", ".join(f"{r:.1f}" for r in runs), "", ""),
        ("Spark local[2], again on warm workers", f"{n / warm:,.0f} tx/s", "", ""),
        (
            "SparkSession start (not in the figures)",
            f"{sessions[0]:.1f} s (a new JVM), {min(sessions):.1f} s (JVM reused)",
            "",
            "",
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows))
    print(f"decisions: {dict(sorted(counts.items()))}; rows {sum(counts.values()):,} of {n:,}")


if __name__ == "__main__":
    main()
