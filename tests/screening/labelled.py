"""Recall and false alarms of the screening index on the labelled set (tests/screening/labelled.yaml).

A positive is *flagged* when the party name is matched (exactly or possibly) to its entry, and *decided*
when it is an exact match on its entry (the rule's own effect applies). A negative is a false alarm when it
is matched, exactly or possibly, to any entry. Shared by tests/screening/test_labelled.py and
bench/screening.py.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compliance.packs.packset import PackSet
from compliance.screening.index import PartyIndex

LABELLED = Path(__file__).with_name("labelled.yaml")


@dataclass
class Measured:
    positives: int = 0
    flagged: int = 0
    decided: int = 0
    negatives: int = 0
    false_alarms: int = 0
    by_category: dict[str, Counter[str]] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.flagged / self.positives

    @property
    def decided_rate(self) -> float:
        return self.decided / self.positives

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.negatives

    def table(self) -> str:
        rows = [f"{'category':<24}{'n':>5}{'flagged':>9}{'decided':>9}{'alarms':>8}"]
        for cat, c in sorted(self.by_category.items()):
            rows.append(f"{cat:<24}{c['n']:>5}{c['flagged']:>9}{c['decided']:>9}{c['alarm']:>8}")
        return "\n".join(rows)


@functools.cache
def load() -> dict[str, list[dict[str, str]]]:
    data = yaml.load(LABELLED.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {"positives": data["positives"], "negatives": data["negatives"]}


def measure(packset: PackSet, labelled: dict[str, list[dict[str, str]]] | None = None) -> Measured:
    labelled = labelled or load()
    index = PartyIndex({lid: pl.entries for lid, pl in packset.party_lists.items()})
    m = Measured()
    for item in labelled["positives"]:
        hits = index.screen(item["name"], item["country"], dt.date.fromisoformat(item["date"]))
        mine = [h for h in hits if h.list_id == item["list"] and h.entry.name == item["entry"]]
        c = m.by_category.setdefault(item["category"], Counter())
        c["n"] += 1
        m.positives += 1
        if mine:
            m.flagged += 1
            c["flagged"] += 1
        else:
            m.missed.append(f"{item['category']}: {item['name']!r} ({item['entry']})")
        if any(h.match == "exact" for h in mine):
            m.decided += 1
            c["decided"] += 1
        elif item["expect"] == "hit":
            m.undecided.append(f"{item['category']}: {item['name']!r} ({item['entry']})")
    for item in labelled["negatives"]:
        hits = index.screen(item["name"], item["country"], dt.date.fromisoformat(item["date"]))
        c = m.by_category.setdefault(item["category"], Counter())
        c["n"] += 1
        m.negatives += 1
        if hits:
            m.false_alarms += 1
            c["alarm"] += 1
            m.alarms.append(
                f"{item['category']}: {item['name']!r} -> {hits[0].entry.name!r} {hits[0].detail.score:.2f}"
            )
    return m
