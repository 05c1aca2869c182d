"""Recall and false alarms on the project's labelled set (tests/screening/labelled.yaml, built from the bundled
lists by tests/screening/build_labelled.py). The README's Screening section quotes these figures."""

from __future__ import annotations

from compliance import load_packs
from tests.conftest import RULES
from tests.screening.build_labelled import EQUIVALENT
from tests.screening.labelled import load, measure

MEASURED = measure(load_packs([RULES]))


def test_the_set_is_large_enough_to_say_something() -> None:
    data = load()
    assert len(data["positives"]) >= 600 and len(data["negatives"]) >= 1000
    assert {p["category"] for p in data["positives"]} >= {"chinese", "traditional", "homoglyph", "full-width", "typo"}


def test_recall_and_false_alarms_meet_the_targets() -> None:
    m = MEASURED
    assert m.recall >= 0.95, "\n".join(m.missed)
    assert m.decided_rate >= 0.85, "\n".join(m.undecided)
    assert m.false_alarm_rate <= 0.01, "\n".join(m.alarms)


def test_every_equivalent_form_is_decided_as_the_listed_party() -> None:
    # An equivalent form (case, punctuation, legal form, spacing, look-alikes, full width, diacritics, listed
    # alias or Chinese name, a branch) must be the listed party, not merely flagged.
    for category, counts in MEASURED.by_category.items():
        if category in EQUIVALENT:
            assert counts["decided"] >= 0.95 * counts["n"], (category, MEASURED.undecided)


def test_chinese_script_names_are_matched() -> None:
    for category in ("chinese", "traditional"):
        counts = MEASURED.by_category[category]
        assert counts["decided"] == counts["n"], MEASURED.undecided
