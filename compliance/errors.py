"""Problems, locations and the error types the library raises.

A problem is a sortable value (file, line, column, code) in the manner of yamllint's ``LintProblem``;
an error carries every problem found in one pass, so a user fixes a file once rather than once per run.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ComplianceError",
    "ExitCode",
    "InputError",
    "Location",
    "PackError",
    "Problem",
]

Level = Literal["error", "warning"]


class ExitCode(enum.IntEnum):
    """Every exit code the CLI uses; documented in ``--help`` and the README."""

    ALLOW = 0
    DENY = 1
    INPUT_ERROR = 2
    REVIEW = 3
    PACK_ERROR = 4
    # Documented extension: stdout was closed by its reader (`| head`); as a shell reports SIGPIPE.
    OUTPUT_CLOSED = 141

    @staticmethod
    def worst(codes: Iterable[ExitCode]) -> ExitCode:
        """Over several results the worst wins: pack error, input error, deny, review, allow."""
        return max(codes, key=_RANK.__getitem__, default=ExitCode.ALLOW)


_RANK = {
    ExitCode.ALLOW: 0,
    ExitCode.REVIEW: 1,
    ExitCode.DENY: 2,
    ExitCode.INPUT_ERROR: 3,
    ExitCode.PACK_ERROR: 4,
    ExitCode.OUTPUT_CLOSED: 5,
}


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A 1-based position in a source file; ``line``/``col`` are 0 when unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col or 1}"
        return self.file


@dataclass(frozen=True, order=True, slots=True)
class Problem:
    """One thing wrong with an input or a pack, in words an officer can act on."""

    location: Location
    code: str
    message: str
    level: Level = "error"
    help: str | None = field(default=None, compare=False)
    # Other places the problem involves (the rule that shadows this one, the first definition of a
    # duplicate); shown in the message, and as SARIF ``relatedLocations``.
    related: tuple[Location, ...] = field(default=(), compare=False)

    def render(self) -> str:
        text = f"{self.location}: {self.level} {self.code} {self.message}"
        if self.help:
            text += f"\n  help: {self.help}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "level": self.level,
            "code": self.code,
            "message": self.message,
            "help": self.help,
            "related": [{"file": r.file, "line": r.line, "col": r.col} for r in self.related],
        }


class ComplianceError(Exception):
    """Base of every error the library raises on purpose; the CLI prints its problems and exits ``exit_code``."""

    exit_code: ExitCode = ExitCode.INPUT_ERROR

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems))
        super().__init__("\n".join(p.render() for p in self.problems) or type(self).__name__)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "error")

    def summary(self) -> str:
        """One closing line for the problems above it."""
        return f"{len(self.errors)} error(s); nothing was evaluated"


class InputError(ComplianceError):
    """A transaction file (or dict) that cannot be evaluated as given."""

    exit_code = ExitCode.INPUT_ERROR


class PackError(ComplianceError):
    """A rule pack or data file that cannot be loaded; nothing is evaluated on a broken pack set."""

    exit_code = ExitCode.PACK_ERROR

    def summary(self) -> str:
        return f"rule packs (or their test cases) have {len(self.errors)} error(s); nothing was evaluated"
