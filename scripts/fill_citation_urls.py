#!/usr/bin/env python3
"""Add the url of every primary citation in the packs that lacks one and whose form gives one.

    python scripts/fill_citation_urls.py [RULES_DIR ...]      (default: rules)

eCFR links are written as the current text (``https://www.ecfr.gov/current/...``); decisions show them as the
text in force on their date. A MOFCOM announcement gets the url another citation of it in the packs gives.
The files are edited in place, nothing else in them changes; review the diff, then `compliance validate
--strict rules`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from compliance.authoring.citelinks import add_urls, known_urls
from compliance.source import load_document


def main(roots: list[str]) -> int:
    files = sorted(p for root in roots for p in Path(root).rglob("*.yaml") if "tests" not in p.parts)
    known = known_urls([load_document(p) for p in files])
    total = 0
    for path in files:
        added = add_urls(path, known)
        if added:
            print(f"{path}: {added} url(s) added")
        total += added
    print(f"{total} url(s) added")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["rules"]))
