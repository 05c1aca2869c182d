"""The licence ledger: licences kept as master data in a database, drawn down by reservations and shipments.

``store`` holds the ledger (:class:`Ledger`: add, balances, candidates, reserve, consume, release, expire),
``db`` the database (SQLite by default, PostgreSQL by URL) and its locking, ``schema`` the versioned migrations,
``determine`` the check against the ledger (decide, then reserve, deciding again when the balance changed),
``files`` licence files for ``compliance licenses add``.
"""

from compliance.ledger.db import LedgerError, display_url
from compliance.ledger.determine import LedgerCheck, LedgerOptions, check_with_ledger
from compliance.ledger.files import read_licenses
from compliance.ledger.store import DEFAULT_HOLD, Balance, Ledger, Movement, Reservation, StepResult

__all__ = [
    "DEFAULT_HOLD",
    "Balance",
    "Ledger",
    "LedgerCheck",
    "LedgerError",
    "LedgerOptions",
    "Movement",
    "Reservation",
    "StepResult",
    "check_with_ledger",
    "display_url",
    "read_licenses",
]
