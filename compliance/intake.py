"""Reading transactions: from files (YAML or JSON), parsed documents or plain dicts, with located errors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from compliance.errors import InputError, Problem
from compliance.models.transaction import Exporter, Item, License, Party, Transaction
from compliance.source import Document, load_document, pydantic_problems

__all__ = ["load_transaction", "transaction_from_document", "transaction_from_mapping"]

_VOCABULARY = sorted({name for model in (Transaction, Item, Party, Exporter, License) for name in model.model_fields})


def transaction_from_document(doc: Document) -> Transaction:
    if not isinstance(doc.data, dict):
        raise InputError(
            [
                Problem(
                    doc.locate(()),
                    "not-a-mapping",
                    "a transaction must be a mapping of fields (id, date, destination, items, ...)",
                )
            ]
        )
    try:
        return Transaction.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, doc, vocabulary=_VOCABULARY)) from None


def transaction_from_mapping(data: Mapping[str, object], *, name: str = "<transaction>") -> Transaction:
    return transaction_from_document(Document(name, dict(data), {(): (0, 0)}))


def load_transaction(path: str | Path) -> Transaction:
    """Read one transaction file; any problem is an :class:`InputError` naming file, line and field."""
    return transaction_from_document(load_document(path))
