"""JSON Schema for the file formats, generated from the pydantic models, so editors check YAML as it is typed.

``compliance schema pack`` covers every pack file (``kind: pack | rules | catalog | country-groups |
party-list``, chosen by ``kind``); ``tests`` covers the case files beside the rules; ``transaction`` and
``decision`` are the engine's input and output. See docs/ci.md for wiring them into an editor.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import TypeAdapter

from compliance.models.decision import Decision
from compliance.models.pack import PackFile
from compliance.models.transaction import Transaction

__all__ = ["SCHEMA_NAMES", "SchemaName", "json_schema", "schema_json"]

SchemaName = Literal["pack", "transaction", "decision", "tests"]
SCHEMA_NAMES: tuple[SchemaName, ...] = ("pack", "transaction", "decision", "tests")
_TITLES = {
    "pack": "Compliance rule-pack file",
    "transaction": "Compliance transaction",
    "decision": "Compliance decision",
    "tests": "Compliance rule-pack test cases",
}


def json_schema(name: SchemaName) -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of one format; ``decision`` describes output, the others input."""
    if name == "pack":
        schema = TypeAdapter(PackFile).json_schema()
    elif name == "transaction":
        schema = Transaction.model_json_schema()
    elif name == "decision":
        schema = Decision.model_json_schema(mode="serialization")
    else:
        from compliance.authoring.cases import CasesFile  # the case format lives with the runner

        schema = CasesFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": _TITLES[name], **schema}


def schema_json(name: SchemaName) -> str:
    return json.dumps(json_schema(name), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
