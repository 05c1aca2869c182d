"""SARIF 2.1.0 for pack problems, so code-scanning shows them as annotations on the pack's lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import PurePath

from compliance.errors import Location, Problem

__all__ = ["SARIF_SCHEMA", "sarif_json", "sarif_log"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(file: str) -> str:
    return PurePath(file).as_posix()


def _location(loc: Location) -> dict[str, object]:
    physical: dict[str, object] = {"artifactLocation": {"uri": _uri(loc.file)}}
    if loc.line:
        physical["region"] = {"startLine": loc.line, "startColumn": loc.col or 1}
    return {"physicalLocation": physical}


def sarif_log(
    problems: Iterable[Problem], *, version: str, descriptions: Mapping[str, str] | None = None
) -> dict[str, object]:
    """One run of the ``compliance`` tool; one reporting rule per problem code, in code order."""
    problems = sorted(problems)
    codes = sorted({p.code for p in problems})
    descriptions = descriptions or {}
    results = []
    for p in problems:
        result: dict[str, object] = {
            "ruleId": p.code,
            "ruleIndex": codes.index(p.code),
            "level": p.level,
            "message": {"text": p.message + (f" (help: {p.help})" if p.help else "")},
            "locations": [_location(p.location)],
        }
        if p.related:
            result["relatedLocations"] = [{"id": i, **_location(r)} for i, r in enumerate(p.related)]
        results.append(result)
    rules = [{"id": c, "shortDescription": {"text": descriptions.get(c, c)}} for c in codes]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "compliance",
                        "version": version,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def sarif_json(problems: Iterable[Problem], *, version: str) -> str:
    return json.dumps(sarif_log(problems, version=version), indent=2, ensure_ascii=False)
