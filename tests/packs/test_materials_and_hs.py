"""Material families become catalog products; HS codes are matched by prefix; new pack keys are checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from compliance import PackError
from compliance.models.pack import HsCode, MaterialFamily
from compliance.models.transaction import License
from compliance.packs import load_packs
from compliance.packs.materials import family_products
from tests.conftest import RULES

_BUNDLED = load_packs([RULES])


def test_a_family_makes_one_product_per_form() -> None:
    family = MaterialFamily.model_validate(
        {
            "element": "gallium",
            "symbol": "Ga",
            "tags": ["gallium"],
            "controls": {"cn-mofcom": {"note": "listed"}},
            "citations": [{"cite": "MOFCOM/GAC Announcement No. 23 of 2023"}],
            "forms": [
                {"form": "metal", "id": "gallium-metal", "aliases": ["gallium"]},
                {"form": "nitride", "formula": "GaN", "controls": {"cn-mofcom": {"code": "1C999"}}, "tags": ["x"]},
                {"form": "indium gallium arsenide", "id": "ingaas", "formula": "InGaAs"},
            ],
        }
    )
    products = {p.id: p for _j, p in family_products(family)}
    assert set(products) == {"gallium-metal", "gallium-nitride", "ingaas"}
    nitride = products["gallium-nitride"]
    assert nitride.name == "Gallium nitride" and nitride.aliases == ["GaN", "Ga nitride"]
    assert nitride.tags == ["gallium", "x"] and nitride.controls["cn-mofcom"].code == "1C999"
    assert products["gallium-metal"].controls["cn-mofcom"].code is None  # the family's
    assert products["ingaas"].aliases == ["InGaAs"]  # no `Ga indium gallium arsenide`


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("Dy metal", "dysprosium-metal"),
        ("GaN", "gallium-nitride"),
        ("GeCl4", "germanium-tetrachloride"),
        ("gallium-metal", "gallium-metal"),
        ("SmCo magnet", "samarium-cobalt-magnet"),
        ("Sc2O3", "scandium-oxide"),
    ],
)
def test_bundled_families_resolve_as_orders_write_them(text: str, product: str) -> None:
    found = _BUNDLED.catalog.resolve(text)
    assert found is not None and found.id == product


def test_hs_lookup_by_prefix_and_nomenclature() -> None:
    catalog = _BUNDLED.catalog
    assert catalog.hs_lookup("8112929090", "CN").exact == ("gallium-metal",)
    broad = catalog.hs_lookup("811292", "CN")
    assert broad.exact == () and {"gallium-metal", "germanium-metal"} <= set(broad.candidates)
    other = catalog.hs_lookup("8112929090", "DE")  # a German 10-digit code: only its 6 digits mean the same
    assert other.exact == () and "gallium-metal" in other.candidates
    assert catalog.hs_lookup("847130", "CN").candidates == ()
    shared = catalog.hs_lookup("2805301910", "CN")  # one national line for Sm, Gd and Lu metal
    assert shared.exact == () and {"samarium-metal", "gadolinium-metal", "lutetium-metal"} <= set(shared.candidates)


def test_an_hs_code_with_national_digits_names_its_nomenclature() -> None:
    with pytest.raises(ValidationError, match="say whose"):
        HsCode.model_validate({"code": "8112929090", "source": "x"})
    with pytest.raises(ValidationError):
        HsCode.model_validate({"code": "8112", "country": "CN", "source": "x"})


def test_licence_exceptions_are_checked() -> None:
    base = {"id": "N", "authority": "US-BIS", "valid_from": "2025-01-01", "valid_to": "2025-12-31"}
    with pytest.raises(ValidationError, match="needs `notified`"):
        License.model_validate({**base, "exception": "NAC"})
    with pytest.raises(ValidationError, match="set `exception: NAC`"):
        License.model_validate({**base, "exception": "ACA", "notified": "2025-01-01"})
    assert License.model_validate({**base, "exception": "NAC", "notified": "2025-01-01"}).exception == "NAC"


def _pack(root: Path, extra: str, *, scope: str = "{exporter_countries: [CN]}") -> Path:
    (root / "p").mkdir(parents=True)
    (root / "p" / "pack.yaml").write_text(
        "kind: pack\nid: p\ntitle: t\njurisdiction: j\nversion: '1'\nreviewed: 2026-01-01\n"
        f"coverage_from: 2023-01-01\nscope: {scope}\nsources: [{{cite: 15 CFR 744.11}}]\n"
    )
    (root / "p" / "x.yaml").write_text(extra)
    return root


def test_a_material_form_that_repeats_a_product_id_is_located(tmp_path: Path) -> None:
    extra = (
        "kind: materials\npack: p\nfamilies:\n  - element: gallium\n    symbol: Ga\n    tags: [g]\n"
        "    citations: [{cite: MOFCOM/GAC Announcement No. 23 of 2023}]\n    forms:\n      - {form: metal}\n"
        "      - {form: oxide, id: gallium-metal}\n"
    )
    with pytest.raises(PackError) as err:
        load_packs([_pack(tmp_path, extra)])
    (problem,) = [p for p in err.value.problems if p.code == "duplicate-product"]
    assert problem.location.file.endswith("x.yaml") and (problem.location.line, problem.location.col) == (
        10,
        27,
    )  # the repeated `id:`


def test_exporter_lists_must_name_exporter_lists(tmp_path: Path) -> None:
    extra = (
        "kind: party-list\nid: l\npack: p\ntitle: t\ncitations: [{cite: 15 CFR 744.11}]\n"
        "entries: [{name: A Corp, added: 2025-01-01, citations: [{cite: 15 CFR 744.11}]}]\n"
    )
    root = _pack(tmp_path, extra)
    (root / "p" / "r.yaml").write_text(
        "kind: rules\npack: p\nrules:\n  - id: p.t.r\n    title: t\n    effect: review\n"
        "    when: {exporter_lists: [l]}\n    effective_from: 2025-01-01\n    message: m\n"
        "    citations: [{cite: 15 CFR 744.11}]\n"
    )
    with pytest.raises(PackError) as err:
        load_packs([root])
    assert [p.code for p in err.value.problems] == ["wrong-party-list"]


def test_a_complement_scope_names_another_plain_pack(tmp_path: Path) -> None:
    with pytest.raises(PackError) as err:
        load_packs(
            [
                _pack(
                    tmp_path,
                    "kind: country-groups\npack: p\ngroups: [{id: G, title: g, members: [CN], citations: [{cite: 15 CFR 744.11}]}]\n",
                    scope="{complement_of: nowhere}",
                )
            ]
        )
    assert [p.code for p in err.value.problems] == ["unknown-pack"]
