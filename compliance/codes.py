"""One definition of each code shape the engine reads: countries, and control numbers per jurisdiction.

An unknown destination or a control number that is not one is an input error, never a silent allow: a
free-text `eccn` such as ``TBD`` or ``3A090A`` used to remove the "unclassified item" review without
classifying anything. Control numbers are read exactly as the law prints them; the only variants accepted
(and shown in the decision) are letter case, full-width characters and surrounding whitespace. Everything
else is refused with a hint, never guessed.

Jurisdictions (a pack's jurisdiction is the first part of its id: ``us-ear`` -> ``US``):

=====  ==============================================  ====================================================
``US``  ECCN: a digit, a letter A-E (or the 0Y521        ``3A090.a``, ``5A992.z``, ``0Y521``, ``EAR99``
        series' Y), three digits, lower-case paragraphs;
        or ``EAR99`` (15 CFR 738.2(d), 734.3(c))
``CN``  PRC Dual-Use Items Export Control List code,     ``1C902.a``, ``1C117.d``, ``3A001``, ``1E902.a``
        the same shape (MOFCOM Announcement No. 51 of
        2024; codes as printed in the item announcements)
=====  ==============================================  ====================================================
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata

__all__ = [
    "COUNTRY_CODES",
    "JURISDICTIONS",
    "CodeError",
    "check_control_code",
    "fold_width",
    "hs_code_shape",
    "normalize_code",
    "number_as_code",
    "pack_jurisdiction",
    "suggest_country",
]

# ISO 3166-1 alpha-2 officially assigned codes, plus XK (Kosovo, a user-assigned code that the
# European Commission and many ERP systems use; the EAR lists Kosovo as a destination).
COUNTRY_CODES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
    """.split()
)


def suggest_country(code: str) -> str | None:
    """The code a mistyped country code most likely meant, or None.

    Only a two-character value is a mistyped code: a name or an abbreviation ("China", "PRC") is not near the
    code it means ("NA" is Namibia, "PR" Puerto Rico), and a wrong suggestion is worse than none.
    """
    upper = unicodedata.normalize("NFKC", code).strip().upper()  # full-width letters from a CJK-locale export
    if upper in COUNTRY_CODES:
        return upper
    if len(upper) != 2:
        return None
    close = difflib.get_close_matches(upper, sorted(COUNTRY_CODES), n=1, cutoff=0.5)
    return close[0] if close else None


# ------------------------------------------------------------------------------------------ control numbers

# US ECCN: category digit, product group, three digits, then paragraphs (`3A090.a`, `5A002.a.1.a`, `3A001.z`).
_ECCN = re.compile(r"^(?:[0-9][A-EY][0-9]{3}(?:\.[a-z0-9]{1,3})*|EAR99)$")
# PRC Dual-Use Items Export Control List (MOFCOM No. 51 of 2024): the same category/group/number shape.
_CN_CODE = re.compile(r"^[0-9][A-E][0-9]{3}(?:\.[a-z0-9]{1,3})*$")
# Other jurisdictions' codes in packs: letters and digits in dot-separated segments, no empty segment.
_GENERIC_CODE = re.compile(r"^[0-9A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*$")

JURISDICTIONS: dict[str, re.Pattern[str]] = {"US": _ECCN, "CN": _CN_CODE}
_NAMES = {"US": "ECCN", "CN": "PRC control-list code"}
_A_NAME = {"US": "an ECCN", "CN": "a PRC control-list code"}
_FORMS = {
    "US": "a digit, a letter A-E, three digits and lower-case paragraphs: `3A090.a`, `4A090`, `EAR99`",
    "CN": "a digit, a letter A-E, three digits and lower-case paragraphs: `1C902.a`, `1C117.d`",
}

# Letter case is the only change made to a code's characters: the category letter upper case, paragraphs
# lower case, `EAR99` upper case.
_SHAPED = re.compile(r"^([0-9])([A-Za-z])([0-9]{3})((?:\.[A-Za-z0-9]{1,3})*)$")
# Values ERP exports put in a code field when nobody classified the item.
_PLACEHOLDERS = re.compile(
    r"^(?:|[-?._/*]+|0+|n/?a|n\.a\.|na|tbd|tba|tbc|none|nil|null|unknown|unk|pending|later|nlr|x+|\?+)$",
    re.IGNORECASE,
)
# `3A090A`, `3A090 a`, `3A090-a`, `3A090_a`, `3A090,a`: one obvious paragraph (the dot is missing or wrong).
_NO_DOT = re.compile(r"^([0-9][A-Za-z][0-9]{3})(?:[\s,_\-/]+|)([A-Za-z0-9]{1,3})$")


class CodeError(ValueError):
    """A value that is not a control number of its jurisdiction; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message}; {hint}")
        self.message = message
        self.hint = hint


def fold_width(text: str) -> str:
    """Full-width forms (U+FF01-FF5E) and the ideographic space to ASCII; nothing else changes."""
    return text.translate(_WIDTH)


_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


def pack_jurisdiction(pack_id: str) -> str | None:
    """``us-ear`` -> ``US``, ``cn-mofcom`` -> ``CN``; ``None`` for a pack whose codes have no known shape."""
    head = pack_id.split("-", 1)[0].upper()
    return head if head in JURISDICTIONS else None


def _recased(text: str) -> str:
    if text.upper() == "EAR99":
        return "EAR99"
    m = _SHAPED.match(text)
    if m is None:
        return text
    digit, group, number, paragraphs = m.groups()
    return f"{digit}{group.upper()}{number}{paragraphs.lower()}"


def number_as_code(value: float) -> str | None:
    """The control number YAML read as a number: `3E001` is the float 30.0 (3 x 10^1). None if ambiguous."""
    if not math.isfinite(value) or value <= 0:
        return None
    found = []
    for digit in range(1, 10):
        exponent = math.log10(value / digit)
        rounded = round(exponent)
        if abs(exponent - rounded) < 1e-9 and 0 <= rounded <= 999 and digit * 10.0**rounded == value:
            found.append(f"{digit}E{rounded:03d}")
    return found[0] if len(found) == 1 else None


def normalize_code(value: object, jurisdiction: str = "US") -> str:
    """The control number ``value`` stands for, in canonical form; raises :class:`CodeError` otherwise.

    Accepted variants, exactly: letter case (``3a090.a`` -> ``3A090.a``, ``ear99`` -> ``EAR99``), full-width
    characters (U+FF01-FF5E, e.g. a full-width ``3A090.a``) and surrounding whitespace. ``EAR99`` exists only in the US jurisdiction.
    """
    shape = JURISDICTIONS[jurisdiction]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CodeError(
            f"expected {_A_NAME[jurisdiction]} as text, got {type(value).__name__}", _omit_hint(jurisdiction)
        )
    if not isinstance(value, str):
        guess = number_as_code(float(value)) if value else None
        hint = f'quote it: "{guess}"' if guess else _omit_hint(jurisdiction)
        raise CodeError(
            f"{value!r} was read as a number, not {_A_NAME[jurisdiction]} (an unquoted 3E001 reads as 30.0)", hint
        )
    text = _recased(fold_width(value).strip())
    if shape.match(text):
        return text
    raise CodeError(f"{value!r} is not {_A_NAME[jurisdiction]}", _hint(value, jurisdiction))


def _omit_hint(jurisdiction: str) -> str:
    if jurisdiction == "US":
        return "omit `eccn` to have the item reviewed as unclassified"
    return f"omit `control_codes.{jurisdiction}` if the item is not classified"


def _hint(value: str, jurisdiction: str) -> str:
    text = fold_width(value).strip()
    if _PLACEHOLDERS.match(text):
        return _omit_hint(jurisdiction)
    shape = JURISDICTIONS[jurisdiction]
    compact = re.sub(r"[^0-9A-Za-z]", "", text)
    candidates: list[str] = []
    if jurisdiction == "US" and compact.upper() == "EAR99":
        candidates.append("EAR99")
    m = _NO_DOT.match(text)
    if m is not None:
        candidates.append(_recased(f"{m.group(1)}.{m.group(2)}"))
    if re.match(r"^[0-9][A-Za-z][0-9]{3}\.?$", text.rstrip(".")):
        candidates.append(_recased(text.rstrip(".")))
    good = [c for c in dict.fromkeys(candidates) if shape.match(c)]
    if len(good) == 1:
        return f"did you mean {good[0]!r}? (or {_omit_hint(jurisdiction)})"
    return f"{_A_NAME[jurisdiction]} is {_FORMS[jurisdiction]}; or {_omit_hint(jurisdiction)}"


def check_control_code(pack: str, code: str) -> tuple[str, str | None] | None:
    """For pack files: ``None`` when ``code`` has the shape of a control number of ``pack``'s jurisdiction,
    else (message, help). Packs are written in canonical form, so a letter-case variant is refused here
    (with the canonical form as the hint) although a transaction may use it."""
    jurisdiction = pack_jurisdiction(pack)
    if jurisdiction is not None:
        shape = JURISDICTIONS[jurisdiction]
        if shape.match(code):
            return None
        fixed = _recased(fold_width(code).strip())
        hint = (
            f"did you mean {fixed!r}?"
            if fixed != code and shape.match(fixed)
            else f"{_A_NAME[jurisdiction]} is {_FORMS[jurisdiction]}"
        )
        return f"{code!r} is not a valid {_NAMES[jurisdiction] if jurisdiction == 'US' else 'control code'}", hint
    if _GENERIC_CODE.match(code):
        return None
    return f"{code!r} is not a valid control code", "letters and digits in dot-separated parts, e.g. `1C902.a`"


# ---- HS (customs tariff) codes: added for issue 17; kept self-contained at the end of this module --------------

_HS_SEPARATORS = str.maketrans("", "", " .\u00a0")


def hs_code_shape(value: str) -> tuple[str | None, str | None]:
    """``(digits, None)`` for a customs tariff code, or ``(None, why)`` when it does not have the shape of one.

    The shape is the international 6-digit HS subheading, optionally followed by national digits (China and the US
    use 10, the EU's CN 8, TARIC 10): 6 to 12 digits. ERP item masters write the same code as ``8112929090``,
    ``8112.92.9090`` or ``8112 92 90 90``; spaces and dots are dropped, and full-width digits (U+FF10..U+FF19) are read
    as the ASCII digits they stand for. Anything else (letters, a 4-digit heading, ``N/A``) is refused, never guessed.
    """
    text = "".join(chr(ord(c) - 0xFEE0) if "\uff10" <= c <= "\uff19" else c for c in value.strip())
    text = text.translate(_HS_SEPARATORS).replace("\uff0e", "")
    if not text:
        return None, "an HS code is 6 to 12 digits, e.g. `811292` or `8112929090`"
    if not all("0" <= c <= "9" for c in text):
        return None, f"{value!r} is not an HS code: only digits, spaces and dots may appear"
    if len(text) < 6:
        return None, f"{value!r} has {len(text)} digits; an HS code has at least the 6 digits of the HS subheading"
    if len(text) > 12:
        return None, f"{value!r} has {len(text)} digits; national tariff codes have at most 12"
    return text, None
