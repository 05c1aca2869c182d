"""No rule-count wall: packs far above one durable-rules ruleset's term limit load, split, and match the reference."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import Location
from compliance.evaluate.facts import LineFacts
from compliance.evaluate.match.base import MAX_TERMS
from compliance.evaluate.match.durable import DurableMatcher, count_terms
from compliance.evaluate.match.memo import MemoMatcher, segments
from compliance.evaluate.match.predicates import And, Cmp, CompiledRule, Has, In, Node, date_number
from compliance.evaluate.match.reference import ReferenceMatcher
from compliance.models.pack import ReviewRule
from compliance.packs.packset import PackRule

CATEGORIES = [f"{d}{g}" for d in "0123456789" for g in "ABCDE"]
GROUPS = ("A:5", "A:6", "B", "D:1", "D:3", "D:4", "D:5", "E:1", "E:2")
DESTS = ("CN", "DE", "MO", "RU", "US", "VN", "IL", "AE")


def classification_rules(n: int, seed: int = 1) -> list[CompiledRule]:
    """`n` rules of the Commerce Country Chart shape: control code x country groups x a window."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        code = f"{rng.choice(CATEGORIES)}{rng.randrange(1000):03d}"
        start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000))
        parts: list[Node] = [
            Has("scope", ("p",)),
            Cmp("date", "gte", float(date_number(start))),
            Has("codes", (("p", code),)),
            Has("dest_groups", tuple(rng.sample(GROUPS, rng.randint(1, 3)))),
        ]
        if rng.random() < 0.3:
            parts.append(In("destination", tuple(rng.sample(DESTS, 2))))
        rule = ReviewRule(
            effect="review",
            id=f"p.cc.r{i}",
            title="t",
            when={"destinations": ["CN"]},  # type: ignore[arg-type]
            effective_from=start,
            message="m",
            citations=[{"cite": "15 CFR 738.4"}],  # type: ignore[list-item]
        )
        out.append(CompiledRule(i, PackRule(rule, "p", Location("x")), And(tuple(parts))))
    return out


def line_facts(rules: list[CompiledRule], rng: random.Random, n: int) -> list[LineFacts]:
    codes = [a for r in rules for a in r.node.parts[2].values]  # type: ignore[union-attr]
    out = []
    for _ in range(n):
        picked = {rng.choice(codes) for _ in range(rng.randint(0, 3))}
        out.append(
            LineFacts(
                date=dt.date(2019, 6, 1) + dt.timedelta(days=rng.randrange(2600)),
                destination=rng.choice(DESTS),
                codes=frozenset(picked),  # type: ignore[arg-type]
                dest_groups=frozenset(rng.sample(GROUPS, rng.randint(0, 4))),
                scope=frozenset({"p"}) if rng.random() < 0.95 else frozenset(),
            )
        )
    return out


def test_a_pack_above_the_old_guard_is_split_and_agrees() -> None:
    rules = classification_rules(200)
    assert sum(count_terms(r.node) for r in rules) > 2 * MAX_TERMS
    durable = DurableMatcher(rules, "large")
    try:
        assert durable.ruleset_count > 1
        facts = line_facts(rules, random.Random(7), 400)
        assert durable.match(facts) == ReferenceMatcher(rules).match(facts)
        assert durable.state_size() == 0
    finally:
        durable.close()


@settings(max_examples=25)
@given(n=st.integers(60, 160), seed=st.integers(0, 10_000))
def test_generated_packs_agree_on_both_matchers_and_the_memo(n: int, seed: int) -> None:
    rules = classification_rules(n, seed)
    facts = line_facts(rules, random.Random(seed), 60)
    expected = ReferenceMatcher(rules).match(facts)
    durable = DurableMatcher(rules, "gen")
    memo = MemoMatcher([(seg, ReferenceMatcher(seg)) for seg in segments(rules)])
    try:
        assert durable.match(facts) == expected
        assert memo.match(facts) == expected
        assert memo.match(facts) == expected  # answered from the caches the second time
    finally:
        durable.close()


@pytest.mark.slow
def test_a_thousand_rule_pack_loads_on_durable_and_matches_the_reference() -> None:
    rules = classification_rules(1000)
    durable = DurableMatcher(rules, "thousand")
    try:
        facts = line_facts(rules, random.Random(3), 2000)
        assert durable.match(facts) == ReferenceMatcher(rules).match(facts)
    finally:
        durable.close()
