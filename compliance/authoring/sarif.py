"""SARIF 2.1.0 for pack problems, so code-scanning shows them as annotations on the pack's lines.

File locations are relative to the directory the run started in, with ``uriBaseId: "%SRCROOT%"``, as code
scanning expects of files in the checked-out repository (``originalUriBaseIds`` is left out so that the same packs
give the same log on every machine); a file outside that directory keeps an absolute ``file://`` URI. Each reporting rule (a problem code) has a ``helpUri`` into the
problem-code table of docs/ci.md: relative to the engine's documentation unless ``help_base`` (an absolute
URI ending in ``/``) is given, and its help text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath

from compliance.errors import Location, Problem

__all__ = ["HELP_PAGE", "SARIF_SCHEMA", "SRCROOT", "sarif_json", "sarif_log"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
HELP_PAGE = "docs/ci.md#problem-codes"


def _artifact(file: str, base: Path) -> dict[str, object]:
    path = Path(file)
    absolute = path if path.is_absolute() else base / path
    try:
        relative = os.path.relpath(absolute, base)
    except ValueError:  # another drive (Windows)
        relative = ".."
    if relative.startswith(".."):
        return {"uri": absolute.as_uri()}
    return {"uri": PurePath(relative).as_posix(), "uriBaseId": SRCROOT}


def _location(loc: Location, base: Path) -> dict[str, object]:
    physical: dict[str, object] = {"artifactLocation": _artifact(loc.file, base)}
    if loc.line:
        physical["region"] = {"startLine": loc.line, "startColumn": loc.col or 1}
    return {"physicalLocation": physical}


def sarif_log(
    problems: Iterable[Problem],
    *,
    version: str,
    descriptions: Mapping[str, str] | None = None,
    base: str | Path | None = None,
    help_base: str = "",
) -> dict[str, object]:
    """One run of the ``compliance`` tool; one reporting rule per problem code, in code order."""
    root = Path(base) if base is not None else Path.cwd()
    problems = sorted(problems)
    codes = sorted({p.code for p in problems})
    descriptions = descriptions or {}
    helps: dict[str, str] = {}
    results = []
    for p in problems:
        if p.help:
            helps.setdefault(p.code, p.help)
        result: dict[str, object] = {
            "ruleId": p.code,
            "ruleIndex": codes.index(p.code),
            "level": p.level,
            "message": {"text": p.message + (f" (help: {p.help})" if p.help else "")},
            "locations": [_location(p.location, root)],
        }
        if p.related:
            result["relatedLocations"] = [{"id": i, **_location(r, root)} for i, r in enumerate(p.related)]
        results.append(result)
    rules = []
    for c in codes:
        rule: dict[str, object] = {
            "id": c,
            "shortDescription": {"text": descriptions.get(c, c)},
            "helpUri": f"{help_base}{HELP_PAGE}",
        }
        if c in helps:
            rule["help"] = {"text": helps[c]}
        rules.append(rule)
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


def sarif_json(problems: Iterable[Problem], *, version: str, help_base: str = "") -> str:
    return json.dumps(sarif_log(problems, version=version, help_base=help_base), indent=2, ensure_ascii=False)
