"""Static analysis is sound: it never says "cannot fire" (or "implies") about something that can."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.authoring.lint import _implies, check_control_code, id_stem, satisfiable
from compliance.evaluate.facts import LineFacts
from compliance.evaluate.match.predicates import And, Cmp, Has, In, Node, Not, Or, evaluate

VALUES = ("a", "b", "c")


def atoms() -> st.SearchStrategy[Node]:
    subset = st.lists(st.sampled_from(VALUES), min_size=1, max_size=3, unique=True).map(tuple)
    return st.one_of(
        st.builds(lambda v: In("destination", v), subset),
        st.builds(lambda v: Has("dest_groups", v), subset),
        st.builds(
            lambda op, n: Cmp("spec_tpp", op, float(n)),
            st.sampled_from(["gt", "gte", "lt", "lte"]),
            st.integers(0, 3),
        ),
    )


nodes: st.SearchStrategy[Node] = st.recursive(
    atoms(),
    lambda inner: st.one_of(
        st.builds(lambda xs: And(tuple(xs)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: Or(tuple(xs)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: Not(x), inner),
    ),
    max_leaves=8,
)


def all_facts() -> list[LineFacts]:
    facts: list[LineFacts] = []
    groups = [(), ("a",), ("b",), ("c",), ("a", "b"), ("a", "c"), ("b", "c"), ("a", "b", "c")]
    for dest in ("", *VALUES):  # "" stands for no destination a rule names
        for g in groups:
            for tpp in (None, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5):
                specs = {} if tpp is None else {"tpp": float(tpp)}
                facts.append(
                    LineFacts(date=dt.date(2025, 1, 1), destination=dest, dest_groups=frozenset(g), specs=specs)
                )
    return facts


FACTS = all_facts()


@settings(max_examples=300)
@given(nodes)
def test_unsatisfiable_means_no_fact_matches(node: Node) -> None:
    if satisfiable(node) is False:
        assert not any(evaluate(node, f) for f in FACTS)


@settings(max_examples=300)
@given(nodes, nodes)
def test_implies_is_sound(a: Node, b: Node) -> None:
    if _implies(a, b):
        assert all(evaluate(b, f) for f in FACTS if evaluate(a, f))


def test_known_contradictions() -> None:
    cn: Node = In("destination", ("CN",))
    assert satisfiable(And((cn, Not(cn)))) is False
    assert satisfiable(And((Cmp("spec_tpp", "gte", 4800.0), Cmp("spec_tpp", "lt", 1600.0)))) is False
    assert satisfiable(And((Cmp("date", "gte", 5.0), Cmp("date", "lte", 5.0)))) is True  # a one-day window
    # `not` alone holds when the value is absent: not a contradiction.
    assert satisfiable(And((Not(Cmp("spec_tpp", "gte", 1.0)), Not(Cmp("spec_tpp", "lt", 1.0))))) is True
    # Cross-field knowledge is not used (documented approximation): CN is in D:1, but this is not reported.
    assert satisfiable(And((cn, Not(Has("dest_groups", ("D:1",)))))) is True


def test_too_complex_is_unknown() -> None:
    wide: Node = And(tuple(Or((In("destination", (f"X{i}",)), In("origin", (f"Y{i}",)))) for i in range(12)))
    assert satisfiable(wide) is None


def test_control_code_shapes() -> None:
    assert check_control_code("us-ear", "3A090.a") is None
    assert check_control_code("us-ear", "EAR99") is None
    assert check_control_code("us-ear", "0Y521") is None
    assert check_control_code("us-ear", "3a090.A") == ("'3a090.A' is not a valid ECCN", "did you mean '3A090.a'?")
    assert check_control_code("cn-mofcom", "1C902.a") is None
    assert check_control_code("cn-mofcom", "1C902..a") is not None


def test_id_stem() -> None:
    assert id_stem("us-ear.ac.3a090-license-2025") == "us-ear.ac.3a090-license"
    assert id_stem("us-ear.ac.3a090-license-v2") == "us-ear.ac.3a090-license"
    assert id_stem("us-ear.ac.3a090-license") == "us-ear.ac.3a090-license"
