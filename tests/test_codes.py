"""The code-shape module: exactly the listed normalisations, everything else refused with a hint."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.codes import (
    CodeError,
    check_control_code,
    fold_width,
    normalize_code,
    number_as_code,
    pack_jurisdiction,
    suggest_country,
)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("3A090.a", "3A090.a"),
        ("3a090.a", "3A090.a"),  # letter case
        ("3A090.A", "3A090.a"),
        ("ear99", "EAR99"),
        ("Ear99", "EAR99"),
        ("  5A992.z \t", "5A992.z"),  # surrounding whitespace
        ("\uff13\uff21\uff10\uff19\uff10\uff0e\uff41", "3A090.a"),  # full-width characters
        ("\u30003A090.a\u3000", "3A090.a"),  # ideographic spaces
        ("5A002.a.1.a", "5A002.a.1.a"),
        ("0Y521", "0Y521"),
        ("4A003.z.1.b", "4A003.z.1.b"),
    ],
)
def test_us_eccn_variants_that_are_normalised(given: str, used: str) -> None:
    assert normalize_code(given, "US") == used


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("3A090A", "did you mean '3A090.a'?"),
        ("3A090 a", "did you mean '3A090.a'?"),
        ("3A090-a", "did you mean '3A090.a'?"),
        ("EAR99?", "did you mean 'EAR99'?"),
        ("EAR 99", "did you mean 'EAR99'?"),
        ("TBD", "omit `eccn` to have the item reviewed as unclassified"),
        ("N/A", "omit `eccn` to have the item reviewed as unclassified"),
        ("?", "omit `eccn` to have the item reviewed as unclassified"),
        ("-", "omit `eccn` to have the item reviewed as unclassified"),
        ("0", "omit `eccn` to have the item reviewed as unclassified"),
        ("", "omit `eccn` to have the item reviewed as unclassified"),
        ("not-an-eccn", "an ECCN is a digit, a letter A-E"),
        ("3A90.a", "an ECCN is a digit, a letter A-E"),
        ("3A090..a", "an ECCN is a digit, a letter A-E"),
        ("3\u0410090.a", "an ECCN is a digit, a letter A-E"),  # Cyrillic A is not folded: refused, not guessed
        ("1C902.a\u200b", "an ECCN is a digit, a letter A-E"),  # a zero-width space is not whitespace
    ],
)
def test_anything_else_is_refused_with_a_hint(given: str, hint: str) -> None:
    with pytest.raises(CodeError) as err:
        normalize_code(given, "US")
    assert hint in err.value.hint
    assert repr(given) in err.value.message


def test_numbers_and_other_types_are_refused() -> None:
    with pytest.raises(CodeError) as err:
        normalize_code(30.0, "US")
    assert err.value.hint == 'quote it: "3E001"'
    for value in (0, 3, True, None, ["3A090"], {"a": 1}):
        with pytest.raises(CodeError):
            normalize_code(value, "US")


def test_yaml_numbers_map_back_to_e_codes_only_when_unambiguous() -> None:
    assert number_as_code(30.0) == "3E001"  # YAML reads 3E001 as 3 x 10^1
    assert number_as_code(4e2) == "4E002"
    assert number_as_code(3.5) is None
    assert number_as_code(0.0) is None
    assert number_as_code(float("inf")) is None


def test_prc_codes_have_their_own_shape_and_no_ear99() -> None:
    assert normalize_code("1c902.A", "CN") == "1C902.a"
    assert normalize_code("1C117.d", "CN") == "1C117.d"
    with pytest.raises(CodeError) as err:
        normalize_code("EAR99", "CN")
    assert "control_codes.CN" in err.value.hint


def test_full_width_folding_touches_nothing_else() -> None:
    assert fold_width("\uff21\uff42\uff43\u3000x") == "Abc x"
    assert fold_width("\u0410\u00e9\u2160") == "\u0410\u00e9\u2160"  # Cyrillic, accents, Roman numerals stay


def test_pack_jurisdiction_is_the_first_part_of_the_pack_id() -> None:
    assert pack_jurisdiction("us-ear") == "US"
    assert pack_jurisdiction("cn-mofcom") == "CN"
    assert pack_jurisdiction("catalog") is None
    assert pack_jurisdiction("eu-dual-use") is None


def test_packs_are_written_in_canonical_form() -> None:
    assert check_control_code("us-ear", "3A090.a") is None
    assert check_control_code("us-ear", "3a090.a") == ("'3a090.a' is not a valid ECCN", "did you mean '3A090.a'?")
    assert check_control_code("cn-mofcom", "1C902.a") is None
    assert check_control_code("cn-mofcom", "1C902.A") is not None
    assert check_control_code("eu-demo", "3A001") is None  # no known shape: dotted letters and digits


_VALID = st.from_regex(r"\A[0-9][A-E][0-9]{3}(\.[a-z0-9]{1,3}){0,3}\Z")


@given(code=_VALID, spaces=st.sampled_from(["", " ", "\t", "\u3000"]), wide=st.booleans(), upper=st.booleans())
def test_every_listed_variant_of_a_valid_code_normalises_to_it(code: str, spaces: str, wide: bool, upper: bool) -> None:
    text = code.upper() if upper else code
    if wide:
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    assert normalize_code(spaces + text + spaces, "US") == code


@given(text=st.text(max_size=12))
def test_a_normalised_code_always_has_the_shape(text: str) -> None:
    try:
        code = normalize_code(text, "US")
    except CodeError as err:
        assert err.hint  # never silence: a refusal always says what to do
    else:
        assert check_control_code("us-ear", code) is None


@pytest.mark.parametrize(
    ("value", "hint"),
    [("China", None), ("PRC", None), ("CHN", None), ("\uff23\uff2e", "CN"), ("cn", "CN"), ("XX", "XK")],
)
def test_a_country_hint_is_given_only_for_a_mistyped_code(value: str, hint: str | None) -> None:
    # "China" used to be answered with "did you mean 'NA'?" (Namibia), "PRC" with 'PR' (Puerto Rico).
    assert suggest_country(value) == hint
