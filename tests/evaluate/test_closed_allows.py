"""Issue 10: each silent allow reproduced as a transaction that now gives deny, review or a located error.

The numbers are the issue's items. Every test runs on both matchers (the `engine` fixture).
"""

from __future__ import annotations

import pytest

from compliance import Decision, Engine, InputError
from compliance.io.render import render_decision

US = {"name": "Example Systems Inc.", "country": "US"}


def _tx(*items: dict[str, object], **over: object) -> dict[str, object]:
    tx: dict[str, object] = {
        "id": "T-10",
        "date": "2025-06-02",
        "exporter": US,
        "destination": "CN",
        "items": list(items) or [{"line": 1, "quantity": 1, "eccn": "EAR99"}],
    }
    tx.update(over)
    return tx


def _fired(d: Decision) -> dict[str, str]:
    return {f.rule_id: f.outcome for f in d.findings}


# The 3A090/4A090 licence requirement, in the version in force on the date (2023-11-17, 2024-12-02, 2026-01-15).
AC = ("us-ear.ac.3a090-license", "us-ear.ac.3a090-license-2024-12", "us-ear.ac.3a090-license-2026")


def _ac(d: Decision) -> str | None:
    outcomes = {_fired(d).get(rid) for rid in AC} - {None}
    return outcomes.pop() if len(outcomes) == 1 else None


# ---- 1. Control numbers are free text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "eccn", ["3A090.a", "3a090.a", "3A090.A", " 3A090.a ", "\uff13\uff21\uff10\uff19\uff10\uff0e\uff41"]
)
def test_1_listed_variants_of_an_eccn_are_read_and_shown(engine: Engine, eccn: str) -> None:
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "eccn": eccn}))
    assert d.decision == "deny" and _ac(d) == "deny"
    shown = [(n.field, n.given, n.used) for n in d.lines[0].normalized]
    assert shown == ([] if eccn == "3A090.a" else [("eccn", eccn, "3A090.a")])
    if shown:
        assert f"read eccn {eccn!r} as '3A090.a'" in render_decision(d)


@pytest.mark.parametrize(
    ("eccn", "hint"),
    [
        ("3A090A", "did you mean '3A090.a'?"),
        ("3A090 a", "did you mean '3A090.a'?"),
        ("not-an-eccn", "omit `eccn` to have the item reviewed as unclassified"),
        ("TBD", "omit `eccn`"),
        ("N/A", "omit `eccn`"),
        ("?", "omit `eccn`"),
        ("EAR99?", "did you mean 'EAR99'?"),
        ("-", "omit `eccn`"),
        ("0", "omit `eccn`"),
    ],
)
def test_1_anything_else_is_a_located_input_error(engine: Engine, eccn: str, hint: str) -> None:
    # Each of these used to remove the unclassified review and allow an unknown product to China.
    with pytest.raises(InputError) as err:
        engine.evaluate(_tx({"line": 1, "quantity": 1, "product": "Mystery accelerator", "eccn": eccn}))
    (problem,) = err.value.problems
    assert problem.message.startswith("items.0.eccn:") and hint in problem.message


def test_1_without_eccn_the_unknown_product_is_reviewed(engine: Engine) -> None:
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "product": "Mystery accelerator"}))
    assert d.decision == "review" and "engine.unclassified-item" in _fired(d)


@pytest.mark.parametrize(
    "name", ["\uff2e\uff36\uff29\uff24\uff29\uff21 \uff28\uff12\uff10", "nvidia\u3000h20", "NVIDIA-H20"]
)
def test_1_a_product_name_in_full_width_forms_is_the_product(engine: Engine, name: str) -> None:
    # A CJK-locale ERP export: full-width letters used to be erased, leaving an unclassified line.
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "product": name}, date="2025-05-01"))
    assert d.decision == "deny" and _fired(d) == {"us-ear.ac.h20-mi308-license": "deny"}


@pytest.mark.parametrize("name", ["NVIDIA \u041d20", "NV\u0399DIA H20"])  # Cyrillic En, Greek Iota
def test_1_look_alike_letters_leave_the_product_unknown_and_reviewed(engine: Engine, name: str) -> None:
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "product": name}, date="2025-05-01"))
    assert d.decision == "review" and "engine.unclassified-item" in _fired(d)


@pytest.mark.parametrize("destination", ["CN", "DE", "IN"])
@pytest.mark.parametrize("eccn", ["3A001.a.1.a", "5A002.a.1.a", "4A003.b", "3B001.c"])
def test_1_an_eccn_whose_licence_requirements_the_pack_does_not_decide_is_reviewed(
    engine: Engine, eccn: str, destination: str
) -> None:
    # 3A001.a.1.a to China used to be allowed: us-ear does not encode the Commerce Country Chart.
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "eccn": eccn}, destination=destination))
    assert d.decision == "review"
    (finding,) = [f for f in d.findings if f.rule_id == "engine.control-code-not-decided"]
    assert eccn in finding.message and {c.cite for c in finding.citations} >= {"15 CFR 738.4"}


@pytest.mark.parametrize("code", ["1C902.a", "3A001"])
def test_1_a_bare_prc_code_on_an_export_from_china_is_reviewed(engine: Engine, code: str) -> None:
    # The MOFCOM rules decide catalog products; a line with only a control-list code used to be allowed.
    cn = {"name": "Example Materials Co., Ltd.", "country": "CN"}
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "control_codes": {"CN": code}}, exporter=cn, destination="DE"))
    assert d.decision == "review" and "engine.control-code-not-decided" in _fired(d)
    # Named as the catalog product it is, its own rules decide it (and its code raises nothing more).
    item = {"line": 1, "quantity": 1, "product": "samarium metal", "control_codes": {"CN": "1C902.a"}}
    named = engine.evaluate(_tx(item, exporter=cn, destination="DE", date="2025-05-01"))
    assert "engine.control-code-not-decided" not in _fired(named) and named.decision == "deny"


@pytest.mark.parametrize("eccn", ["EAR99", "5A992.c", "3A991.a", "4A994.l", "3A090.a"])
def test_1_eccns_the_pack_decides_raise_no_such_review(engine: Engine, eccn: str) -> None:
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "eccn": eccn}, destination="DE"))
    assert "engine.control-code-not-decided" not in _fired(d)


@pytest.mark.parametrize("eccn", ["5A992.z", "3A001.z", "4A003.z.1.a", "5D002.z"])
def test_1_z_items_follow_the_3a090_rules(engine: Engine, eccn: str) -> None:
    # 5A992.z to China used to be allowed.
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "eccn": eccn}))
    assert _ac(d) == "deny"
    before = engine.evaluate(_tx({"line": 1, "quantity": 1, "eccn": eccn}, date="2023-11-16"))
    assert not set(AC) & set(_fired(before))  # the .z paragraphs came with 88 FR 73458


def test_1_other_jurisdictions_codes_have_their_own_field(engine: Engine) -> None:
    item = {"line": 1, "quantity": 1, "eccn": "EAR99", "control_codes": {"CN": "1c902.A"}}
    d = engine.evaluate(_tx(item, exporter={"name": "Baotou Magnets", "country": "CN"}, destination="DE"))
    assert "cn-mofcom:1C902.a" in d.lines[0].control_codes
    assert [(n.field, n.used) for n in d.lines[0].normalized] == [("control_codes.CN", "1C902.a")]
    with pytest.raises(InputError, match="the US ECCN goes in `eccn`"):
        engine.evaluate(_tx({"line": 1, "quantity": 1, "control_codes": {"US": "3A090.a"}}))
    # A PRC code does not classify an item for the EAR.
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "control_codes": {"CN": "1C902.a"}}))
    assert "engine.unclassified-item" in _fired(d)


# ---- 3. Only the nominal destination was looked at ---------------------------------------------------------


def test_3_a_laptop_to_the_uae_for_an_iranian_consignee(engine: Engine) -> None:
    iranian = [{"role": "ultimate_consignee", "name": "Tehran Trading", "country": "IR"}]
    d = engine.evaluate(_tx({"line": 1, "quantity": 5, "product": "laptop"}, destination="AE", parties=iranian))
    assert d.decision == "deny" and _fired(d)["us-ear.emb.iran"] == "deny"
    emirati = [{"role": "ultimate_consignee", "name": "Dubai Trading", "country": "AE"}]
    d = engine.evaluate(_tx({"line": 1, "quantity": 5, "product": "laptop"}, destination="AE", parties=emirati))
    assert d.decision == "allow"


def test_3_a_3a991_item_to_kazakhstan_for_a_russian_consignee(engine: Engine) -> None:
    russian = [{"role": "end_user", "name": "Moscow Systems", "country": "RU"}]
    d = engine.evaluate(_tx({"line": 1, "quantity": 5, "eccn": "3A991"}, destination="KZ", parties=russian))
    assert _fired(d)["us-ear.emb.russia-belarus-ccl"] == "deny"
    # A Russian purchaser alone is not where the goods go (the consignee in Kazakhstan is).
    buyer = [
        {"role": "purchaser", "name": "Moscow Systems", "country": "RU"},
        {"role": "ultimate_consignee", "name": "Almaty Systems", "country": "KZ"},
    ]
    d = engine.evaluate(_tx({"line": 1, "quantity": 5, "eccn": "3A991"}, destination="KZ", parties=buyer))
    assert "us-ear.emb.russia-belarus-ccl" not in _fired(d)


def test_3_advanced_computing_follows_the_end_user_and_keeps_the_a5_carve_out(engine: Engine) -> None:
    h100 = {"line": 1, "quantity": 8, "product": "NVIDIA H100"}
    chinese = [{"role": "end_user", "name": "Example Cloud", "country": "CN"}]
    d = engine.evaluate(_tx(h100, destination="DE", parties=chinese))
    assert _ac(d) == "deny"
    israeli = [{"role": "end_user", "name": "Example Labs", "country": "IL"}]  # D:4 but also A:6
    assert engine.evaluate(_tx(h100, destination="DE", parties=israeli)).decision == "allow"


# ---- 6. An exact listed name in an unexpected role ---------------------------------------------------------


@pytest.mark.parametrize("role", ["freight_forwarder", "other"])
def test_6_a_listed_party_in_any_role_is_reviewed(engine: Engine, role: str) -> None:
    parties = [{"role": role, "name": "Huawei Technologies Co., Ltd.", "country": "CN"}]
    d = engine.evaluate(_tx(destination="DE", parties=parties))
    assert d.decision == "review" and _fired(d).get("engine.listed-party") == "review"
    # Other Huawei entries resemble the name too (possible matches); the exact listing gets its own finding.
    assert set(_fired(d)) <= {"engine.listed-party", "engine.possible-party-match"}
    (finding,) = [f for f in d.findings if f.rule_id == "engine.listed-party"]
    assert finding.party == "Huawei Technologies Co., Ltd." and finding.citations


def test_6_a_listed_party_named_by_a_rule_gets_no_second_finding(engine: Engine) -> None:
    parties = [{"role": "end_user", "name": "Huawei Technologies Co., Ltd.", "country": "CN"}]
    d = engine.evaluate(_tx(destination="DE", parties=parties))
    assert "engine.listed-party" not in _fired(d) and d.decision == "deny"


def test_6_a_list_of_a_pack_that_does_not_apply_is_not_raised(engine: Engine) -> None:
    # Lockheed Martin is on MOFCOM's control list; a US domestic sale is outside the MOFCOM pack.
    parties = [{"role": "end_user", "name": "Lockheed Martin Corporation", "country": "US"}]
    d = engine.evaluate(_tx(destination="US", parties=parties))
    assert d.decision == "allow"


# ---- 7. Origin outside the exporter's country --------------------------------------------------------------


def test_7_prc_origin_gallium_exported_from_hong_kong(engine: Engine) -> None:
    hk = {"name": "HK Metals", "country": "HK"}
    item = {"line": 1, "quantity": 10, "product": "gallium metal", "origin": "CN"}
    # The origin brings it under the pack that follows PRC-origin goods (No. 46 of 2024, clause 3).
    d = engine.evaluate(_tx(item, exporter=hk, destination="US"))
    assert _fired(d).get("cn-mofcom-origin.us46.ga-ge-sb-superhard") == "deny"
    # Unknown origin: the engine cannot tell, and says so.
    item = {"line": 1, "quantity": 10, "product": "gallium metal"}
    d = engine.evaluate(_tx(item, exporter=hk, destination="US"))
    assert d.decision == "review" and _fired(d).get("cn-mofcom-origin.us46.ga-ge-sb-superhard") == "review"
    assert "origin is not given" in d.findings[0].message
    # Whatever its origin, nothing reaches it in Germany; a Japanese origin is outside the pack.
    assert engine.evaluate(_tx(item, exporter=hk, destination="DE")).decision == "allow"
    item = {"line": 1, "quantity": 10, "product": "gallium metal", "origin": "JP"}
    assert engine.evaluate(_tx(item, exporter=hk, destination="US")).decision == "allow"


@pytest.mark.parametrize(
    "text",
    ["for PLA military use", "nuclear weapons research", "\u519b\u4e8b\u7528\u9014", "Ministry of Defence lab"],
)
def test_an_end_use_text_naming_a_controlled_end_use_is_reviewed(engine: Engine, text: str) -> None:
    # "for PLA military use" with 5A992.c to China and no end-use code used to be allowed.
    d = engine.evaluate(_tx({"line": 1, "quantity": 1, "eccn": "5A992.c"}, end_use=text))
    assert d.decision == "review" and "engine.end-use-text" in _fired(d)
    (f,) = [f for f in d.findings if f.rule_id == "engine.end-use-text"]
    assert f.remedy is not None and "end_use_codes" in f.remedy.fields


def test_an_end_use_text_is_settled_by_declaring_its_code(engine: Engine) -> None:
    declared = engine.evaluate(
        _tx({"line": 1, "quantity": 1, "eccn": "5A992.c"}, end_use="for PLA military use", end_use_codes=["military"])
    )
    assert "engine.end-use-text" not in _fired(declared)
    # The declared military end use brings in the 744.21 rule itself (review: Supp. No. 2 is not held).
    assert _fired(declared) == {"us-ear.eu.military-supp2": "review"}
    civil = engine.evaluate(_tx({"line": 1, "quantity": 1, "eccn": "5A992.c"}, end_use="AI inference service"))
    assert civil.decision == "allow"
