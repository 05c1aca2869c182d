"""Linked citations: URLs built from the citation's form, dated eCFR links in decisions, the validate warning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from compliance import Engine
from compliance.authoring.cases import load_cases
from compliance.authoring.citelinks import add_urls, missing_urls
from compliance.authoring.lint import validate
from compliance.citations import citation_url, parse_citation, point_in_time
from compliance.io.render import render_decision
from compliance.models.pack import Citation
from compliance.packs.load import load_packs
from compliance.source import load_document
from tests.conftest import EXAMPLES, RULES

ON = dt.date(2025, 9, 1)


def test_urls_built_from_the_form() -> None:
    assert citation_url("15 CFR 744.11", ON) == "https://www.ecfr.gov/on/2025-09-01/title-15/section-744.11"
    assert citation_url("15 CFR 744.11") == "https://www.ecfr.gov/current/title-15/section-744.11"
    assert citation_url("15 CFR 742.6(a)(6)(iii)") == (
        "https://www.ecfr.gov/current/title-15/section-742.6#p-742.6(a)(6)(iii)"
    )
    assert citation_url("15 CFR part 744") == "https://www.ecfr.gov/current/title-15/part-744"
    assert citation_url("15 CFR part 744 Supplement No. 4") == (
        "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-C/part-744/"
        "appendix-Supplement%20No.%204%20to%20Part%20744"
    )
    assert citation_url("88 FR 73458") == "https://www.federalregister.gov/citation/88-FR-73458"
    assert citation_url("FR Doc. 2025-19001") == "https://www.federalregister.gov/d/2025-19001"
    # No link can be built from these forms (or from an unrecognised text): none is guessed.
    for cite in (
        "MOFCOM Announcement No. 46 of 2024",
        "State Council Order No. 792",
        "31 CFR part 560 Supplement No. 1",
    ):
        assert citation_url(cite) is None
    assert citation_url("15 C.F.R. 744.11") is None


def test_point_in_time_only_rewrites_current_ecfr_links() -> None:
    current = "https://www.ecfr.gov/current/title-15/part-742/section-742.6"
    assert point_in_time(current, ON) == "https://www.ecfr.gov/on/2025-09-01/title-15/part-742/section-742.6"
    other = "https://www.federalregister.gov/d/2025-19001"
    assert point_in_time(other, ON) == other


def _decisions(engine: Engine) -> list[tuple[dt.date, list[Citation]]]:
    cases = load_cases([RULES], {pr.rule.id for pr in load_packs([RULES]).rules})
    out = []
    for case in cases:
        d = engine.evaluate(case.transaction, as_of=case.spec.as_of)
        cites = [c for f in d.findings for c in [*f.citations, *(f.match.citations if f.match else [])]]
        out.append((d.as_of, cites))
    return out


def test_every_cfr_and_fr_citation_in_decisions_has_a_url(engine: Engine) -> None:
    seen = 0
    for as_of, cites in _decisions(engine):
        for c in cites:
            form = parse_citation(c.cite)
            if form is None or not form.kind.startswith(("cfr", "fr")):
                continue
            seen += 1
            assert c.url, f"{c.cite} has no url"
            if "ecfr.gov" in c.url:
                # The text in force on the decision's date, not today's.
                assert c.url.startswith(f"https://www.ecfr.gov/on/{as_of.isoformat()}/"), c.url
    assert seen > 500


def test_text_shows_dates_once_and_marks_secondary_sources(engine: Engine) -> None:
    from compliance.intake import load_transaction

    text = render_decision(engine.evaluate(load_transaction(EXAMPLES / "h20-to-china.yaml")))
    assert "(2025-04-15) (2025-04-15)" not in text and "filed 2025-04-15 <" in text
    assert "tipranks.com/stocks/tse%3Aamd/risk-factors> [secondary source]" in text
    assert "<https://www.ecfr.gov/on/2025-05-01/title-15/section-744.23#p-744.23(b)>" in text


def test_line_headers_show_control_codes(engine: Engine) -> None:
    from compliance.intake import load_transaction

    text = render_decision(engine.evaluate(load_transaction(EXAMPLES / "h100-to-germany.yaml")))
    assert "  line 1 nvidia-h100 [us-ear:3A090.a]: ALLOW" in text.splitlines()


_PACK = """kind: pack
id: demo
title: Demo
jurisdiction: US EAR
version: "1"
reviewed: 2025-01-01
coverage_from: 2020-01-01
sources:
  - {cite: 15 CFR 744.11, date: 2024-01-01}
  - cite: 88 FR 73458
    title: "A rule, with {braces} and a comma"
  - {cite: "FR Doc. 2025-19001", url: "https://example.org/kept"}
  - {cite: 15 CFR part 744, secondary: true}
  - {cite: MOFCOM Announcement No. 46 of 2024}
"""


def test_validate_warns_and_the_fixer_adds_the_urls(tmp_path: Path) -> None:
    pack = tmp_path / "demo"
    pack.mkdir()
    (pack / "pack.yaml").write_text(_PACK, encoding="utf-8")
    warned = [p for p in validate([tmp_path]).problems if p.code == "citation-url"]
    assert [(p.location.line, p.location.col, p.level) for p in warned] == [(9, 12, "warning"), (10, 11, "warning")]
    assert add_urls(pack / "pack.yaml") == 2
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    assert (
        '  - {cite: 15 CFR 744.11, date: 2024-01-01, url: "https://www.ecfr.gov/current/title-15/section-744.11"}'
        in text
    )
    assert '  - cite: 88 FR 73458\n    url: "https://www.federalregister.gov/citation/88-FR-73458"\n    title:' in text
    assert "https://example.org/kept" in text and text.count("url:") == 3  # secondary and MOFCOM left alone
    assert missing_urls(load_document(pack / "pack.yaml")) == []
    assert not [p for p in validate([tmp_path]).problems if p.code == "citation-url"]
