"""Where the bundled rule packs are, however the package was installed.

The packs live at the repository root (``rules/``: CI, pre-commit hooks and docs name that folder) and ship in
the wheel as package data of the ``compliance.bundled_rules`` package (``setup.py`` maps the folder there).
They are found relative to the installed package, never to the current directory, so a stray ``./rules``
folder cannot change a decision; other packs are used only when asked for (``--rules``).

Three installs, looked up in this order:

1. a wheel (``pip install .``): ``compliance/bundled_rules/`` beside the package's modules;
2. an editable install in setuptools' default mode: its import finder maps ``compliance.bundled_rules`` to the
   checkout's ``rules/``;
3. a source checkout on ``sys.path`` (``editable_mode=compat``, ``PYTHONPATH=.``): the ``rules/`` folder beside
   the ``compliance`` folder, when that folder is this project's checkout (it holds ``pyproject.toml``).
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from pathlib import Path

from compliance.errors import Location, PackError, Problem

__all__ = ["BUNDLED_PACKAGE", "bundled_rules_dir", "is_bundled", "same_files"]

BUNDLED_PACKAGE = "compliance.bundled_rules"


def _wheel_dir() -> Path | None:
    root = importlib.resources.files("compliance")
    if not isinstance(root, Path):  # a zip import: the loader needs real files
        return None
    candidate = root / "bundled_rules"
    return candidate if candidate.is_dir() else None


def _finder_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location)
        if candidate.is_dir():
            return candidate
    return None


def _checkout_dir() -> Path | None:
    package = importlib.resources.files("compliance")
    if not isinstance(package, Path):
        return None
    checkout = package.parent
    candidate = checkout / "rules"
    if (checkout / "pyproject.toml").is_file() and candidate.is_dir():
        return candidate
    return None


def bundled_rules_dir() -> Path:
    """The folder of the packs that ship with this installation; :class:`PackError` when there is none."""
    for find in (_wheel_dir, _finder_dir, _checkout_dir):
        found = find()
        if found is not None:
            return found.resolve()
    raise PackError(
        [
            Problem(
                Location("compliance.bundled_rules"),
                "no-bundled-packs",
                "this installation carries no rule packs",
                help="reinstall the package, or name a pack directory with --rules DIR",
            )
        ]
    )


def is_bundled(root: str | Path) -> bool:
    """Whether ``root`` is the bundled packs' folder (however it is spelled)."""
    try:
        return Path(root).resolve() == bundled_rules_dir()
    except PackError:
        return False


def same_files(a: str | Path, b: str | Path) -> bool:
    """Whether two pack folders hold the same files, byte for byte (a checkout's rules/ and the installed copy)."""
    first, second = Path(a), Path(b)

    def files(root: Path) -> dict[str, Path]:
        return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}

    try:
        left, right = files(first), files(second)
        return left.keys() == right.keys() and all(left[k].read_bytes() == right[k].read_bytes() for k in left)
    except OSError:
        return False
