"""How the packs travel to executors (no Spark needed): bytes and hashes from the driver, verified on load."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from compliance.errors import InputError, PackError
from compliance.evaluate.engine import Engine
from compliance.packs.load import load_packs
from compliance.spark import packs as spark_packs
from compliance.spark.packs import (
    PackFile,
    PackPayload,
    clearances_payload,
    engine_builds,
    engine_for,
    loaded_engines,
    pack_payload,
    unpack,
    unpack_clearances,
)
from tests.conftest import ROOT, RULES


def _codes(err: pytest.ExceptionInfo[PackError]) -> list[str]:
    return [p.code for p in err.value.problems]


def test_the_payload_is_the_bytes_the_driver_validated_and_rebuilds_the_same_packs() -> None:
    packset, payload = pack_payload(RULES)
    assert packset.sha256 == load_packs([RULES]).sha256 == payload.sha256
    assert {f.name for f in payload.files} == {name for p in packset.packs for name in p.files}
    for f in payload.files:
        assert Path(f.name).read_bytes() == f.data  # what was read, not re-read later
    rebuilt = unpack(payload)
    assert rebuilt.sha256 == packset.sha256
    assert [(p.meta.id, p.sha256, p.files) for p in rebuilt.packs] == [
        (p.meta.id, p.sha256, p.files) for p in packset.packs
    ]  # the driver's file names: every hash and location is the driver's
    assert len(rebuilt.rules) == len(packset.rules)


def test_no_rules_means_the_bundled_packs_as_the_cli() -> None:
    _packset, payload = pack_payload(None)
    assert payload.sha256 == load_packs([RULES]).sha256  # the checkout's rules/ are the bundled packs here


def test_a_pack_error_stops_on_the_driver() -> None:
    with pytest.raises(PackError) as err:
        pack_payload(ROOT / "tests" / "fixtures" / "broken-bundled")
    assert "duplicate-rule-id" in _codes(err)


def test_a_changed_byte_is_refused_and_names_the_file() -> None:
    _packset, payload = pack_payload(RULES)
    target = next(f for f in payload.files if f.name.endswith("advanced-computing.yaml"))
    forged = PackFile(target.name, target.data.replace(b"effect: deny", b"effect: allow", 1) + b" ", target.sha256)
    tampered = dataclasses.replace(payload, files=tuple(forged if f is target else f for f in payload.files))
    with pytest.raises(PackError) as err:
        unpack(tampered)
    assert _codes(err) == ["pack-hash-mismatch"]
    assert err.value.problems[0].location.file == target.name


def test_a_consistent_forgery_still_fails_the_pack_hash() -> None:
    """A file changed together with its own hash: the pack's and the set's hashes (sent apart) still differ."""
    _packset, payload = pack_payload(RULES)
    target = next(f for f in payload.files if f.name.endswith("embargoes.yaml"))
    data = target.data + b"\n# changed\n"
    forged = PackFile(target.name, data, spark_packs._sha256(data))
    tampered = dataclasses.replace(payload, files=tuple(forged if f is target else f for f in payload.files))
    with pytest.raises(PackError) as err:
        unpack(tampered)
    assert _codes(err) == ["pack-hash-mismatch"] and "us-ear" in err.value.problems[0].message


def test_a_file_left_out_is_refused() -> None:
    _packset, payload = pack_payload(RULES)
    fewer = dataclasses.replace(payload, files=tuple(f for f in payload.files if not f.name.endswith("hbm.yaml")))
    with pytest.raises(PackError) as err:
        unpack(fewer)
    assert _codes(err) == ["pack-hash-mismatch"]


def test_the_engine_is_built_once_per_process_and_kept() -> None:
    _packset, payload = pack_payload(RULES)
    fetched: list[int] = []

    def fetch() -> PackPayload:
        fetched.append(1)
        return payload

    first = engine_for(payload.sha256, "reference", fetch)
    again = engine_for(payload.sha256, "reference", fetch)
    assert first is again and fetched == [1]  # the broadcast is read once, the engine built once
    assert engine_builds()[(payload.sha256, "reference", "")] == 1
    assert (payload.sha256, "reference", "") in loaded_engines()
    assert isinstance(first, Engine)


def test_a_payload_for_other_packs_is_refused() -> None:
    _packset, payload = pack_payload(RULES)
    with pytest.raises(PackError) as err:
        engine_for("0" * 64, "reference", lambda: payload)
    assert _codes(err) == ["pack-hash-mismatch"]


def test_old_engines_are_closed_beyond_the_few_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []

    class Fake:
        def __init__(self, packset: object, backend: str, clearances: object = None) -> None:
            self.backend = backend

        def close(self) -> None:
            closed.append(self.backend)

    _packset, payload = pack_payload(RULES)
    monkeypatch.setattr(spark_packs, "Engine", Fake)
    monkeypatch.setattr(spark_packs, "unpack", lambda shipped: None)
    monkeypatch.setattr(spark_packs, "_ENGINES", type(spark_packs._ENGINES)())
    for i in range(spark_packs.KEEP + 2):
        engine_for(payload.sha256, f"backend-{i}", lambda: payload)
    assert closed == ["backend-0", "backend-1"]
    assert [b for _s, b, _c in loaded_engines()] == [f"backend-{i}" for i in range(2, spark_packs.KEEP + 2)]


CLEARANCES = """kind: clearances
clearances:
- id: CLR-0001
  party: Huawei Technologies Iceland ehf
  country: IS
  list: us-entity-list
  entry: Huawei Technologies Co., Ltd.
  entry_sha256: "{sha}"
  reason: Icelandic reseller checked against the entry's addresses
  cleared_by: A. Officer
  date: 2026-01-01
  expires: 2026-12-31
"""


def test_clearances_travel_as_bytes_and_are_refused_when_changed(tmp_path: Path) -> None:
    path = tmp_path / "clearances.yaml"
    path.write_text(CLEARANCES.format(sha="0" * 64))
    shipped = clearances_payload(path)
    assert shipped.data == path.read_bytes() and shipped.name == str(path)
    book = unpack_clearances(shipped, shipped.sha256)
    assert [c.id for c in book.clearances] == ["CLR-0001"]
    forged = PackFile(shipped.name, shipped.data.replace(b"2026-12-31", b"2099-12-31"), shipped.sha256)
    with pytest.raises(PackError) as err:
        unpack_clearances(forged, shipped.sha256)
    assert _codes(err) == ["pack-hash-mismatch"]
    with pytest.raises(PackError):
        unpack_clearances(shipped, "0" * 64)  # not the clearances asked for
    path.write_text("kind: clearances\nclearances: 3\n")
    with pytest.raises(InputError):  # a broken file stops on the driver, as --clearances does
        clearances_payload(path)


def test_an_engine_with_clearances_is_another_engine(tmp_path: Path) -> None:
    path = tmp_path / "clearances.yaml"
    path.write_text(CLEARANCES.format(sha="0" * 64))
    shipped = clearances_payload(path)
    _packset, payload = pack_payload(RULES)
    plain = engine_for(payload.sha256, "reference", lambda: payload)
    cleared = engine_for(payload.sha256, "reference", lambda: payload, (shipped.sha256, lambda: shipped))
    assert plain is not cleared and len(cleared.clearances) == 1 and len(plain.clearances) == 0
    assert (payload.sha256, "reference", shipped.sha256) in loaded_engines()
