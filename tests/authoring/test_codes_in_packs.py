"""Control numbers in packs: one shape per jurisdiction, and an unquoted `3E001` refused where it stands."""

from __future__ import annotations

from pathlib import Path

from compliance import Engine
from compliance.authoring.lint import validate

PACK = """\
kind: pack
id: cn-demo
title: Demo PRC pack
jurisdiction: Export Control Law of the PRC
version: 0.0.1
reviewed: 2025-01-01
coverage_from: 2023-01-01
scope:
  exporter_countries: [CN]
sources:
  - cite: State Council Order No. 792
"""

RULES = """\
kind: rules
pack: cn-demo
rules:
  - id: cn-demo.t.ree
    title: Samarium items (by control-list code) need a licence
    effect: license_required
    authority: CN-MOFCOM
    when:
      control_codes: [CODE]
    effective_from: 2025-04-04
    message: A MOFCOM licence is needed.
    citations:
      - cite: MOFCOM/GAC Announcement No. 18 of 2025
"""


def _pack(tmp_path: Path, code: str) -> Path:
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "rules.yaml").write_text(RULES.replace("CODE", code))
    return tmp_path


def test_an_unquoted_e_code_is_refused_with_a_quote_it_hint(tmp_path: Path) -> None:
    (problem,) = validate([_pack(tmp_path, "1E001")]).problems
    assert (problem.location.line, problem.location.col, problem.code) == (9, 23, "invalid-value")
    assert 'quote it: "1E001"' in problem.message


def test_prc_codes_are_checked_against_their_own_shape(tmp_path: Path) -> None:
    (problem,) = validate([_pack(tmp_path, "1C902.A")]).problems
    assert problem.code == "control-code-shape" and problem.help == "did you mean '1C902.a'?"
    assert validate([_pack(tmp_path, "'1E001'")]).problems == ()


def test_a_prc_rule_tests_the_prc_code_an_order_gives(tmp_path: Path) -> None:
    with Engine.from_directory(_pack(tmp_path, "1C902"), backend="reference") as engine:
        order = {
            "id": "T",
            "date": "2025-06-02",
            "exporter": {"name": "Baotou Magnets", "country": "CN"},
            "destination": "DE",
            "items": [{"line": 1, "quantity": 5, "eccn": "EAR99", "control_codes": {"CN": " 1c902.a "}}],
        }
        d = engine.evaluate(order)
        assert [(f.rule_id, f.outcome) for f in d.findings] == [("cn-demo.t.ree", "deny")]
        # A US ECCN is not a PRC code: the PRC rule does not see it, and for the PRC pack the item is unclassified.
        item = {"line": 1, "quantity": 5, "eccn": "1C902.a"}
        d = engine.evaluate({**order, "items": [item]})
        assert [f.rule_id for f in d.findings] == ["engine.unclassified-item"]
