"""The stated end use, read for the end uses that change the law: a text that names one the codes do not declare.

`end_use` is free text, `end_use_codes` the vocabulary the rules test. An ERP export (or an evader) writes
"for PLA military use" in the text and declares no code, or declares `civil`: the rules for military end uses
would never fire, and the order would be allowed. The words below are read in English and Chinese; a match is a
review asking for the code, never a guess of which rule applies (the words are evidence the exporter knows,
15 CFR 744.21(a) "knowledge", but their reading is the officer's).
"""

from __future__ import annotations

import re
import unicodedata

from compliance.evaluate.resolve import engine_finding
from compliance.evaluate.values import FindingValue

__all__ = ["end_use_text_findings"]

# (what the text suggests, the codes any of which declares it, the words that suggest it)
_TERMS: tuple[tuple[str, frozenset[str], re.Pattern[str]], ...] = (
    (
        "a military end use or end user",
        frozenset({"military", "military_end_user", "military_intelligence"}),
        re.compile(
            r"\b(?:military|militar\w*|army|navy|naval|air ?force|armed forces|pla|defen[cs]e ministry|"
            r"ministry of (?:national )?defen[cs]e|warfare|combat)\b|军|國防|国防|部队|部隊",
            re.IGNORECASE,
        ),
    ),
    (
        "weapons of mass destruction or missiles",
        frozenset({"wmd"}),
        re.compile(
            r"\b(?:nuclear|weapons?|missiles?|rockets?|warheads?|chemical weapons?|biological weapons?|"
            r"uranium enrichment|centrifuges?)\b|核|武器|导弹|導彈|火箭",
            re.IGNORECASE,
        ),
    ),
    (
        "military intelligence",
        frozenset({"military_intelligence"}),
        re.compile(r"\b(?:intelligence (?:service|agency|directorate)|signals intelligence|sigint)\b|情报|情報"),
    ),
    (
        "a supercomputer",
        frozenset({"supercomputer"}),
        re.compile(r"\bsuper ?computers?\b|超级计算|超級計算|超算", re.IGNORECASE),
    ),
)


def end_use_text_findings(end_use: str | None, codes: frozenset[str]) -> list[FindingValue]:
    """Reviews for what ``end_use`` suggests and ``codes`` (the declared end-use codes) does not declare."""
    if not end_use:
        return []
    text = unicodedata.normalize("NFKC", end_use)
    out = []
    for what, declares, words in _TERMS:
        found = words.search(text)
        if found is None or codes & declares:
            continue
        out.append(
            engine_finding(
                "engine.end-use-text",
                None,
                "Stated end use suggests a controlled end use",
                f"The stated end use ({end_use!r}) mentions {found.group()!r}, which suggests {what}, but the order "
                f"declares no matching end-use code ({', '.join(sorted(declares))}); the rules for that end use "
                "were not applied. Declare the code if the text is right (its rules then decide), or correct the "
                "text.",
            )
        )
    return out
