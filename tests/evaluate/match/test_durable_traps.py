"""Each durable-rules 2.0.28 behaviour the matcher is designed around, pinned (docs: match/durable.py).

The first tests show the raw library's behaviour; the rest show our matcher is not affected by it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from durable import engine as durable_engine

from compliance import Engine
from compliance.codes import COUNTRY_CODES
from compliance.errors import Location, PackError
from compliance.evaluate.facts import LineFacts
from compliance.evaluate.match import MatchError
from compliance.evaluate.match.base import RulesetTooLarge
from compliance.evaluate.match.durable import EMPTY, DurableMatcher, encode, to_durable
from compliance.evaluate.match.predicates import Cmp, CompiledRule, In, Node, Not
from compliance.models.pack import ReviewRule
from compliance.packs.packset import PackRule
from tests.conftest import RULES


class _Host:
    def get_action(self, name: str) -> None:
        raise LookupError(name)


def _raw_ruleset(
    name: str, conditions: list[dict[str, object]], hits: list[int], catch_all: bool = False
) -> durable_engine.Ruleset:
    definition: dict[str, object] = {}
    for i, cond in enumerate(conditions):

        def fire(c: object, i: int = i) -> None:
            hits.append(i)

        definition[f"r{i}"] = {"all": [{"m": cond}], "run": _one_arg(fire)}
    if catch_all:
        definition["catch"] = {"all": [{"m": {"kind": "line"}}], "run": lambda c: None}
    return durable_engine.Ruleset(name, _Host(), definition)


def _one_arg(fn: object) -> object:
    # durable-rules treats a two-argument action as asynchronous; bind the index away.
    return lambda c: fn(c)  # type: ignore[operator]


def _run(rs: durable_engine.Ruleset, step: object, message: dict[str, object]) -> None:
    rs.do_actions(step(message), lambda e, s: None)  # type: ignore[operator]


def test_trap1_post_consumes_the_event_so_only_one_rule_fires() -> None:
    hits: list[int] = []
    rs = _raw_ruleset("trap1", [{"kind": "line"}, {"kind": "line"}], hits)
    _run(rs, rs.assert_event, {"id": 1, "kind": "line"})
    assert len(hits) == 1  # the second rule never sees the event


def test_trap1_asserted_facts_reach_every_rule() -> None:
    hits: list[int] = []
    rs = _raw_ruleset("trap1b", [{"kind": "line"}, {"kind": "line"}], hits)
    _run(rs, rs.assert_fact, {"id": 1, "kind": "line"})
    assert sorted(hits) == [0, 1]


def test_trap2_asserting_an_equal_fact_twice_is_refused() -> None:
    rs = _raw_ruleset("trap2", [{"kind": "line"}], [])
    _run(rs, rs.assert_fact, {"id": 1, "kind": "line"})
    with pytest.raises(durable_engine.MessageObservedException):
        rs.assert_fact({"id": 1, "kind": "line"})


def test_trap3_unmatched_fact_raises_not_handled() -> None:
    rs = _raw_ruleset("trap3", [{"kind": "a"}], [])
    with pytest.raises(durable_engine.MessageNotHandledException):
        rs.assert_fact({"id": 1, "kind": "zzz"})


def test_trap7_iall_is_false_on_an_empty_list() -> None:
    hits: list[int] = []
    rs = _raw_ruleset("trap7", [{"$iall": {"g": {"$neq": {"$i": "A"}}}}], hits, catch_all=True)
    _run(rs, rs.assert_fact, {"id": 1, "kind": "line", "g": []})
    assert hits == []
    _run(rs, rs.assert_fact, {"id": 2, "kind": "line", "g": [EMPTY]})
    assert hits == [0]  # hence list fields always carry the EMPTY sentinel


def test_trap9_more_than_64_matching_paths_overflow_the_stack() -> None:
    # 70 rules that all match one fact through distinct nodes: the depth-first walk's stack (64) overflows.
    conditions: list[dict[str, object]] = [{"$gte": {"date": 20200000 + i}} for i in range(70)]
    rs = _raw_ruleset("trap9", conditions, [], catch_all=True)
    with pytest.raises(Exception, match="303"):
        rs.assert_fact({"id": 1, "kind": "line", "date": 20250101})
    small = _raw_ruleset("trap9b", conditions[:40], hits := [], catch_all=True)
    _run(small, small.assert_fact, {"id": 1, "kind": "line", "date": 20250101})
    assert len(hits) == 40


def test_many_matching_rules_are_split_so_every_one_fires() -> None:
    rules = [_rule(f"p.t.r{i}", Cmp("date", "gte", float(20200000 + i)), i) for i in range(150)]
    m = DurableMatcher(rules, "wide")
    try:
        assert m.ruleset_count >= 3
        assert m.match([_fact()]) == [tuple(range(150))]
    finally:
        m.close()


def _rule(rule_id: str, node: Node, index: int = 0) -> CompiledRule:
    rule = ReviewRule(
        effect="review",
        id=rule_id,
        title="t",
        when={"destinations": ["CN"]},  # type: ignore[arg-type]
        effective_from=dt.date(2020, 1, 1),
        message="m",
        citations=[{"cite": "15 CFR 744.11"}],
    )  # type: ignore[list-item]
    return CompiledRule(index, PackRule(rule, "p", Location("x")), node)


def _fact(**fields: object) -> LineFacts:
    values: dict[str, object] = {"date": dt.date(2025, 1, 1), "destination": "DE", "scope": frozenset({"p"}), **fields}
    return LineFacts(**values)  # type: ignore[arg-type]


def test_matcher_reports_every_rule_on_one_fact_and_leaves_no_state() -> None:
    rules = [_rule(f"p.t.r{i}", In("destination", ("CN",)), i) for i in range(5)]
    m = DurableMatcher(rules, "test")
    try:
        for _ in range(3):  # the same fact again and again: unique ids, retracted each time
            assert m.match([_fact(destination="CN"), _fact(destination="DE")]) == [(0, 1, 2, 3, 4), ()]
        assert m.state_size() == 0
    finally:
        m.close()


def test_two_matchers_with_the_same_name_do_not_collide() -> None:
    a = DurableMatcher([_rule("p.t.a", In("destination", ("CN",)))], "same")
    b = DurableMatcher([_rule("p.t.b", In("destination", ("DE",)))], "same")
    assert a.match([_fact(destination="CN")]) == [(0,)]
    assert b.match([_fact(destination="CN")]) == [()]
    a.close()
    b.close()


def test_two_engines_in_one_process_keep_their_own_packs(tmp_path: object) -> None:
    e1 = Engine.from_directory(RULES)
    e2 = Engine.from_directory(RULES)
    tx = {
        "id": "T",
        "date": "2025-05-01",
        "destination": "CN",
        "exporter": {"name": "N", "country": "US"},
        "items": [{"line": 1, "product": "H20", "quantity": 1}],
    }
    assert e1.evaluate(tx).decision == e2.evaluate(tx).decision == "deny"
    e1.close()
    assert e2.evaluate(tx).decision == "deny"
    e2.close()


def test_an_error_inside_an_action_is_not_lost() -> None:
    class Faulty(DurableMatcher):
        def _record(self, index: int) -> None:
            raise RuntimeError("boom")

    m = Faulty([_rule("p.t.a", In("destination", ("CN",)))], "faulty")
    with pytest.raises(MatchError, match="boom"):
        m.match([_fact(destination="CN")])


def test_engine_turns_a_matching_failure_into_review() -> None:
    engine = Engine.from_directory(RULES)

    def broken(facts: object) -> object:
        raise MatchError("simulated failure")

    engine._matcher.match = broken  # type: ignore[method-assign]
    d = engine.evaluate(
        {"id": "T", "date": "2025-05-01", "destination": "DE", "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}]}
    )
    assert d.decision == "review"
    assert [f.rule_id for f in d.findings] == ["engine.match-error"]


def test_oversized_ruleset_is_refused_instead_of_hanging() -> None:
    values = tuple(f"name-{i}" for i in range(450))
    with pytest.raises(RulesetTooLarge):
        DurableMatcher([_rule("p.t.big", In("product", values))], "big")


def test_negated_spec_test_holds_when_the_spec_is_unknown() -> None:
    node: Node = Not(Cmp("spec_tpp", "gte", 4800.0))
    assert to_durable(node) == {
        "$or": [{"$lt": {"spec_tpp": 4800.0}}, {"$iall": {"specs_known": {"$neq": {"$i": "tpp"}}}}]
    }
    m = DurableMatcher([_rule("p.t.n", node)], "neg")
    assert m.match([_fact(), _fact(specs={"tpp": 5000.0})]) == [(0,), ()]


def test_encode_gives_every_field_and_no_empty_list() -> None:
    message = encode(_fact(codes=frozenset({("us-ear", "3A090")})), "f1")
    assert message["specs_known"] == [EMPTY] and message["dest_groups"] == [EMPTY]
    assert message["codes"] == ["us-ear|3A090"] and message["date"] == 20250101 and message["kind"] == "line"


def test_pack_error_for_oversized_rule_points_at_the_rule(tmp_path: Path) -> None:
    # Many rules are split over several rulesets; only one rule too big for any ruleset is refused.
    shutil.copytree(RULES, tmp_path / "rules")
    countries = sorted(COUNTRY_CODES)
    rules = [
        {
            "id": "us-ear.big.r0",
            "title": "t",
            "effect": "review",
            "when": {"destinations": countries, "origins": countries},
            "effective_from": "2025-01-01",
            "message": "m",
            "citations": [{"cite": "15 CFR 744.11"}],
        }
    ]
    (tmp_path / "rules" / "us-ear" / "big.yaml").write_text(
        yaml.safe_dump({"kind": "rules", "pack": "us-ear", "rules": rules})
    )
    with pytest.raises(PackError) as err:
        Engine.from_directory(tmp_path / "rules")
    problems = err.value.problems
    assert {p.code for p in problems} == {"ruleset-too-large"}
    assert all(p.location.file.endswith("big.yaml") and p.location.line > 0 for p in problems)


def test_closed_engine_fails_closed() -> None:
    m = DurableMatcher([_rule("p.t.a", In("destination", ("CN",)))], "closed")
    m.close()
    with pytest.raises(MatchError):
        m.match([_fact(destination="CN")])


def test_not_handled_is_a_match_error_naming_the_rules_never_no_rule_applies() -> None:
    m = DurableMatcher(
        [_rule("p.t.a", In("destination", ("CN",))), _rule("p.t.b", In("destination", ("DE",)), 1)], "nh"
    )
    handle = m._rulesets[0].handle
    assert handle is not None

    def not_handled(message: object) -> object:
        raise durable_engine.MessageNotHandledException(message)

    handle.assert_fact = not_handled  # type: ignore[method-assign]
    try:
        with pytest.raises(MatchError) as err:
            m.match([_fact(destination="CN")])
        assert err.value.rule_ids == ("p.t.a", "p.t.b")
    finally:
        m.close()


def test_a_match_error_names_the_rules_in_the_review_finding() -> None:
    engine = Engine.from_directory(RULES)

    def broken(facts: object) -> object:
        raise MatchError("simulated", ("us-ear.x.one", "us-ear.x.two"))

    engine._matcher.match = broken  # type: ignore[method-assign]
    d = engine.evaluate(
        {"id": "T", "date": "2025-05-01", "destination": "DE", "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}]}
    )
    assert d.decision == "review"
    assert "us-ear.x.one, us-ear.x.two" in d.findings[0].message
    engine.close()
