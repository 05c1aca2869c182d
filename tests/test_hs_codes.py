"""The shape of a customs tariff (HS) code: what `items[].hs_code` accepts, normalises and refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance import InputError
from compliance.codes import hs_code_shape
from compliance.intake import transaction_from_mapping


@pytest.mark.parametrize(
    ("given_", "digits"),
    [
        ("811292", "811292"),
        ("8112929090", "8112929090"),
        ("8112.92.9090", "8112929090"),
        ("8112 92 90 90", "8112929090"),
        (" 2805.30 ", "280530"),
        ("\uff18\uff11\uff11\uff12\uff19\uff12", "811292"),  # full-width digits
        ("8112\uff0e92", "811292"),  # full-width full stop
        ("123456789012", "123456789012"),
    ],
)
def test_accepted_and_normalised(given_: str, digits: str) -> None:
    assert hs_code_shape(given_) == (digits, None)


@pytest.mark.parametrize(
    "given_",
    [
        "",
        " ",
        "8112",
        "81129",
        "N/A",
        "TBD",
        "8112-92",
        "8112.92a",
        "1234567890123",
        "\u0668\u0661\u0661\u0662\u0669\u0662",
    ],
)
def test_refused_with_a_reason(given_: str) -> None:
    digits, why = hs_code_shape(given_)
    assert digits is None and why


def test_an_item_with_a_bad_hs_code_is_a_located_input_error() -> None:
    tx = {"id": "T", "date": "2025-01-01", "destination": "US", "items": [{"line": 1, "quantity": 1, "hs_code": "N/A"}]}
    with pytest.raises(InputError) as err:
        transaction_from_mapping(tx)
    assert any("hs_code" in str(p.location) or "hs_code" in p.message for p in err.value.problems)
    tx["items"] = [{"line": 1, "quantity": 1, "hs_code": 811292}]  # a number loses leading zeros: quote it
    with pytest.raises(InputError, match="quote it"):
        transaction_from_mapping(tx)


@given(st.text(max_size=20))
def test_anything_accepted_is_digits_only(text: str) -> None:
    digits, why = hs_code_shape(text)
    assert (digits is None) != (why is None)
    if digits is not None:
        assert digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 12
