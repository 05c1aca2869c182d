"""Shared pydantic configuration and field types for the contract models."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

from compliance.codes import COUNTRY_CODES, suggest_country

__all__ = ["Contract", "CountryCode", "IsoDate", "construct", "parse_iso_date"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Contract(BaseModel):
    """Frozen, strict, no unknown keys: a typo in a field name is an error, not a silently ignored value."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def parse_iso_date(value: object) -> object:
    """Accept ``YYYY-MM-DD`` strings and ``date`` objects only; ``01/02/2025`` is ambiguous and refused."""
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        if not _DATE.match(value):
            raise ValueError(f"{value!r} is not an ISO date; write YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a real calendar date ({exc})") from None
    raise ValueError(f"expected an ISO date string YYYY-MM-DD, got {type(value).__name__}")


def _check_country(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 3166-1 alpha-2 country code, got {type(value).__name__}")
    if value not in COUNTRY_CODES:
        hint = suggest_country(value)
        extra = f"; did you mean {hint!r}?" if hint and hint != value else ""
        if hint == value.strip().upper():
            extra = f"; country codes are upper case: {hint!r}"
        elif hint is None and len(value.strip()) > 2:
            extra = "; write the two-letter code, e.g. 'CN' for China (names and three-letter codes are not read)"
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code{extra}")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(parse_iso_date)]
CountryCode = Annotated[str, BeforeValidator(_check_country)]


_M = TypeVar("_M", bound=BaseModel)


def construct(cls: type[_M], **values: object) -> _M:
    """Build a model from trusted, complete values without validation: the engine's hot path.

    Four times faster than ``model_construct`` (which also fills defaults); every field must be given.
    """
    # `__pydantic_fields__` is the class's plain dict of fields (`model_fields` is a slower property).
    expected = cls.__pydantic_fields__
    if len(values) != len(expected):
        raise TypeError(f"{cls.__name__}: construct() needs every field; missing {sorted(set(expected) - set(values))}")
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model
