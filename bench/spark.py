"""Benchmark: ``compliance.spark.check`` on local[2] against ``compliance check --jobs 2``. Not a test.

    python bench/spark.py                  # 100,000 records; a few minutes on 2 cores
    python bench/spark.py --records 20000 --repeat 1

The same seeded records (tests/corpus.py), as one JSON Lines file, go through both:

- the CLI: ``compliance check FILE --format jsonl --quiet --jobs 2`` to /dev/null, in its own process;
- Spark: ``spark.read.text(FILE)`` then ``check(df)`` written to Spark's ``noop`` sink (every row evaluated and
  rendered, nothing stored), in a warm local[2] session. The time includes what a job pays each time: loading
  and checking the packs on the driver, the count of rows per partition (the record numbers), the broadcast,
  and each Python worker building its engine on first use; not the JVM's start, reported apart.

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
        cli = min(cli_seconds(path, 2) for _ in range(args.repeat))

        os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run this interpreter (and its packages)
        start = time.perf_counter()
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .appName("compliance-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        session = time.perf_counter() - start
        from compliance.spark import check

        df = spark.read.text(str(path), lineSep="\n").withColumnRenamed("value", "transaction")
        partitions = df.rdd.getNumPartitions()
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            check(df, RULES, backend=args.backend).write.format("noop").mode("overwrite").save()
            runs.append(time.perf_counter() - start)
        counts = {
            r["decision"]: r["count"]
            for r in check(df, RULES, backend=args.backend).groupBy("decision").count().collect()
        }
        spark.stop()
    on_spark = min(runs)
    ratio = cli / on_spark
    rows = [
        ("figure", "now", "target", ""),
        ("CLI end to end, --jobs 2", f"{n / cli:,.0f} tx/s", "", ""),
        (f"Spark local[2], check() to noop ({partitions} partitions)", f"{n / on_spark:,.0f} tx/s", "", ""),
        ("  Spark / CLI", f"x{ratio:.2f}", f">= x{TARGET:.2f}", "met" if ratio >= TARGET else "not met"),
        ("  Spark runs (s)", ", ".join(f"{r:.1f}" for r in runs), "", ""),
        ("SparkSession start (not in the figure)", f"{session:.1f} s", "", ""),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows))
    print(f"decisions: {dict(sorted(counts.items()))}; rows {sum(counts.values()):,} of {n:,}")


if __name__ == "__main__":
    main()
