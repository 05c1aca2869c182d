"""Load rule packs: read every file under the roots, assemble them, and freeze them into a :class:`PackSet`.

Every problem in every file is collected in one pass (schema, references, duplicates) and raised as one
:class:`PackError`, so a pack author sees the whole list with file:line:column, not one error per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compliance.errors import Location, PackError, Problem
from compliance.packs.assemble import assemble
from compliance.packs.files import ParsedFile, iter_pack_files, read_pack_file
from compliance.packs.packset import PackSet

__all__ = ["Collected", "collect_packs", "load_packs"]


@dataclass(frozen=True, slots=True)
class Collected:
    """The outcome of reading packs without raising: every problem, and the pack set when there are no errors."""

    packset: PackSet | None
    problems: tuple[Problem, ...]
    files: tuple[ParsedFile, ...]
    test_files: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "error")


def load_packs(roots: Sequence[str | Path]) -> PackSet:
    """Load and validate every pack under ``roots``; raise :class:`PackError` listing every problem."""
    collected = collect_packs(roots)
    if collected.errors or collected.packset is None:
        raise PackError(list(collected.problems))
    return collected.packset


def collect_packs(roots: Sequence[str | Path]) -> Collected:
    """Read every pack file under ``roots`` and report every problem in one pass; never raises on bad content."""
    problems: list[Problem] = []
    parsed: list[ParsedFile] = []
    test_files: list[str] = []
    try:
        paths = list(iter_pack_files(roots))
    except PackError as err:
        return Collected(None, err.problems, ())
    for path, name in paths:
        result = read_pack_file(path, name)
        problems.extend(result.problems)
        if result.is_tests:
            test_files.append(name)
        if result.parsed is not None:
            parsed.append(result.parsed)
    if not parsed and not problems and not test_files:
        problems.append(Problem(Location(", ".join(str(r) for r in roots)), "no-packs", "no rule pack files found"))
    packset = assemble(parsed, problems)
    return Collected(packset, tuple(sorted(problems)), tuple(parsed), tuple(test_files))
