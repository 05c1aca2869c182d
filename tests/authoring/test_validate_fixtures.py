"""One deliberately broken pack per problem code: each must report exactly these (file, line, col, level, code).

The fixtures live in ``tests/fixtures/packs/<code>/``; a fixture's name is the code it exists to show.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.authoring.lint import validate
from compliance.errors import ExitCode
from tests.conftest import ROOT, RULES

FIXTURES = ROOT / "tests" / "fixtures" / "packs"

EXPECTED: dict[str, list[tuple[str, int, int, str, str]]] = {
    "binary": [
        ("rules.yaml", 1, 1, "error", "binary"),
    ],
    "citation-form": [
        ("rules.yaml", 12, 15, "error", "citation-form"),
        ("rules.yaml", 13, 15, "error", "citation-form"),
    ],
    "conflicting-effects": [
        ("rules.yaml", 14, 9, "warning", "conflicting-effects"),
    ],
    "control-code-shape": [
        ("catalog.yaml", 9, 23, "error", "control-code-shape"),
        ("rules.yaml", 8, 30, "error", "control-code-shape"),
        ("rules.yaml", 8, 39, "error", "control-code-shape"),
    ],
    "duplicate-key": [
        ("rules.yaml", 10, 5, "error", "duplicate-key"),
    ],
    "duplicate-rule-id": [
        ("rules.yaml", 4, 9, "error", "duplicate-rule-id"),
    ],
    "encoding": [
        ("rules.yaml", 4, 22, "error", "encoding"),
    ],
    "invalid-format": [
        ("rules.yaml", 4, 9, "error", "invalid-format"),
    ],
    "invalid-value": [
        ("rules.yaml", 6, 13, "error", "invalid-value"),
    ],
    "inverted-window": [
        ("groups.yaml", 6, 55, "error", "inverted-window"),
        ("rules.yaml", 10, 19, "error", "inverted-window"),
    ],
    "missing-citation": [
        ("rules.yaml", 4, 5, "error", "missing-citation"),
        ("rules.yaml", 18, 16, "error", "missing-citation"),
    ],
    "missing-field": [
        ("rules.yaml", 4, 5, "error", "missing-field"),
    ],
    "never-fires": [
        ("rules.yaml", 4, 9, "warning", "never-fires"),
        ("rules.yaml", 15, 9, "warning", "never-fires"),
    ],
    "overlapping-window": [
        ("groups.yaml", 6, 23, "warning", "overlapping-window"),
        ("rules.yaml", 14, 9, "warning", "overlapping-window"),
    ],
    "rule-id-prefix": [
        ("rules.yaml", 4, 9, "error", "rule-id-prefix"),
    ],
    "sentinel-value": [
        ("rules.yaml", 8, 21, "error", "sentinel-value"),
        ("rules.yaml", 17, 22, "error", "sentinel-value"),
        ("rules.yaml", 19, 21, "error", "sentinel-value"),
    ],
    "shadowed-rule": [
        ("rules.yaml", 13, 9, "warning", "shadowed-rule"),
    ],
    "too-large": [
        ("rules.yaml", 1, 11, "error", "too-large"),
    ],
    "unknown-country-group": [
        ("rules.yaml", 8, 28, "error", "unknown-country-group"),
    ],
    "unknown-key": [
        ("rules.yaml", 10, 5, "error", "unknown-key"),
    ],
    "unknown-pack": [
        ("rules.yaml", 2, 7, "error", "unknown-pack"),
        ("rules.yaml", 4, 9, "error", "rule-id-prefix"),
    ],
    "unknown-party-list": [
        ("rules.yaml", 8, 21, "error", "unknown-party-list"),
    ],
    "unknown-product": [
        ("rules.yaml", 8, 18, "error", "unknown-product"),
    ],
    "unknown-product-tag": [
        ("rules.yaml", 8, 22, "error", "unknown-product-tag"),
    ],
    "unknown-rule": [
        ("tests/cases.yaml", 7, 40, "error", "unknown-rule"),
    ],
    "untested-vocabulary": [
        ("pack.yaml", 2, 5, "warning", "untested-vocabulary")
        for _code in (
            "military_end_user",
            "military_intelligence",
            "supercomputer",
            "advanced_node_ic",
            "wmd",
            "ai_training",
            "technical_analysis",
        )
    ],
    "unknown-spec": [
        ("rules.yaml", 9, 9, "warning", "unknown-spec"),
    ],
    "window-outside-coverage": [
        ("rules.yaml", 4, 9, "warning", "window-outside-coverage"),
    ],
    "wrong-type": [
        ("rules.yaml", 8, 21, "error", "wrong-type"),
    ],
    "yaml-syntax": [
        ("rules.yaml", 9, 19, "error", "yaml-syntax"),
    ],
    "yaml-tag": [
        ("rules.yaml", 5, 12, "error", "yaml-tag"),
    ],
}


def test_every_fixture_has_expectations() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(EXPECTED)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_fixture_reports_exact_locations(code: str) -> None:
    report = validate([FIXTURES / code])
    found = [
        (
            Path(p.location.file).relative_to(FIXTURES / code).as_posix(),
            p.location.line,
            p.location.col,
            p.level,
            p.code,
        )
        for p in report.problems
    ]
    assert found == EXPECTED[code]
    assert code in {c for *_, c in found}, "a fixture must show the code it is named after"
    errors = any(level == "error" for *_, level, _c in found)
    assert report.exit_code() == (ExitCode.PACK_ERROR if errors else ExitCode.ALLOW)
    assert report.exit_code(strict=True) == ExitCode.PACK_ERROR


def test_static_analysis_names_both_locations() -> None:
    (problem,) = validate([FIXTURES / "shadowed-rule"]).problems
    assert problem.location.line == 13 and [r.line for r in problem.related] == [4]
    assert "us-demo.t.wide" in problem.message and "rules.yaml:4:9" in problem.message


def test_never_fires_is_sound_for_a_disjunction() -> None:
    # `any: [CN, RU]` with `not: CN` can still fire for RU: only the two provably dead rules are reported.
    report = validate([FIXTURES / "never-fires"])
    assert ["us-demo.t.base" in report.problems[0].message, "us-demo.t.specs" in report.problems[1].message] == [
        True,
        True,
    ]
    assert not any("us-demo.t.maybe" in p.message for p in report.problems)


def test_unknown_key_suggests_the_field() -> None:
    (problem,) = validate([FIXTURES / "unknown-key"]).problems
    assert problem.help == "did you mean 'note'?"


def test_bundled_packs_validate_clean_with_strict() -> None:
    report = validate([RULES])
    assert report.problems == ()
    assert report.exit_code(strict=True) == ExitCode.ALLOW


def test_untested_vocabulary_names_each_code_but_not_informational_ones() -> None:
    messages = [p.message for p in validate([FIXTURES / "untested-vocabulary"]).problems]
    assert any("'wmd'" in m for m in messages) and any("'technical_analysis'" in m for m in messages)
    assert not any("'military'" in m or "'civil'" in m for m in messages)
