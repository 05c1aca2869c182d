"""Disguises an evader uses and careless exports produce: digits for letters, a foreign name transcribed into
Cyrillic, words and legal forms run together. Each is flagged (review), never allowed; the guessed readings
raise a possible match only, never an exact one (an officer confirms)."""

from __future__ import annotations

import pytest

from compliance import Decision, Engine
from compliance.screening.normalize import analyse


def _end_user(engine: Engine, name: str, country: str = "CN") -> Decision:
    return engine.evaluate(
        {
            "id": "DIS",
            "date": "2025-12-01",
            "exporter": {"name": "Example Exporter", "country": "US"},
            "destination": country,
            "parties": [{"role": "end_user", "name": name, "country": country}],
            "items": [{"line": 1, "eccn": "5A992.c", "quantity": 1}],
        }
    )


@pytest.mark.parametrize(
    "name",
    [
        "Huawe1 Technologies",  # used to be allowed
        "HUAWE1 TECHN0LOGIES CO., LTD.",
        "\u0425\u0443\u0430\u0432\u0435\u0439",  # Huawei in Cyrillic: used to be allowed
        "5MIC",
    ],
)
def test_a_guessed_reading_is_a_possible_match_for_an_officer(engine: Engine, name: str) -> None:
    d = _end_user(engine, name)
    assert d.decision == "review"
    matches = [f.match for f in d.findings if f.match is not None]
    assert matches and all(f.rule_id == "engine.possible-party-match" for f in d.findings if f.match)
    assert any("disguising a listed name" in f.message for f in d.findings)


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("KINGSEMIJAPANK.K.", "JP"),  # a legal form glued to the name: used to be allowed
        ("CASInstituteofAerospaceInformationInnovation", "CN"),  # a three-letter first word
        ("HUAKELOGISTICS(HK)LIMITEDCO.,LTD.", "HK"),  # two-letter words of a listed name, forms run together
    ],
)
def test_names_run_together_are_still_the_listed_party(engine: Engine, name: str, country: str) -> None:
    d = _end_user(engine, name, country)
    assert d.decision != "allow"
    assert any(f.match is not None for f in d.findings)


def test_a_short_word_is_not_cut_into_a_name_and_a_legal_form() -> None:
    # `Huaad` (a typo of Huada) must not read as `Hua` + the Bulgarian legal form `AD`.
    assert [f.key for f in analyse("Chengdu Huaad Jiutianke Technology Co., Ltd.")] == [
        "chengdu huaad jiutianke technology"
    ]


def test_guesses_are_marked_and_listed_names_are_not_read_with_them() -> None:
    forms = analyse("Huawe1 Technologies")
    assert [(f.key, bool(f.guess)) for f in forms] == [("huawe1 technology", False), ("huawei technology", True)]
    assert [f.key for f in analyse("Huawe1 Technologies", guesses=False)] == ["huawe1 technology"]
    # Digits that are words of their own, or stand beside one letter, are not letters in disguise.
    assert [f.key for f in analyse("3M A1 H100")] == ["3m a1 h100"]
