"""Law past the review: notices, unconfirmed scheduled dates and the Affiliates rule, on a small generated pack.

Each test runs on both matchers (the shadow rules of an unconfirmed end are matched by the backend like any rule).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from compliance import Decision, Engine, PackError
from compliance.packs import load_packs

PACK = """\
kind: pack
id: tp
title: Test pack
jurisdiction: test
version: 1.0.0
reviewed: 2026-12-01
coverage_from: 2023-01-01
coverage_to: 2027-12-31
scope: {exporter_countries: [CN]}
sources: [{cite: MOFCOM Announcement No. 46 of 2024}]
"""
CATALOG = """\
kind: pack
id: catalog
title: Catalog
jurisdiction: none
version: 1.0.0
reviewed: 2020-01-01
coverage_from: 2019-01-01
sources: [{cite: MOFCOM Announcement No. 23 of 2023}]
---
"""
PRODUCTS = """\
kind: catalog
pack: catalog
products:
  - {id: widget, name: Widget, manufacturer: various, tags: [w], controls: {tp: {note: listed}}}
"""
LIST = """\
kind: party-list
id: tp-list
pack: tp
title: Test list
citations: [{cite: MOFCOM Announcement No. 1 of 2025}]
entries:
  - {name: Listed Owner Corporation, countries: [CN], added: 2020-01-01, citations: [{cite: MOFCOM Announcement No. 1 of 2025}]}
  - {name: Second Listed Holding, countries: [CN], added: 2020-01-01, citations: [{cite: MOFCOM Announcement No. 1 of 2025}]}
"""
RULES = """\
kind: rules
pack: tp
rules:
  - id: tp.m.clause
    title: clause in force
    effect: deny
    when: {product_tags: [w], destinations: [US]}
    effective_from: 2024-12-03
    effective_to: 2025-11-08
    message: m
    citations: [{cite: MOFCOM Announcement No. 46 of 2024}]
  - id: tp.m.clause-2026
    title: clause after its suspension
    effect: deny
    when: {product_tags: [w], destinations: [US]}
    effective_from: 2026-11-28
    effective_from_confirmed: false
    message: m
    note: the suspension's scheduled end (No. 72 of 2025); no extension found
    citations: [{cite: MOFCOM Announcement No. 72 of 2025}]
  - id: tp.m.licence
    title: licence
    effect: license_required
    authority: CN-MOFCOM
    when: {product_tags: [w]}
    effective_from: 2023-08-01
    message: m
    citations: [{cite: MOFCOM Announcement No. 23 of 2023}]
  - id: tp.s.suspended
    title: suspended measure (red flag)
    effect: review
    when: {product_tags: [w], destinations: [JP]}
    effective_from: 2025-11-10
    effective_to: 2026-11-09
    effective_to_confirmed: false
    message: m
    note: the suspension is scheduled to end 2026-11-09
    citations: [{cite: MOFCOM Announcement No. 70 of 2025}]
  - id: tp.s.after
    title: measure after the suspension
    effect: license_required
    authority: CN-MOFCOM
    when: {product_tags: [w], destinations: [JP]}
    effective_from: 2026-11-10
    effective_from_confirmed: false
    message: m
    note: the suspension is scheduled to end 2026-11-09
    citations: [{cite: MOFCOM Announcement No. 70 of 2025}]
  - id: tp.x.starts
    title: starts on an unconfirmed date
    effect: deny
    when: {product_tags: [w], destinations: [KR]}
    effective_from: 2026-11-20
    effective_from_confirmed: false
    message: m
    note: scheduled
    citations: [{cite: MOFCOM Announcement No. 70 of 2025}]
  - id: tp.x.ends
    title: ends on an unconfirmed date
    effect: deny
    when: {product_tags: [w], destinations: [KR]}
    effective_from: 2025-01-01
    effective_to: 2026-11-14
    effective_to_confirmed: false
    message: m
    note: scheduled
    citations: [{cite: MOFCOM Announcement No. 70 of 2025}]
  - id: tp.a.affiliates
    title: affiliates of listed parties
    effect: license_required
    authority: CN-MOFCOM
    when: {party_owner_lists: [tp-list], party_roles: [end_user]}
    effective_from: 2025-09-29
    effective_to: 2025-11-09
    message: m
    citations: [{cite: MOFCOM Announcement No. 1 of 2025}]
"""


def _write(root: Path, rules: str = RULES) -> Path:
    (root / "catalog").mkdir(parents=True)
    (root / "tp").mkdir()
    (root / "catalog" / "pack.yaml").write_text(CATALOG.split("---\n")[0])
    (root / "catalog" / "products.yaml").write_text(PRODUCTS)
    (root / "tp" / "pack.yaml").write_text(PACK)
    (root / "tp" / "list.yaml").write_text(LIST)
    (root / "tp" / "rules.yaml").write_text(rules)
    return root


@pytest.fixture(scope="module", params=["durable", "reference"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = _write(tmp_path_factory.mktemp("horizon"))
    with Engine.from_directory(root, backend=request.param) as eng:
        yield eng


def _tx(day: str, dest: str, *, licence: bool = False, exporter: str = "CN", **extra: object) -> dict[str, object]:
    tx: dict[str, object] = {
        "id": "T",
        "date": day,
        "exporter": {"name": "Exporter Co., Ltd.", "country": exporter},
        "destination": dest,
        "items": [{"line": 1, "product": "widget", "quantity": 1}],
    }
    if licence:
        tx["licenses"] = [{"id": "L1", "authority": "CN-MOFCOM", "valid_from": "2023-01-01", "valid_to": "2027-12-31"}]
    tx.update(extra)
    return tx


def _by_rule(d: Decision) -> dict[str, str]:
    return {f.rule_id: f.outcome for f in d.findings}


def test_before_the_unconfirmed_date_the_pack_decides_as_written(engine: Engine) -> None:
    d = engine.evaluate(_tx("2026-11-27", "US", licence=True))
    assert d.decision == "allow" and "engine.law-unconfirmed" not in _by_rule(d)
    assert d.notices == []  # 2026-11-27 is before the review


def test_past_an_unconfirmed_start_a_licensed_order_is_review_not_deny(engine: Engine) -> None:
    # As scheduled (the clause is back) it would be deny; if the suspension was extended, allow: review.
    d = engine.evaluate(_tx("2026-12-02", "US", licence=True))
    assert d.decision == "review"
    found = _by_rule(d)
    assert found["tp.m.clause-2026"] == "review" and found["engine.law-unconfirmed"] == "review"
    (why,) = [f for f in d.findings if f.rule_id == "engine.law-unconfirmed"]
    assert "2026-11-28" in why.message and "deny" in why.message and "allow" in why.message
    assert [(n.code, n.pack, n.reviewed) for n in d.notices] == [("law-past-review", "tp", dt.date(2026, 12, 1))]


def test_a_date_that_does_not_change_the_outcome_changes_nothing(engine: Engine) -> None:
    # Without a licence the licence requirement denies either way: deny, no unconfirmed-law finding.
    d = engine.evaluate(_tx("2026-12-02", "US"))
    assert d.decision == "deny"
    assert _by_rule(d) == {"tp.m.clause-2026": "deny", "tp.m.licence": "deny"}


def test_an_unconfirmed_end_keeps_the_continuing_rule_in_view(engine: Engine) -> None:
    d = engine.evaluate(_tx("2026-12-02", "JP", licence=True))
    # As scheduled: licence covers `after` -> allow; if the suspension continued: review.
    assert d.decision == "review"
    found = _by_rule(d)
    assert found["tp.s.suspended"] == "review" and found["tp.s.after"] == "review"
    (cont,) = [f for f in d.findings if f.rule_id == "tp.s.suspended"]
    assert cont.message.startswith("Scheduled to end on 2026-11-09")
    d = engine.evaluate(_tx("2026-12-02", "JP"))  # no licence: the item licence denies whichever way it went
    assert d.decision == "deny" and "engine.law-unconfirmed" not in _by_rule(d)


def test_inside_the_window_an_unconfirmed_end_is_just_the_rule(engine: Engine) -> None:
    d = engine.evaluate(_tx("2026-06-01", "JP", licence=True))
    assert d.decision == "review" and _by_rule(d) == {"tp.s.suspended": "review", "tp.m.licence": "allow"}


def test_mixed_outcomes_of_independent_dates_are_found(engine: Engine) -> None:
    # Both worlds "all happened" (starts denies) and "none happened" (ends still denies) deny, but "the start
    # did not happen and the end did" allows: the decision depends on the dates.
    d = engine.evaluate(_tx("2026-12-02", "KR", licence=True))
    assert d.decision == "review"
    assert {"tp.x.starts", "tp.x.ends", "engine.law-unconfirmed"} <= set(_by_rule(d))


def test_notices_only_for_packs_covering_a_line_and_never_for_the_catalog(engine: Engine) -> None:
    d = engine.evaluate(_tx("2026-12-20", "DE", exporter="DE"))  # not an export from CN: tp does not apply
    assert d.notices == [] and d.decision == "allow"
    d = engine.evaluate(_tx("2026-12-20", "DE", licence=True))
    assert [n.pack for n in d.notices] == ["tp"] and d.decision == "allow"  # a notice does not change it


def _owned(*owners: dict[str, object], role: str = "end_user") -> list[dict[str, object]]:
    return [{"role": role, "name": "Subsidiary GmbH", "country": "DE", "owners": list(owners)}]


@pytest.mark.parametrize(
    ("owners", "subject"),
    [
        ([{"name": "Listed Owner Corp", "country": "CN", "share": 50}], True),
        ([{"name": "Listed Owner Corp", "country": "CN", "share": 49.9}], False),
        (
            [
                {"name": "Listed Owner Corporation", "country": "CN", "share": 30},
                {"name": "Second Listed Holding", "country": "CN", "share": 20},
            ],
            True,  # aggregate
        ),
        ([{"name": "Listed Owner Corporation", "country": "CN"}], True),  # share unknown: Red Flag 29
        ([{"name": "Unrelated Holding", "country": "CN", "share": 100}], False),
        ([], False),
    ],
)
def test_affiliates_by_aggregate_listed_ownership(
    engine: Engine, owners: list[dict[str, object]], subject: bool
) -> None:
    d = engine.evaluate(_tx("2025-10-15", "DE", licence=False, exporter="CN", parties=_owned(*owners)))
    assert ("tp.a.affiliates" in _by_rule(d)) is subject
    if subject:
        (f,) = [f for f in d.findings if f.rule_id == "tp.a.affiliates"]
        assert f.party == "Subsidiary GmbH" and "owned by" in f.message


def test_affiliates_only_in_the_rule_window_and_role(engine: Engine) -> None:
    owner = {"name": "Listed Owner Corporation", "country": "CN", "share": 80}
    assert "tp.a.affiliates" not in _by_rule(engine.evaluate(_tx("2025-09-28", "DE", parties=_owned(owner))))
    assert "tp.a.affiliates" not in _by_rule(engine.evaluate(_tx("2025-11-10", "DE", parties=_owned(owner))))
    other_role = _owned(owner, role="freight_forwarder")
    assert "tp.a.affiliates" not in _by_rule(engine.evaluate(_tx("2025-10-15", "DE", parties=other_role)))


def test_ownership_not_given_screens_the_party_only(engine: Engine) -> None:
    parties = [{"role": "end_user", "name": "Subsidiary GmbH", "country": "DE"}]
    d = engine.evaluate(_tx("2025-10-15", "DE", licence=True, parties=parties))
    assert d.decision == "allow" and "tp.a.affiliates" not in _by_rule(d)


def test_doubtful_owners_are_review_while_ownership_matters(engine: Engine) -> None:
    near = {"name": "Listed Owner Corporation Intl", "country": "CN", "share": 60}
    d = engine.evaluate(_tx("2025-10-15", "DE", licence=True, parties=_owned(near)))
    assert d.decision == "review" and "engine.possible-owner-match" in _by_rule(d)
    d = engine.evaluate(_tx("2024-10-15", "DE", licence=True, parties=_owned(near)))  # before any ownership rule
    assert "engine.possible-owner-match" not in _by_rule(d)
    fraction = {"name": "Listed Owner Corporation", "country": "CN", "share": 0.6}
    d = engine.evaluate(_tx("2025-10-15", "DE", licence=True, parties=_owned(fraction)))
    assert d.decision == "review" and "shares are in percent" in str([f.message for f in d.findings])


def test_owner_shares_over_100_percent_are_an_input_error(engine: Engine) -> None:
    from compliance import InputError

    too_much = [{"name": "A", "country": "CN", "share": 60}, {"name": "B", "country": "CN", "share": 50}]
    with pytest.raises(InputError, match="more than 100%"):
        engine.evaluate(_tx("2025-10-15", "DE", parties=_owned(*too_much)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("effective_to_confirmed: false\n    message: m", "needs an `effective_to`"),
        ("effective_from_confirmed: false\n    message: m", "needs a `note:`"),
    ],
)
def test_unconfirmed_flags_are_checked(tmp_path: Path, change: str, message: str) -> None:
    rules = textwrap.dedent(
        """\
        kind: rules
        pack: tp
        rules:
          - id: tp.m.one
            title: t
            effect: review
            when: {product_tags: [w]}
            effective_from: 2024-01-01
            CHANGE
            citations: [{cite: MOFCOM Announcement No. 1 of 2025}]
        """
    ).replace("CHANGE", change)
    with pytest.raises(PackError) as err:
        load_packs([_write(tmp_path, rules)])
    assert any(message in p.message for p in err.value.problems)


def test_too_many_scheduled_changes_on_one_line_is_review_without_enumerating(tmp_path: Path) -> None:
    rules = "kind: rules\npack: tp\nrules:\n" + "".join(
        f"""  - id: tp.n.r{i}
    title: scheduled {i}
    effect: deny
    when: {{product_tags: [w]}}
    effective_from: 2026-11-{i + 1:02d}
    effective_from_confirmed: false
    message: m
    note: scheduled
    citations: [{{cite: MOFCOM Announcement No. 70 of 2025}}]
"""
        for i in range(9)
    )
    with Engine.from_directory(_write(tmp_path, rules), backend="reference") as eng:
        d = eng.evaluate(_tx("2026-12-02", "DE"))
    assert d.decision == "review"
    (why,) = [f for f in d.findings if f.rule_id == "engine.law-unconfirmed"]
    assert "Too many scheduled changes" in why.message
    assert all(f.outcome == "review" for f in d.findings)
