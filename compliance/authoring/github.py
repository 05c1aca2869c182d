"""Pack problems as GitHub Actions workflow commands, so a pull request shows each on its line.

``::error file=F,line=L,col=C,title=CODE::message`` (``warning`` for warnings; with ``--strict`` a warning fails
the run, so it is reported as an error). Files are named relative to the working directory, as the runner
expects of files in the checkout. Values are escaped as the runner expects: ``%``, CR and LF everywhere,
``:`` and ``,`` in properties as well (the runner's ``toCommandValue``/``escapeProperty``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePath

from compliance.errors import Problem

__all__ = ["github_annotations"]


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _file(name: str) -> str:
    """Relative to the working directory (the checkout, in a workflow) when the file is inside it."""
    path = Path(name)
    if path.is_absolute():
        try:
            relative = os.path.relpath(path)
        except ValueError:
            return path.as_posix()
        if not relative.startswith(".."):
            return PurePath(relative).as_posix()
    return path.as_posix()


def github_annotations(problems: Iterable[Problem], *, strict: bool = False) -> str:
    """One workflow command per problem, in problem order; an empty string when there is none."""
    lines = []
    for p in sorted(problems):
        kind = "error" if p.level == "error" or strict else "warning"
        props = [f"file={_property(_file(p.location.file))}"]
        if p.location.line:
            props += [f"line={p.location.line}", f"col={p.location.col or 1}"]
        props.append(f"title={_property(p.code)}")
        message = p.message + (f" (help: {p.help})" if p.help else "")
        lines.append(f"::{kind} {','.join(props)}::{_data(message)}\n")
    return "".join(lines)
