"""At real scale (slow): a generated 20,000-record CSL imports, loads beside the bundled packs, and every listed
name is found as itself. Speed is measured by bench/screening.py, never here."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bench.screening import csl_json
from compliance import load_packs
from compliance.io.lists import import_csl
from compliance.screening import PartyIndex
from tests.conftest import RULES


@pytest.mark.slow
def test_a_20000_record_list_imports_loads_and_finds_its_names(tmp_path: Path) -> None:
    data = csl_json(20_000)
    src = tmp_path / "consolidated.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "csl"
    result = import_csl(src, out, rules=[RULES], list_date=dt.date(2026, 11, 30))
    assert sum(result.imported.values()) + len(result.skipped) == 20_000
    packs = load_packs([RULES, out])
    index = PartyIndex({lid: pl.entries for lid, pl in packs.party_lists.items()})
    on = dt.date(2026, 12, 1)
    records = data["results"]
    assert isinstance(records, list)
    for rec in records[::100]:
        country = rec["addresses"][0]["country"]
        hits = index.screen(rec["name"].upper(), country, on)
        assert any(h.match == "exact" and h.entry.name == rec["name"] for h in hits), rec["name"]
