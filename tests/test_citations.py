from __future__ import annotations

import pytest

from compliance.citations import check_citation, parse_citation, suggest_citation


@pytest.mark.parametrize(
    ("text", "kind", "parts"),
    [
        ("15 CFR 742.6(a)(6)(iii)", "cfr-section", ("15", "742", "6", "(a)(6)(iii)")),
        ("15 CFR 744.11", "cfr-section", ("15", "744", "11")),
        ("15 CFR 736.2(b)(10)", "cfr-section", ("15", "736", "2", "(b)(10)")),
        ("15 CFR part 744", "cfr-part", ("15", "744")),
        ("15 CFR part 740 Supplement No. 1", "cfr-supplement", ("15", "740", "1")),
        ("15 CFR parts 730-774", "cfr-parts", ("15", "730", "774")),
        ("88 FR 73458", "fr-page", ("88", "73458")),
        ("FR Doc. 2026-02262", "fr-doc", ("2026", "02262")),
        ("MOFCOM/GAC Announcement No. 23 of 2023", "mofcom-announcement", ("MOFCOM/GAC", "23", "2023")),
        ("MOFCOM Announcement No. 46 of 2024", "mofcom-announcement", ("MOFCOM", "46", "2024")),
        ("State Council Order No. 792", "state-council-order", ("792",)),
        ("Export Control Law of the PRC", "prc-law", ("Export Control Law",)),
        ("Export Control Law of the PRC, Art. 12", "prc-law", ("Export Control Law", "12")),
    ],
)
def test_recognised_forms(text: str, kind: str, parts: tuple[str, ...]) -> None:
    form = parse_citation(text)
    assert form is not None
    assert (form.kind, form.parts) == (kind, parts)
    assert check_citation(text, None) is None


@pytest.mark.parametrize(
    "text",
    [
        "15 CFR",
        "CFR 744.11",
        "15 CFR parts 774-730",
        "88 FR",
        "FR Doc. 26-1",
        "MOFCOM Announcement 46",
        "Announcement No. 23 of 2023",
        "State Council Order 792",
        "Export Control Law",
        "BIS guidance",
        "",
    ],
)
def test_unrecognised_without_url_is_a_problem(text: str) -> None:
    assert parse_citation(text) is None
    problem = check_citation(text, None)
    assert problem is not None and "not in a recognised form" in problem[0]


def test_any_text_with_a_url_is_accepted() -> None:
    assert check_citation("BIS guidance of 2025-05-13", "https://www.bis.gov/") is None
    assert check_citation("BIS guidance of 2025-05-13", "  ") is not None


@pytest.mark.parametrize(
    ("near", "canonical"),
    [
        ("15 C.F.R. § 744.11", "15 CFR 744.11"),
        ("15 CFR Part 744", "15 CFR part 744"),
        ("FR Doc 2026-14132", "FR Doc. 2026-14132"),
        ("15 CFR Supplement No. 1 to Part 740", "15 CFR part 740 Supplement No. 1"),
        ("MOFCOM Announcement No 46 of 2024", "MOFCOM Announcement No. 46 of 2024"),
        ("Export Control Law of the People's Republic of China, Article 12", "Export Control Law of the PRC, Art. 12"),
    ],
)
def test_did_you_mean(near: str, canonical: str) -> None:
    assert suggest_citation(near) == canonical
    problem = check_citation(near, None)
    assert problem is not None and problem[1] == f"did you mean {canonical!r}?"
