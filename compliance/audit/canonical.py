"""Canonical JSON as RFC 8785 (JSON Canonicalization Scheme, JCS) defines it, so a verifier in any language
gets the same bytes, and so the same sha256 and HMAC, from the same receipt.

RFC 8785 in short: no whitespace; object members sorted by their names as UTF-16 code units; strings with
only ``"``, ``\\``, and control characters escaped (``\\b \\t \\n \\f \\r``, others as ``\\u00xx``, lower case),
everything else as UTF-8; numbers as ECMAScript writes an IEEE 754 double (``Number.prototype.toString``):
``8.0`` is ``8``, ``1e21`` is ``1e+21``, ``1e-7`` is ``1e-7``, ``0.000001`` is ``0.000001``. Integers are
exact only up to 2**53: a larger one is the double a JavaScript reader makes of it (so what a verifier parses
re-canonicalises to the same bytes); NaN, infinities and lone surrogates have no form and are refused. The
readers refuse integers beyond 2**53 in input (``compliance.source``), so no input value is rounded here.

:func:`canonical` is the reference; :func:`canonical_fast` gives the same text through a C encoder (orjson)
when every float in the data is one whose shortest form has no exponent (and every integral float is written as
an integer) and every key is ASCII, which is the case for almost every transaction.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

import orjson

__all__ = ["CanonicalError", "canonical", "canonical_fast", "number"]

_MAX_EXACT = 2**53


class CanonicalError(ValueError):
    """Data that has no RFC 8785 form (a NaN, an infinity, an integer beyond 2**53, a lone surrogate)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(text: str) -> str:
    r"""A JSON string as RFC 8785 writes it: exactly ``json.dumps(text, ensure_ascii=False)`` (``"`` and ``\``
    escaped, ``\b \t \n \f \r`` short, other control characters ``\u00xx``), for text that is Unicode."""
    if not text.isascii() and _SURROGATE.search(text):
        raise CanonicalError("a string holds a lone surrogate; it has no canonical form")
    return _dumps(text, ensure_ascii=False)


_dumps = json.dumps


def number(value: float | int) -> str:
    """An IEEE 754 double as ECMAScript's ``Number.prototype.toString`` writes it (RFC 8785 section 3.2.2.3)."""
    if isinstance(value, bool):
        raise CanonicalError("a boolean is not a number")
    if isinstance(value, int):
        if abs(value) <= _MAX_EXACT:
            return str(value)
        # A JSON number is a double: a larger integer is the double a JavaScript (or any I-JSON) reader makes
        # of it, so 1e16, written 10000000000000000 and read back by Python as an int, canonicalises the same.
        try:
            value = float(value)
        except OverflowError:
            raise CanonicalError(f"integer {value} is beyond the range of a JSON number") from None
    if not math.isfinite(value):
        raise CanonicalError(f"{value} has no JSON form")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that read back as the same double, as ECMAScript requires; only the
    # layout differs. value = 0.DIGITS x 10**point
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    point = len(whole) + int(exp_text or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        exp = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if exp >= 0 else "-") + str(abs(exp))
    return sign + text


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")


def canonical(data: object) -> str:
    """The RFC 8785 text of JSON-ready data (dicts with string keys, lists, str, int, float, bool, None)."""
    if data is None:
        return "null"
    if data is True:
        return "true"
    if data is False:
        return "false"
    if isinstance(data, str):
        return _string(data)
    if isinstance(data, (int, float)):
        return number(data)
    if isinstance(data, Mapping):
        for key in data:
            if not isinstance(key, str):
                raise CanonicalError(f"object key {key!r} is not a string")
        members = sorted(data.items(), key=lambda kv: _utf16_key(kv[0]))
        return "{" + ",".join(_string(k) + ":" + canonical(v) for k, v in members) + "}"
    if isinstance(data, (list, tuple)):
        return "[" + ",".join(canonical(v) for v in data) + "]"
    raise CanonicalError(f"{type(data).__name__} is not JSON data")


def _plain(data: object) -> object:
    """``data`` with integral floats as ints, or ``_UNSAFE`` when some value needs the reference encoder."""
    if isinstance(data, str):
        return data if data.isascii() or not _SURROGATE.search(data) else _UNSAFE
    if isinstance(data, dict):
        out: dict[str, object] = {}
        for key, value in data.items():
            if not isinstance(key, str) or not key.isascii():
                return _UNSAFE  # sorting by UTF-16 code units differs from Python's only beyond ASCII
            plain = value if value is None or (isinstance(value, str) and value.isascii()) else _plain(value)
            if plain is _UNSAFE:
                return _UNSAFE
            out[key] = plain
        return out
    if isinstance(data, (list, tuple)):
        items = []
        for value in data:
            plain = _plain(value)
            if plain is _UNSAFE:
                return _UNSAFE
            items.append(plain)
        return items
    if data is None or isinstance(data, bool):
        return data
    if isinstance(data, int):
        return data if abs(data) <= _MAX_EXACT else _UNSAFE
    if isinstance(data, float):
        if not math.isfinite(data):
            return _UNSAFE
        if data.is_integer():
            return int(data) if abs(data) <= _MAX_EXACT else _UNSAFE
        # Python's repr is the ECMAScript form exactly when it uses no exponent: 1e-4 <= |x| < 1e16
        return data if 1e-4 <= abs(data) < 1e16 else _UNSAFE
    return _UNSAFE


_UNSAFE = object()


def canonical_fast(data: object) -> str:
    """The same text as :func:`canonical`, through ``json.dumps`` when that gives the RFC 8785 form."""
    plain = _plain(data)
    if plain is _UNSAFE:
        return canonical(data)
    # orjson writes what json.dumps(sort_keys=True, compact, ensure_ascii=False) writes for such data (ASCII
    # keys, integers within 2**53, floats without exponent; tests/audit/test_canonical.py), several times faster
    return orjson.dumps(plain, option=orjson.OPT_SORT_KEYS).decode()
