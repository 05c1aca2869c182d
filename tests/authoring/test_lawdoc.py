"""docs/law.md is generated from the packs and docs/law-notes.yaml; it must be up to date."""

from __future__ import annotations

import dataclasses

import pytest

from compliance import PackError
from compliance.authoring.lawdoc import render, render_from
from compliance.packs import load_packs
from compliance.source import load_document
from tests.conftest import ROOT, RULES


def test_law_md_is_generated_from_the_packs() -> None:
    expected = render_from(RULES, ROOT / "docs" / "law-notes.yaml")
    assert (ROOT / "docs" / "law.md").read_text() == expected, (
        "run: python -m compliance.authoring.lawdoc rules docs/law-notes.yaml > docs/law.md"
    )
    assert "## Changed since 0.2.0" in expected and "## Unconfirmed" in expected
    assert "2026-11-28 (unconfirmed) .. open" in expected


def test_a_rule_without_a_confidence_entry_is_an_error() -> None:
    packs = load_packs([RULES])
    notes = load_document(ROOT / "docs" / "law-notes.yaml").data
    assert isinstance(notes, dict)
    fewer = {
        **notes,
        "confidence": {k: v for k, v in notes["confidence"].items() if k != "us-ear.el.affiliates-license"},
    }
    with pytest.raises(PackError) as err:
        render(dataclasses.replace(packs), fewer)
    assert [p.code for p in err.value.problems] == ["undocumented-rule"]
