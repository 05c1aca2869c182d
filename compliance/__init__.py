"""Export-compliance rules engine: cited allow / deny / review decisions for proposed transactions.

Load packs once, evaluate many::

    from compliance import Engine
    engine = Engine.from_directory()
    decision = engine.evaluate({"id": "SO-1", "date": "2025-05-01", "destination": "CN",
                                "items": [{"line": 1, "product": "NVIDIA H20", "quantity": 8}]})
"""

from compliance._version import __version__
from compliance.errors import ComplianceError, ExitCode, InputError, Location, PackError, Problem
from compliance.evaluate.engine import Engine
from compliance.evaluate.result import RecordResult
from compliance.intake import load_transaction
from compliance.models import (
    Citation,
    Decision,
    Finding,
    License,
    LineDecision,
    PackRef,
    Transaction,
)
from compliance.packs import PackSet, load_packs

__all__ = [
    "Citation",
    "ComplianceError",
    "Decision",
    "Engine",
    "ExitCode",
    "Finding",
    "InputError",
    "License",
    "LineDecision",
    "Location",
    "PackError",
    "PackRef",
    "PackSet",
    "Problem",
    "RecordResult",
    "Transaction",
    "__version__",
    "load_packs",
    "load_transaction",
]
