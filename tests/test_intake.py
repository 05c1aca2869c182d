"""Bad input is an error naming file, line and field; nothing is evaluated on half-read input."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance import InputError, load_transaction

GOOD = """\
id: T-1
date: 2025-05-01
destination: CN
items:
  - line: 1
    product: NVIDIA H20
    quantity: 8
"""


def _load(tmp_path: Path, text: str, name: str = "tx.yaml") -> InputError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_transaction(path)
    return err.value


def test_good_file_loads(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(GOOD)
    tx = load_transaction(tmp_path / "ok.yaml")
    assert tx.destination == "CN" and tx.items[0].product == "NVIDIA H20"


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    err = _load(tmp_path, GOOD.replace("destination: CN", "destination: [CN"))
    (p,) = err.problems
    assert p.code == "yaml-syntax" and p.location.file.endswith("tx.yaml") and p.location.line >= 3


def test_unknown_country_names_line_and_field(tmp_path: Path) -> None:
    err = _load(tmp_path, GOOD.replace("destination: CN", "destination: XX"))
    (p,) = err.problems
    assert (p.location.line, p.location.col) == (3, 14)
    assert "destination" in p.message and "'XX'" in p.message


def test_lower_case_country_gets_a_hint(tmp_path: Path) -> None:
    err = _load(tmp_path, GOOD.replace("destination: CN", "destination: cn"))
    assert "upper case" in err.problems[0].message


def test_missing_date_names_the_field(tmp_path: Path) -> None:
    err = _load(tmp_path, GOOD.replace("date: 2025-05-01\n", ""))
    (p,) = err.problems
    assert p.code == "missing-field" and "'date'" in p.message and p.location.line == 1


def test_malformed_date_is_refused(tmp_path: Path) -> None:
    err = _load(tmp_path, GOOD.replace("2025-05-01", "05/01/2025"))
    (p,) = err.problems
    assert p.location.line == 2 and "ISO date" in p.message


def test_unknown_key_gets_did_you_mean(tmp_path: Path) -> None:
    err = _load(tmp_path, GOOD.replace("destination: CN", "destination: CN\ndestinaton: CN"))
    (p,) = err.problems
    assert p.code == "unknown-key" and p.help == "did you mean 'destination'?" and p.location.line == 4


def test_every_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    err = _load(tmp_path, GOOD.replace("destination: CN", "destination: XX").replace("quantity: 8", "quantity: -1"))
    assert len(err.problems) == 2 and err.problems == tuple(sorted(err.problems))


def test_json_input_is_supported_with_positions(tmp_path: Path) -> None:
    text = '{\n  "id": "T-1",\n  "date": "2025-05-01",\n  "destination": "XX",\n  "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}]\n}\n'
    err = _load(tmp_path, text, "tx.json")
    assert err.problems[0].location.line == 4


def test_norway_stays_norway(tmp_path: Path) -> None:
    (tmp_path / "no.yaml").write_text(GOOD.replace("destination: CN", "destination: NO"))
    assert load_transaction(tmp_path / "no.yaml").destination == "NO"


def test_duplicate_line_numbers_are_refused(tmp_path: Path) -> None:
    text = GOOD + "  - line: 1\n    eccn: EAR99\n    quantity: 1\n"
    err = _load(tmp_path, text)
    assert "line 1 appears more than once" in err.problems[0].message


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_transaction(tmp_path / "nope.yaml")
    assert err.value.problems[0].code == "unreadable"
