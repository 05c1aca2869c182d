"""Property tests: the durable-rules matcher and the plain-Python reference matcher always agree."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import Engine
from compliance.errors import Location
from compliance.evaluate.facts import LineFacts
from compliance.evaluate.match.durable import DurableMatcher
from compliance.evaluate.match.predicates import And, Cmp, CompiledRule, Has, In, Node, Not, Or
from compliance.evaluate.match.reference import ReferenceMatcher
from compliance.models.pack import ReviewRule
from compliance.packs.packset import PackRule
from tests.conftest import RULES

DESTS = ("CN", "DE", "MO", "US")
PRODUCTS = ("a", "b", "")
GROUPS = ("D:1", "D:5", "A:5")
SPECS = ("tpp", "pd")
NUMBERS = (0.0, 1600.0, 4800.0, 5000.5)
TESTS = ("tc-a", "tc-b", "tc-c")

leaf = st.one_of(
    st.builds(
        In, st.just("destination"), st.lists(st.sampled_from(DESTS), min_size=1, max_size=3, unique=True).map(tuple)
    ),
    st.builds(
        In, st.just("product"), st.lists(st.sampled_from(PRODUCTS[:2]), min_size=1, max_size=2, unique=True).map(tuple)
    ),
    st.builds(
        Has, st.just("dest_groups"), st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2, unique=True).map(tuple)
    ),
    st.builds(
        Cmp,
        st.sampled_from([f"spec_{s}" for s in SPECS]),
        st.sampled_from(["gt", "gte", "lt", "lte"]),
        st.sampled_from(NUMBERS),
    ),
    st.builds(Cmp, st.just("date"), st.sampled_from(["gte", "lte"]), st.sampled_from([20230101.0, 20250409.0])),
    # Facts added by issue 10: `transaction_countries` answers and the reach of a pack through the origin.
    st.builds(
        Has, st.just("country_tests"), st.lists(st.sampled_from(TESTS), min_size=1, max_size=2, unique=True).map(tuple)
    ),
)
trees: st.SearchStrategy[Node] = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.builds(And, st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.builds(Or, st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.builds(Not, children),
    ),
    max_leaves=6,
)


@st.composite
def facts(draw: st.DrawFn) -> LineFacts:
    specs = {spec: draw(st.sampled_from(NUMBERS)) for spec in SPECS if draw(st.booleans())}
    return LineFacts(
        date=draw(
            st.sampled_from([dt.date(2022, 12, 31), dt.date(2023, 1, 1), dt.date(2025, 4, 9), dt.date(2026, 1, 1)])
        ),
        destination=draw(st.sampled_from(DESTS)),
        product=draw(st.sampled_from(PRODUCTS)),
        dest_groups=frozenset(draw(st.lists(st.sampled_from(GROUPS), max_size=3, unique=True))),
        specs=specs,
        scope=frozenset({"p"}),
        country_tests=frozenset(draw(st.lists(st.sampled_from(TESTS), max_size=3, unique=True))),
    )


def _compiled(nodes: list[Node]) -> list[CompiledRule]:
    out = []
    for i, node in enumerate(nodes):
        rule = ReviewRule(
            effect="review",
            id=f"p.t.r{i}",
            title="t",
            when={"destinations": ["CN"]},  # type: ignore[arg-type]
            effective_from=dt.date(2020, 1, 1),
            message="m",
            citations=[{"cite": "15 CFR 744.11"}],
        )  # type: ignore[list-item]
        out.append(CompiledRule(i, PackRule(rule, "p", Location("x")), node))
    return out


@settings(max_examples=150)
@given(nodes=st.lists(trees, min_size=1, max_size=5), sample=st.lists(facts(), min_size=1, max_size=6))
def test_durable_and_reference_agree_on_generated_rules_and_facts(nodes: list[Node], sample: list[LineFacts]) -> None:
    rules = _compiled(nodes)
    durable = DurableMatcher(rules, "prop")
    try:
        assert durable.match(sample) == ReferenceMatcher(rules).match(sample)
        assert durable.state_size() == 0
    finally:
        durable.close()


_DURABLE = Engine.from_directory(RULES, backend="durable")
_REFERENCE = Engine.from_directory(RULES, backend="reference")

products = st.sampled_from(
    ["NVIDIA H20", "H100", "Ascend 910B", "gallium", "laptop", "AMD MI308", "Unknown Gizmo", None]
)
countries = st.sampled_from(["CN", "HK", "MO", "DE", "US", "RU", "SG", "VN", "IL", "CU", "MY"])
parties = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["end_user", "purchaser", "freight_forwarder", "ultimate_consignee", "other"]),
            "name": st.sampled_from(
                [
                    "Huawei Technologies Co., Ltd.",
                    "huawei technologies co ltd",
                    "SMIC",
                    "Acme GmbH",
                    "Huawei Tech Deutschland",
                ]
            ),
            "country": countries,
        }
    ),
    max_size=2,
)


END_USES = [
    "technical_analysis",
    "military",
    "civil",
    "wmd",
    "military_intelligence",
    "supercomputer",
    "advanced_node_ic",
    "ai_training",
    "military_end_user",
]


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(1, 3))
    items = []
    for line in range(1, n + 1):
        item: dict[str, object] = {"line": line, "quantity": 1}
        product = draw(products)
        if product:
            item["product"] = product
        if draw(st.booleans()) or not product:
            item["eccn"] = draw(st.sampled_from(["3A090.a", "EAR99", "5A992.c", "4A090.b", "5A992.z", "3a090.a"]))
        if draw(st.booleans()):
            item["origin"] = draw(countries)
        if draw(st.booleans()):
            item["specs"] = {"tpp": draw(st.sampled_from([100.0, 2400.0, 4800.0, 16000.0]))}
        items.append(item)
    tx: dict[str, object] = {
        "id": "P",
        "date": draw(st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31))).isoformat(),
        "destination": draw(countries),
        "parties": draw(parties),
        "items": items,
        "end_use_codes": draw(st.lists(st.sampled_from(END_USES), max_size=2, unique=True)),
        "activity": draw(st.sampled_from(["export", "reexport", "transfer", "use"])),
    }
    if draw(st.booleans()):
        lic: dict[str, object] = {
            "id": "L",
            "authority": "US-BIS",
            "valid_from": "2023-01-01",
            "valid_to": "2026-12-31",
            "destinations": [tx["destination"]],
        }
        if draw(st.booleans()):
            lic["parties"] = ["Acme GmbH", "SMIC"]
        if draw(st.booleans()):
            lic["quantity"] = draw(st.sampled_from([1.0, 2.0, 10.0]))
        tx["licenses"] = [lic]
    if draw(st.booleans()):
        tx["exporter"] = {"name": "X", "country": draw(countries)}
    return tx


@settings(max_examples=200)
@given(tx=transactions())
def test_both_backends_give_the_same_decision_on_generated_transactions(tx: dict[str, object]) -> None:
    a, b = _DURABLE.evaluate(tx), _REFERENCE.evaluate(tx)
    assert a.model_dump() == b.model_dump()


@settings(max_examples=100)
@given(tx=transactions())
def test_an_unclassified_line_never_allows(tx: dict[str, object]) -> None:
    items = list(tx["items"])  # type: ignore[call-overload]
    items.append({"line": 99, "product": "Totally Unknown Part", "quantity": 1})
    d = _DURABLE.evaluate({**tx, "items": items})
    assert d.decision != "allow"
    assert [ld.decision for ld in d.lines if ld.line == 99] != ["allow"]
