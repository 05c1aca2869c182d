"""The service's OpenAPI 3.1 document, built from the same pydantic models as ``compliance schema``."""

from __future__ import annotations

import copy
import functools
from typing import Any

from compliance._version import __version__
from compliance.authoring.schema import json_schema
from compliance.server.licenses import openapi_paths

__all__ = ["openapi_document"]


def _lift(schema: dict[str, object], components: dict[str, object]) -> dict[str, object]:
    """Move a model schema's ``$defs`` into ``components/schemas`` and point its references there."""
    schema = copy.deepcopy(schema)
    defs = schema.pop("$defs", {})
    assert isinstance(defs, dict)
    components.update(defs)

    def fix(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)

    fix(schema)
    for value in defs.values():
        fix(value)
    schema.pop("$schema", None)
    return schema


_ERROR = {
    "type": "object",
    "description": "The CLI's error record: where the record came from and every problem, located.",
    "required": ["source", "record", "error"],
    "properties": {
        "source": {"type": "string"},
        "record": {"type": "integer"},
        "error": {
            "type": "object",
            "required": ["code", "problems"],
            "properties": {
                "code": {"type": "string"},
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string"},
                            "line": {"type": "integer"},
                            "col": {"type": "integer"},
                            "level": {"type": "string"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "help": {"type": ["string", "null"]},
                        },
                    },
                },
            },
        },
    },
}


def _json(ref: str) -> dict[str, object]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "The body is not JSON (or not UTF-8), or a query parameter is wrong.",
        401: "A bearer token is required (the service runs with --token-file).",
        404: "No such licence or reservation, or the service has no licence ledger (`serve --db`).",
        413: "The body is over the size limit.",
        422: "The transaction is not valid: every problem, with the field named.",
        503: "No decision within the time limit, or the audit log cannot be written.",
    }
    return {str(c): {"description": words[c], "content": _json("ErrorRecord")} for c in codes}


@functools.cache
def openapi_document() -> dict[str, object]:
    components: dict[str, object] = {}
    transaction = _lift(json_schema("transaction"), components)
    decision = _lift(json_schema("decision"), components)
    components["Transaction"] = transaction
    components["Decision"] = decision
    components["ErrorRecord"] = _ERROR
    as_of = {
        "name": "as_of",
        "in": "query",
        "required": False,
        "description": "Decide as of this date (YYYY-MM-DD) instead of each transaction's own date.",
        "schema": {"type": "string", "format": "date"},
    }
    reserve = {
        "name": "reserve",
        "in": "query",
        "required": False,
        "description": "With a licence ledger (`serve --db`): reserve each allowed line on the licence covering it.",
        "schema": {"type": "boolean"},
    }
    jsonl = {"application/x-ndjson": {"schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "compliance",
            "version": __version__,
            "description": "Export-compliance decisions (allow / deny / review) with the law cited.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/check": {
                "post": {
                    "summary": "Decide one transaction",
                    "parameters": [as_of, reserve],
                    "requestBody": {"required": True, "content": _json("Transaction")},
                    "responses": {"200": {"description": "The decision.", "content": _json("Decision")}}
                    | _errors(400, 401, 413, 422, 503),
                }
            },
            "/v1/check/batch": {
                "post": {
                    "summary": "Decide many transactions: JSON Lines in, JSON Lines out, one record out per record in",
                    "parameters": [as_of],
                    "requestBody": {"required": True, "content": jsonl},
                    "responses": {
                        "200": {
                            "description": "One line per input record, in order: a decision (with `source` and "
                            "`record`) or an error record.",
                            "content": jsonl,
                        }
                    }
                    | _errors(400, 401, 413, 503),
                }
            },
            "/v1/packs": {
                "get": {
                    "summary": "The rule packs in use (`compliance packs --format json`)",
                    "responses": {"200": {"description": "The listing."}} | _errors(401),
                }
            },
            "/v1/reload": {
                "post": {
                    "summary": "Load the packs again; a pack error keeps the packs in use",
                    "responses": {
                        "200": {"description": "Reloaded."},
                        "422": {"description": "A pack error: the old packs stay in use; every problem, located."},
                    }
                    | _errors(401),
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness and the packs in use",
                    "security": [],
                    "responses": {"200": {"description": "Serving."}, "503": {"description": "The audit log failed."}},
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {"200": {"description": "Text format 0.0.4."}} | _errors(401),
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1."}} | _errors(401),
                }
            },
            **openapi_paths(_errors),
        },
    }
