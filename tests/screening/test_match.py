"""Every party-list finding explains its match, in JSON always and in the text output, on both matchers."""

from __future__ import annotations

import json

from compliance import Engine
from compliance.evaluate.values import to_jsonable
from compliance.io.render import render_decision
from compliance.io.writers import dumps


def _tx(*parties: tuple[str, str, str]) -> dict[str, object]:
    return {
        "id": "SO-M",
        "date": "2025-06-01",
        "destination": "CN",
        "exporter": {"name": "Example Systems Inc.", "country": "US"},
        "parties": [{"role": r, "name": n, "country": c} for r, n, c in parties],
        "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}],
    }


def test_rule_findings_and_possible_matches_carry_the_match(engine: Engine) -> None:
    value = engine.decide(
        _tx(
            ("end_user", "华为技术有限公司", "CN"),
            ("purchaser", "Shanghai Biren Smart Technology Co., Ltd.", "CN"),
            ("other", "Example Logistics GmbH", "DE"),
        )
    )
    data = to_jsonable(value)
    findings = data["findings"]
    assert isinstance(findings, list)
    by_rule = {f["rule_id"]: f for f in findings}
    rule = by_rule["us-ear.el.huawei-smic-license"]["match"]
    assert (
        rule["kind"] == "exact"
        and rule["score"] == 1.0
        and rule["alias"]
        and rule["matched_name"] == "华为技术有限公司"
    )
    assert rule["list"] == "us-entity-list" and rule["entry"] == "Huawei Technologies Co., Ltd."
    assert rule["citations"] and rule["normalized_query"] == "华为技术" and len(rule["entry_sha256"]) == 64
    (possible,) = [
        f["match"]
        for f in findings
        if f["rule_id"] == "engine.possible-party-match"
        and f["match"]["entry"] == "Shanghai Biren Intelligent Technology Co., Ltd."
    ]
    assert possible["kind"] == "fuzzy" and 0.8 <= possible["score"] < 1 and possible["unmatched_tokens"] == ["smart"]
    for f in findings:  # findings with no party carry no match; every party-list one does
        assert (f["match"] is None) == (f["party"] is None or f["rule_id"].startswith("us-ear.ac")), f["rule_id"]
    text = render_decision(engine.evaluate(_tx(("end_user", "Huawei Technologies Co Ltd", "CN"))))
    assert "match: exact 1.00 on us-entity-list 'Huawei Technologies Co., Ltd.'" in text
    assert json.loads(dumps(data)) == data


def test_a_party_in_another_country_is_a_possible_match_saying_so(engine: Engine) -> None:
    d = engine.evaluate(_tx(("end_user", "Huawei Technologies Co., Ltd.", "DE")))
    (f,) = [
        f
        for f in d.findings
        if f.rule_id == "engine.possible-party-match" and f.match and f.match.entry == "Huawei Technologies Co., Ltd."
    ]
    assert f.match is not None and f.match.kind == "exact" and not f.match.country_match
    assert d.decision == "review" and "entry lists CN" in f.message
