"""The README and docs show real output: every `$ compliance ...` run they print is run again and compared.

A session in a ``text``/``console`` block is one command (``$ compliance ...``), the output printed after it
(stderr and stdout together, as a terminal shows them), and optionally ``$ echo $?`` with the exit code. A
session is checked when it can run here as printed: offline, from the repository root, on files the
repository holds. Sessions that cannot (a server, a file the reader writes, a comment saying the output is
shortened) are listed by ``_unchecked`` so that a new one is a deliberate choice, not a silent skip.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```(?:text|console)\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Session:
    where: str  # file:line of the command
    command: str
    output: str
    exit_code: int | None


def _sessions() -> list[Session]:
    found: list[Session] = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for block in _BLOCK.finditer(text):
            first_line = text.count("\n", 0, block.start(1)) + 1
            lines = block.group(1).splitlines()
            starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
            for n, start in enumerate(starts):
                command = lines[start][2:]
                if not command.startswith("compliance "):
                    continue
                end = starts[n + 1] if n + 1 < len(starts) else len(lines)
                output = lines[start + 1 : end]
                exit_code = None
                if end < len(lines) and lines[end] == "$ echo $?":
                    exit_code = int(lines[end + 1])
                where = f"{document.relative_to(ROOT)}:{first_line + start}"
                found.append(Session(where, command, "\n".join(output) + "\n", exit_code))
    return found


def _unchecked(session: Session) -> str | None:
    """Why a session cannot be re-run here, or None."""
    if "#" in session.command:
        return "the command carries a comment (shortened or illustrative)"
    args = shlex.split(session.command)[1:]
    if args[0] == "serve":
        return "starts a server (tests/server covers it)"
    for arg in args[1:]:
        a_path = not arg.startswith("-") and ("/" in arg or arg.endswith((".yaml", ".jsonl", ".json", ".csv")))
        if a_path and not (ROOT / arg).exists():
            return f"names {arg}, which the reader writes"
    return None


SESSIONS = _sessions()
CHECKED = [s for s in SESSIONS if _unchecked(s) is None]


def test_the_documents_print_sessions_that_are_checked() -> None:
    # A regex that stops matching would make the test below vacuous.
    assert len(CHECKED) >= 5, [s.where for s in SESSIONS]


@pytest.mark.parametrize("session", CHECKED, ids=[s.where for s in CHECKED])
def test_a_printed_session_is_what_the_command_prints(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(main, shlex.split(session.command)[1:])
    assert result.output == session.output, f"{session.where}: the printed output is out of date"
    if session.exit_code is not None:
        assert result.exit_code == session.exit_code, f"{session.where}: exit code"
