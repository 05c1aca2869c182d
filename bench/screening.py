"""Benchmark of party screening at real scale. Not a test.

    python bench/screening.py              # about two minutes on 2 cores
    python bench/screening.py --entries 5000 --names 2000

Figures, each beside its target:

- the labelled set (tests/screening/labelled.yaml): recall (flagged), decided as a hit, false alarms;
- a generated Consolidated Screening List of ``--entries`` records in the published JSON format, imported
  with ``compliance lists import csl``: the import time; then, in a fresh process, loading the bundled packs
  with the import and building the engine (seconds, peak RSS, and the RSS the list adds);
- cost per new (never seen) name against that list, and against a list a tenth of its size (growth);
- a cold batch of 10,000 transactions with mostly new customer names on the bundled packs (durable-rules).

The generated names are seeded: syllable-built company names with places, trades and legal forms, and
"SURNAME, Given" persons, across the CSL's sources; the screened names are 80% new companies and persons
from another seed and 20% variants (case, legal form, typos) of listed names.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import machine  # noqa: E402
from compliance import Engine, load_packs  # noqa: E402
from compliance.io.lists import import_csl  # noqa: E402
from compliance.screening import PartyIndex  # noqa: E402

RULES = ROOT / "rules"
_INITIALS = "b p m f d t n l g k h j q x zh ch sh r z c s y w".split()
_FINALS = "a o e ai ei ao ou an en ang eng ong i ia ie iao iu ian in iang ing u ua uo uai ui uan un uang".split()
_WEST = "ar ber cor dan el fen gar hal in jor kel lin mar nor or pel quin ros sel tor ul vor wen yor zan".split()
_PLACES = "Shanghai Beijing Shenzhen Tianjin Chengdu Wuhan Xiamen Moscow Tehran Dubai Minsk Karachi Hong Kong Istanbul".split()
_TRADES = (
    "Technology Electronics Trading Industrial Machinery Precision Instruments Aviation Logistics Semiconductor "
    "Microelectronics Optics Software Materials Chemical Energy Shipping Engineering Research Institute".split()
)
_FORMS = ["Co., Ltd.", "Limited", "LLC", "Trading Co.", "JSC", "OOO", "FZE", "Pte. Ltd.", "GmbH", "Company"]
_SOURCES = [
    ("Entity List (EL) - Bureau of Industry and Security", 0.35),
    ("Specially Designated Nationals (SDN) - Treasury Department", 0.45),
    ("Military End User (MEU) List - Bureau of Industry and Security", 0.05),
    ("Unverified List (UVL) - Bureau of Industry and Security", 0.05),
    ("Denied Persons List (DPL) - Bureau of Industry and Security", 0.05),
    ("Sectoral Sanctions Identifications List (SSI) - Treasury Department", 0.05),
]
_COUNTRIES = ["CN", "RU", "IR", "AE", "HK", "BY", "KP", "SY", "TR", "PK"]


def _syllable(rng: random.Random) -> str:
    return rng.choice(_INITIALS) + rng.choice(_FINALS)


def _brand(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return "".join(_syllable(rng) for _ in range(rng.choice((2, 2, 3)))).capitalize()
    return "".join(rng.choice(_WEST) for _ in range(3)).capitalize()


def company(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.4:
        return f"{rng.choice(_PLACES)} {_brand(rng)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
    if shape < 0.8:
        return f"{_brand(rng)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
    return f"{_brand(rng)} {_brand(rng)} {rng.choice(_FORMS)}"


def person(rng: random.Random) -> str:
    return f"{_brand(rng).upper()}, {_brand(rng)} {_brand(rng)}"


def csl_json(n: int, seed: int = 1) -> dict[str, object]:
    rng = random.Random(seed)
    results = []
    for i in range(n):
        r = rng.random()
        source = next(s for s, w in _accumulate(_SOURCES) if r < w)
        individual = "SDN" in source and rng.random() < 0.4
        name = person(rng) if individual else company(rng)
        aliases = [person(rng) if individual else company(rng) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
        results.append(
            {
                "id": f"g{i}",
                "source": source,
                "type": "Individual" if individual else "Entity",
                "name": name,
                "alt_names": aliases,
                "addresses": [{"address": "Example Street 1", "country": rng.choice(_COUNTRIES)}],
                "start_date": (dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))).isoformat(),
                "federal_register_notice": f"{rng.randrange(80, 91)} FR {rng.randrange(1000, 90000)}",
                "license_requirement": "For all items subject to the EAR." if "EL" in source else None,
                "license_policy": "Presumption of denial." if "EL" in source else None,
                "programs": ["IRAN"] if "Treasury" in source else [],
                "source_information_url": "https://www.trade.gov/consolidated-screening-list",
            }
        )
    return {"total": n, "results": results}


def _accumulate(pairs: list[tuple[str, float]]) -> list[tuple[str, float]]:
    out, total = [], 0.0
    for s, w in pairs:
        total += w
        out.append((s, total))
    out[-1] = (out[-1][0], 1.01)
    return out


def queries(listed: list[str], n: int, seed: int = 2) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 5 == 0:
            name = rng.choice(listed)
            out.append(rng.choice([name.upper(), name.replace("Co., Ltd.", "Limited"), name[:-2] + name[-1]]))
        else:
            out.append(person(rng) if rng.random() < 0.3 else company(rng))
    return list(dict.fromkeys(out))


def name_cost(entries: int, names: int, tmp: Path) -> dict[str, float]:
    data = csl_json(entries)
    src = tmp / f"csl-{entries}.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    out = tmp / f"pack-{entries}"
    t0 = time.perf_counter()
    import_csl(src, out, rules=[RULES], list_date=dt.date(2026, 11, 30))
    import_s = time.perf_counter() - t0
    packset = load_packs([RULES, out])
    index = PartyIndex({lid: pl.entries for lid, pl in packset.party_lists.items()})
    listed = [r["name"] for r in data["results"]]  # type: ignore[index]
    qs = queries(listed, names)  # type: ignore[arg-type]
    on = dt.date(2026, 12, 1)
    t0 = time.perf_counter()
    flagged = sum(1 for q in qs if index.screen(q, "CN", on))
    per_name = (time.perf_counter() - t0) / len(qs)
    return {"import_s": import_s, "us_per_name": per_name * 1e6, "flagged": flagged / len(qs), "names": len(index)}


_LOAD = """
import sys, time
sys.path.insert(0, {root!r})
from compliance import Engine, load_packs

def peak_mb():
    # VmHWM: this process's own peak (getrusage's ru_maxrss keeps the parent's across exec on Linux)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

t = time.perf_counter()
engine = Engine(load_packs({roots!r}), backend="durable")
print(time.perf_counter() - t, peak_mb())
"""


def load_cost(roots: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of loading ``roots`` and building the engine, in a fresh process."""
    code = _LOAD.format(root=str(ROOT), roots=roots)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def cold_batch(n: int = 10_000) -> float:
    rng = random.Random(3)
    products = ["laptop", "NVIDIA H20", "H100", "gallium", None]
    txs = []
    for i in range(n):
        item: dict[str, object] = {"line": 1, "quantity": rng.randrange(1, 50)}
        product = rng.choice(products)
        item["product" if product else "eccn"] = product or "EAR99"
        parties = [{"role": "end_user", "name": company(rng), "country": rng.choice([*_COUNTRIES, "DE", "US"])}]
        if rng.random() < 0.5:
            parties.append({"role": "purchaser", "name": company(rng), "country": "DE"})
        if i % 10 == 0:
            parties.append({"role": "end_user", "name": "Huawei Technologies Co Ltd", "country": "CN"})
        txs.append(
            {
                "id": f"B{i}",
                "date": "2026-06-01",
                "destination": rng.choice(["DE", "CN", "SG", "AE", "US"]),
                "exporter": {"name": "Example Systems Inc.", "country": "US"},
                "parties": parties,
                "items": [item],
            }
        )
    with Engine.from_directory(RULES) as engine:
        t0 = time.perf_counter()
        for tx in txs:
            engine.decide(tx)
        return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--names", type=int, default=10_000)
    args = parser.parse_args()
    from tests.screening.labelled import measure

    print(f"machine: {machine()}")
    t0 = time.process_time()
    x = 0
    for i in range(10_000_000):
        x += i
    # The machine is shared: this loop says how fast Python ran during the run (typically 0.4-0.5 s).
    print(f"speed: a 10,000,000-step Python loop took {time.process_time() - t0:.2f} s of CPU")
    m = measure(load_packs([RULES]))
    rows: list[tuple[str, str, str]] = [
        ("labelled set: true variants flagged (review or hit)", f"{m.recall:.1%} of {m.positives}", ">= 95%"),
        ("labelled set: true variants decided as a hit", f"{m.decided_rate:.1%}", ">= 85%"),
        ("labelled set: false alarms on unrelated names", f"{m.false_alarm_rate:.2%} of {m.negatives}", "<= 1%"),
    ]
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        small = name_cost(max(args.entries // 10, 100), args.names, tmp)
        big = name_cost(args.entries, args.names, tmp)
        bundled_s, bundled_mb = load_cost([str(RULES)])
        load_s, load_mb = load_cost([str(RULES), str(tmp / f"pack-{args.entries}")])
    e = f"{args.entries:,}"
    rows += [
        (f"CSL import of {e} records (JSON), `lists import csl`", f"{big['import_s']:.2f} s", ""),
        (f"load bundled packs + {e}-entry list, build engine", f"{load_s:.2f} s", "< 5 s"),
        ("  peak RSS of that process", f"{load_mb:.0f} MB", ""),
        (
            f"  RSS the list adds (bundled packs alone: {bundled_mb:.0f} MB, {bundled_s:.2f} s)",
            f"{load_mb - bundled_mb:.0f} MB",
            "< 200 MB",
        ),
        (
            f"cost per new name, {e} entries ({big['names']:,.0f} names and aliases)",
            f"{big['us_per_name']:.0f} us",
            "<= 100 us",
        ),
        (f"cost per new name, {args.entries // 10:,} entries", f"{small['us_per_name']:.0f} us", "sub-linear"),
        ("  screened names flagged (20% are variants of listed names)", f"{big['flagged']:.1%}", ""),
        ("cold batch, 10,000 tx with mostly new names, bundled packs", f"{cold_batch():,.0f} tx/s", ">= 3,000"),
    ]
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'figure':<{width}}{'now':>18}  target")
    for label, value, target in rows:
        print(f"{label:<{width}}{value:>18}  {target}")


if __name__ == "__main__":
    main()
