"""Canonical JSON is RFC 8785's, so a verifier in another language reproduces every hash.

The fixtures were produced by Node.js (not needed to run the tests): `ecmascript-numbers.txt` holds IEEE 754
doubles (hex) and `JSON.stringify` of each (the RFC 8785 number form, including the RFC's own edge values);
`jcs-cases.json` holds JSON texts and their canonical form by the RFC's method (keys sorted with JavaScript's
`sort()`, i.e. by UTF-16 code units; `JSON.stringify` for the rest), with the RFC's sample object last.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.audit.canonical import CanonicalError, canonical, canonical_fast, number

FIXTURES = Path(__file__).parent / "fixtures"


def test_numbers_are_written_as_ecmascript_writes_them() -> None:
    pairs = [line.split(" ") for line in (FIXTURES / "ecmascript-numbers.txt").read_text().splitlines()]
    assert len(pairs) > 1000
    for hex_double, js in pairs:
        assert number(struct.unpack(">d", bytes.fromhex(hex_double))[0]) == js, hex_double


def test_objects_and_strings_as_rfc_8785() -> None:
    cases = json.loads((FIXTURES / "jcs-cases.json").read_text())
    for case in cases:
        data = json.loads(case["input"])
        assert canonical(data) == case["canonical"]
        assert canonical_fast(data) == case["canonical"]
    assert cases[-1]["canonical"] == (
        '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],'
        '"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}'
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, 10**400, {"a": "\ud800"}, {1: "x"}, b"x"])
def test_what_has_no_canonical_form_is_refused(bad: object) -> None:
    with pytest.raises(CanonicalError):
        canonical(bad)
    with pytest.raises(CanonicalError):
        canonical_fast(bad)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300)
@given(JSON)
def test_the_fast_path_is_the_reference_and_round_trips(data: object) -> None:
    try:
        text = canonical(data)
    except CanonicalError:  # a lone surrogate in generated text
        return
    assert canonical_fast(data) == text
    assert canonical(json.loads(text)) == text  # what a verifier parses re-canonicalises to the same bytes
