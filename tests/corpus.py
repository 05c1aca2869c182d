"""A seeded synthetic corpus of realistic transactions (shared by tests and bench/)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

PRODUCTS = [
    "NVIDIA H20",
    "H100",
    "H100 SXM",
    "nvidia-h20",
    "Ascend 910B",
    "Ascend 910C",
    "gallium",
    "germanium",
    "laptop",
    "AMD MI308",
    "Acme Widget 3000",
    None,
]
DESTINATIONS = ["CN", "HK", "MO", "DE", "US", "SG", "MY", "VN", "IN", "JP", "RU", "AE", "IL", "GB", "FR", "CU", "IR"]
PARTY_NAMES = [
    "Example Cloud Computing Co., Ltd.",
    "Huawei Technologies Co Ltd",
    "SMIC",
    "Acme GmbH",
    "Contoso Ltd",
    "Northwind Traders Inc.",
    "Fabrikam Pte. Ltd.",
    "Huawei Technologies Deutschland GmbH",
]
EXPORTERS = [("Example Systems Inc.", "US"), ("Example Metals Co., Ltd.", "CN"), ("Beispiel AG", "DE")]


def transaction(rng: random.Random, i: int) -> dict[str, object]:
    day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 1400))
    items = []
    for line in range(1, rng.randint(1, 5) + 1):
        item: dict[str, object] = {"line": line, "quantity": rng.randint(1, 500)}
        product = rng.choice(PRODUCTS)
        if product:
            item["product"] = product
        if product is None or rng.random() < 0.15:
            item["eccn"] = rng.choice(["EAR99", "3A090.a", "5A992.c", "4A090.b"])
        items.append(item)
    name, country = rng.choice(EXPORTERS)
    tx: dict[str, object] = {
        "id": f"SO-{i:07d}",
        "date": day.isoformat(),
        "exporter": {"name": name, "country": country},
        "destination": rng.choice(DESTINATIONS),
        "parties": [
            {
                "role": rng.choice(["end_user", "purchaser", "ultimate_consignee"]),
                "name": rng.choice(PARTY_NAMES),
                "country": rng.choice(["CN", "DE", "SG", "US"]),
            }
        ],
        "items": items,
    }
    if rng.random() < 0.1:
        tx["licenses"] = [{"id": f"L{i}", "authority": "US-BIS", "valid_from": "2025-01-01", "valid_to": "2026-12-31"}]
    return tx


def corpus(n: int, seed: int = 20261125) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    for i in range(n):
        yield transaction(rng, i)
