"""Licence files for ``compliance licenses add``: YAML or JSON, every problem located (file, line, field).

A file holds licences in the transaction's licence shape (README, "The transaction": ``licenses[]``), written
one of three ways: a mapping ``licenses: [...]`` (as in a transaction), a list of licences, or one licence.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, TypeAdapter, ValidationError

from compliance.errors import InputError, Problem
from compliance.models._base import Contract
from compliance.models.transaction import License
from compliance.source import Document, load_document, parse_bytes, pydantic_problems

__all__ = ["LicensesFile", "licenses_from_bytes", "read_licenses"]


class LicensesFile(Contract):
    licenses: list[License] = Field(min_length=1, description="Licences for the ledger, in the transaction's shape.")


_VOCABULARY = sorted({*License.model_fields, *LicensesFile.model_fields})
_LIST = TypeAdapter(list[License])


def read_licenses(path: str | Path) -> list[License]:
    """The licences in ``path``; any problem is an :class:`InputError` naming the line and field."""
    return _licenses(load_document(path))


def licenses_from_bytes(raw: bytes, name: str) -> list[License]:
    """The licences in a JSON body (``POST /v1/licenses``), located like a file's."""
    return _licenses(parse_bytes(raw, name, fmt="json"))


def _licenses(doc: Document) -> list[License]:
    data = doc.data
    try:
        if isinstance(data, list):
            found = _LIST.validate_python(data, strict=True)
        elif isinstance(data, dict) and "licenses" in data:
            found = LicensesFile.model_validate(data).licenses
        else:
            found = [License.model_validate(data)]
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, doc, vocabulary=_VOCABULARY)) from None
    if not found:
        raise InputError([Problem(doc.locate(()), "empty", "the file holds no licence")])
    seen: dict[str, int] = {}
    problems = []
    prefix: tuple[str, ...] = ("licenses",) if isinstance(data, dict) and "licenses" in data else ()
    for i, lic in enumerate(found):
        if lic.id in seen:
            problems.append(
                Problem(
                    doc.locate((*prefix, i, "id")) if isinstance(data, (list, dict)) else doc.locate(()),
                    "duplicate-id",
                    f"licence id {lic.id!r} appears twice in the file (first as licence {seen[lic.id] + 1})",
                )
            )
        seen.setdefault(lic.id, i)
    if problems:
        raise InputError(problems)
    return found
