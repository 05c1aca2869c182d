"""An ERP export with a customs tariff column: the HS code classifies the line without a catalog product id."""

from __future__ import annotations

import io

from compliance import Engine
from compliance.io.readers import read_csv
from tests.conftest import RULES

_ENGINE = Engine.from_directory(RULES, backend="reference")


def test_csv_hs_code_column_classifies_the_line() -> None:
    text = (
        "transaction_id,date,exporter_name,exporter_country,destination,line,description,hs_code,quantity\n"
        "SO-1,2025-03-01,Example Metals Co.,CN,DE,1,Ga ingots,8112.92.9090,10\n"
        "SO-2,2025-03-01,Example Metals Co.,CN,DE,1,metal powder,811292,10\n"
    )
    records = list(read_csv(io.StringIO(text), "o.csv"))
    assert all(r.transaction is not None for r in records)
    first, second = (_ENGINE.evaluate(r.transaction) for r in records if r.transaction is not None)
    assert first.decision == "deny" and first.lines[0].product == "gallium-metal"
    assert second.decision == "review" and "engine.hs-candidates" in {f.rule_id for f in second.findings}
