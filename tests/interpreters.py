"""The Python interpreters on this machine that the package supports (3.11+): on PATH, or installed by pyenv."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

SUPPORTED = ("3.11", "3.12", "3.13")


def _works(path: str) -> bool:
    try:
        return subprocess.run([path, "-c", "import sys"], capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _pyenv_root() -> str | None:
    if os.environ.get("PYENV_ROOT"):
        return os.environ["PYENV_ROOT"]
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def interpreter(version: str) -> str | None:
    """A working ``python<version>``, or None. (pyenv's shims answer only for the selected versions.)"""
    found = shutil.which(f"python{version}")
    if found and _works(found):
        return found
    root = _pyenv_root()
    if root:
        for candidate in sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}"))):
            if _works(candidate):
                return candidate
    return None
