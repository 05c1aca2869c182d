"""ISO 3166-1 alpha-2 country codes, so an unknown destination is an input error, never a silent allow."""

from __future__ import annotations

import difflib

__all__ = ["COUNTRY_CODES", "suggest_country"]

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
    upper = code.strip().upper()
    if upper in COUNTRY_CODES:
        return upper
    close = difflib.get_close_matches(upper, sorted(COUNTRY_CODES), n=1, cutoff=0.5)
    return close[0] if close else None


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
