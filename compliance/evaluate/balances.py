"""Licences from the licence ledger, with what other transactions have already drawn from them.

The ledger (:mod:`compliance.ledger`) keeps licences as master data and records every reservation and shipment
against them. Before a transaction is decided, the caller reads the ledger's candidate licences and hands them
to :meth:`compliance.Engine.decide` as :class:`LedgerLicense` values: the licence's terms (the transaction's
licence shape) and the quantity and value that *other* transactions hold on it (reserved and not expired, or
consumed by a shipment). The engine stays pure: it reads nothing itself, and the same licences and balances give
the same decision (an audit receipt records them, so ``audit replay`` reproduces it).

Coverage is the transaction licence's (:mod:`compliance.evaluate.licenses`: authority, date, item, countries,
parties, end uses), with one difference: a ledger licence's quantity and value are what is *left* of it, not its
total. The lines of the transaction its item terms cover may not together need more than is left (deny, "licence
X has N left, line 1 needs M"); for a US-BIS licence, the 10% value tolerance of 15 CFR 750.11(b) applies to
the value of all shipments under the licence (review between 100% and 110%, as for a licence on an order).

**Order of determination**: the transaction's own licences first (the order names what it ships under), then the
ledger's, the one expiring first (``valid_to``), then the one valid earliest (``valid_from``), then by id; the
first that covers is used. A licence that lacks the balance does not cover, so the next one is tried. A licence on
the order whose id is also in the ledger is taken from the ledger (master data, with its balance): an inline copy
would cover without being drawn down.

**Arithmetic**: amounts are exact integers of millionths (micro-units), the ledger's own unit, so that sums and
comparisons never drift as floating point does (1,000.10 - 999.95 is not 0.15 in binary). A licence's total is
rounded down and what a line needs rounded up: rounding never lets a line draw more than is left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from compliance.models.transaction import Item, License

__all__ = [
    "SCALE",
    "LedgerLicense",
    "determination_order",
    "micro",
    "ordered",
    "parse_units",
    "quantity_need",
    "units",
    "value_need",
]

SCALE = 1_000_000  # amounts are stored and compared in millionths of a unit


def micro(x: float, *, up: bool = False) -> int:
    """``x`` in micro-units, exactly as written (``repr``), rounded down (a total) or up (a need)."""
    return int((Decimal(repr(x)) * SCALE).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR))


def units(amount: int, *, grouped: bool = False) -> str:
    """Micro-units as a plain decimal (``"12500.5"``), or with thousands separators for people."""
    value = Decimal(amount) / SCALE
    text = f"{value:,f}" if grouped else f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def parse_units(text: object) -> int:
    """The inverse of :func:`units` (as stored in a receipt): a decimal string -> micro-units, exactly."""
    if not isinstance(text, str):
        raise ValueError(f"expected an amount as a decimal string, got {type(text).__name__}")
    value = Decimal(text) * SCALE
    if value != value.to_integral_value() or not value.is_finite():
        raise ValueError(f"amount {text!r} has more than six decimals")
    return int(value)


def quantity_need(item: Item) -> int:
    return micro(item.quantity, up=True)


def value_need(item: Item) -> int | None:
    """The line's value (quantity x unit value) in micro-units, rounded up; None without a unit value."""
    if item.unit_value is None:
        return None
    exact = Decimal(repr(item.quantity)) * Decimal(repr(item.unit_value)) * SCALE
    return int(exact.to_integral_value(ROUND_CEILING))


@dataclass(frozen=True, slots=True)
class LedgerLicense:
    """A ledger licence and what other transactions hold on it (micro-units; 0 when nothing is drawn)."""

    license: License
    used_quantity: int = 0
    used_value: int = 0

    @property
    def quantity_left(self) -> int | None:
        q = self.license.quantity
        return None if q is None else micro(q) - self.used_quantity

    @property
    def value_left(self) -> int | None:
        v = self.license.value
        return None if v is None else micro(v) - self.used_value

    def to_dict(self) -> dict[str, object]:
        """The JSON an audit receipt keeps (amounts as decimal strings: exact in any JSON reader)."""
        return {
            "license": self.license.model_dump(mode="json"),
            "used_quantity": units(self.used_quantity),
            "used_value": units(self.used_value),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LedgerLicense:
        """Read :meth:`to_dict`'s JSON back (``ValueError`` or pydantic's ``ValidationError`` when it is not)."""
        body = data.get("license")
        if not isinstance(body, Mapping):
            raise ValueError("a ledger licence needs its `license` terms")
        return cls(
            License.model_validate(dict(body)),
            parse_units(data.get("used_quantity", "0")),
            parse_units(data.get("used_value", "0")),
        )


def determination_order(lic: LedgerLicense) -> tuple[dt.date, dt.date, str]:
    """Expiring first, then valid earliest, then by id (see the module docstring)."""
    return (lic.license.valid_to, lic.license.valid_from, lic.license.id)


def ordered(ledger: Sequence[LedgerLicense]) -> list[LedgerLicense]:
    return sorted(ledger, key=determination_order)
