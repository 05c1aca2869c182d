"""Batch output: JSON Lines of decisions, a CSV summary, the end-of-run tally and a progress line."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from typing import IO

from compliance.io.pipeline import Result

__all__ = ["CSV_SUMMARY_COLUMNS", "Progress", "Tally", "csv_row", "jsonl_line"]

CSV_SUMMARY_COLUMNS = (
    "source",
    "record",
    "transaction_id",
    "decision",
    "as_of",
    "deny_rules",
    "review_rules",
    "licenses",
    "error",
)


def jsonl_line(result: Result) -> str:
    data = result.decision if result.decision is not None else result.record.error_dict()
    if result.decision is not None:
        data = {**result.decision, "source": result.record.source, "record": result.record.record}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def csv_row(result: Result) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    d = result.decision
    if d is None:
        problems = "; ".join(f"{p.location}: {p.code} {p.message}" for p in result.record.problems)
        writer.writerow([result.record.source, result.record.record, "", "error", "", "", "", "", problems])
    else:
        raw = d["findings"]
        findings = [f for f in raw if isinstance(f, dict)] if isinstance(raw, list) else []
        by = {k: sorted({str(f["rule_id"]) for f in findings if f["outcome"] == k}) for k in ("deny", "review")}
        licenses = sorted({str(f["license"]) for f in findings if f.get("license")})
        writer.writerow(
            [
                result.record.source,
                result.record.record,
                d["transaction_id"],
                d["decision"],
                d["as_of"],
                ";".join(by["deny"]),
                ";".join(by["review"]),
                ";".join(licenses),
                "",
            ]
        )
    return buffer.getvalue().rstrip("\n")


class Tally:
    """Counts every record by outcome; the batch's input count equals ``total``."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, result: Result) -> None:
        self.counts[result.outcome] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        parts = ", ".join(f"{self.counts[k]} {k}" for k in ("allow", "deny", "review", "error"))
        return f"{self.total} record(s): {parts}"


class Progress:
    """A one-line progress display with rate (and ETA when the input size is known), for terminals only."""

    def __init__(self, stream: IO[str], total_bytes: int | None = None, every: float = 0.25) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.last = 0.0
        self.every = every
        self.total_bytes = total_bytes

    def update(self, count: int, done_bytes: int | None = None) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        text = f"\r{count} records  {count / elapsed:,.0f}/s"
        if self.total_bytes and done_bytes:
            fraction = min(done_bytes / self.total_bytes, 1.0)
            if fraction > 0:
                text += f"  ETA {max(elapsed / fraction - elapsed, 0):.0f}s"
        self.stream.write(text)
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()
