"""CLI conventions: -h, --version, --quiet on every command, NO_COLOR, the bundled packs (never a stray ./rules),
`validate --format github`, SARIF locations, and the durable-rules fallback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import cli
from cli import main
from compliance import __version__
from compliance.authoring.github import github_annotations
from compliance.errors import Location, Problem
from compliance.packs.bundled import bundled_rules_dir, is_bundled
from tests.conftest import EXAMPLES, ROOT, RULES

FIX = ROOT / "tests" / "fixtures"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out: list[tuple[tuple[str, ...], click.Command]] = []
    for name, command in sorted(group.commands.items()):
        out.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            out += _commands(command, (*prefix, name))
    return out


def test_every_command_has_short_help_and_quiet() -> None:
    commands = _commands(main)
    assert len(commands) >= 10
    for path, command in [((), main), *commands]:
        code, out, _err = run(*path, "-h")
        assert code == 0 and "Usage:" in out, path
        assert any("--quiet" in p.opts for p in command.params), f"{' '.join(path)} has no --quiet"


def test_version_names_engine_core_and_packs() -> None:
    code, out, _err = run("--version")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(f"compliance {__version__} (Python 3.")
    assert lines[1].startswith("matching core: durable-rules 2.0.28")
    assert lines[2].startswith("rule packs: bundled, ")
    assert [line.split()[0] for line in lines[3:]] == [
        "catalog",
        "cn-mofcom",
        "cn-mofcom-origin",
        "us-ear",
        "us-ear-fdp",
    ]


def test_the_packs_found_are_this_checkouts_rules() -> None:
    assert bundled_rules_dir() == RULES.resolve()
    assert is_bundled(RULES) and not is_bundled(FIX / "packs" / "shadowed-rule")


def test_a_stray_rules_folder_does_not_change_decisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ./rules here allows everything: were it picked up, the H20 example would not be denied.
    (tmp_path / "rules" / "x").mkdir(parents=True)
    shutil.copy(FIX / "packs" / "shadowed-rule" / "pack.yaml", tmp_path / "rules" / "x" / "pack.yaml")
    shutil.copy(EXAMPLES / "h20-to-china.yaml", tmp_path / "tx.yaml")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", "tx.yaml")
    assert code == 1 and "DENY" in out
    assert "note: ./rules is not used: the bundled packs are" in err
    code, _out, err = run("check", "--quiet", "tx.yaml")
    assert code == 1 and err == ""
    code, out, _err = run("packs", "--format", "json")
    origin = json.loads(out)["origin"]
    assert code == 0 and origin["bundled"] is True and Path(origin["roots"][0]).resolve() == RULES.resolve()
    code, out, _err = run("packs", "--rules", str(RULES))
    assert out.splitlines()[0] == f"rule packs (--rules): {RULES}"


def test_a_copy_of_the_bundled_packs_needs_no_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(RULES, tmp_path / "rules")
    monkeypatch.chdir(tmp_path)
    code, _out, err = run("check", str(EXAMPLES / "h20-to-china.yaml"))
    assert code == 1 and err == ""
    (tmp_path / "rules" / "us-ear" / "pack.yaml").write_text("kind: pack\n")
    assert "note: ./rules is not used" in run("check", str(EXAMPLES / "h20-to-china.yaml"))[2]


def test_no_color_and_non_terminals_get_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli._colour(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._colour(Terminal())
    monkeypatch.delenv("NO_COLOR")
    assert not cli._colour(sys.stderr if not sys.stderr.isatty() else object())
    problem = Problem(Location("f.yaml", 2, 3), "unknown-key", "x")
    monkeypatch.setattr(cli.sys, "stderr", Terminal())
    assert "\x1b[" in cli._problem_line(problem)
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._problem_line(problem) == problem.render()


def test_validate_github_annotations() -> None:
    code, out, _err = run("validate", "--format", "github", str(FIX / "packs" / "unknown-key"))
    assert code == 4
    first = out.splitlines()[0]
    assert first.startswith("::error file=tests/fixtures/packs/unknown-key/")
    assert ",line=" in first and ",col=" in first and ",title=unknown-key::" in first
    warning = Problem(Location("a,b:c.yaml", 1, 1), "shadowed-rule", "50% shadowed\nsee", level="warning")
    assert (
        github_annotations([warning])
        == "::warning file=a%2Cb%3Ac.yaml,line=1,col=1,title=shadowed-rule::50%25 shadowed%0Asee\n"
    )
    assert github_annotations([warning], strict=True).startswith("::error ")
    assert run("validate", "--format", "github", "--strict", str(RULES)) == (0, "", "")


def test_sarif_uris_are_relative_with_a_base_and_rules_have_help() -> None:
    code, out, _err = run("validate", "--format", "sarif", str(FIX / "packs" / "unknown-key"))
    log = json.loads(out)
    run_ = log["runs"][0]
    location = run_["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert code == 4 and location["uriBaseId"] == "%SRCROOT%"
    assert location["uri"].startswith("tests/fixtures/packs/unknown-key/")
    for rule in run_["tool"]["driver"]["rules"]:
        assert rule["helpUri"] == "docs/ci.md#problem-codes"


def test_sarif_outside_the_working_directory_is_an_absolute_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = FIX / "packs" / "unknown-key"
    monkeypatch.chdir(tmp_path)
    log = json.loads(run("validate", "--format", "sarif", str(pack))[1])
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"].startswith("file:///") and "uriBaseId" not in location


def test_without_durable_rules_the_reference_matcher_decides_and_says_so_once(tmp_path: Path) -> None:
    """A durable-rules build that cannot load (Python 3.13 and a wheel built without the define): one warning."""
    (tmp_path / "durable_rules_engine.py").write_text(
        'raise ImportError("durable_rules_engine.so: undefined symbol: PyEval_CallObject")\n'
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    args = [sys.executable, "-c", "from cli import main; main()"]
    done = subprocess.run(
        [*args, "check", str(EXAMPLES / "h20-to-china.yaml"), str(EXAMPLES / "h100-to-germany.yaml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 1 and "DENY" in done.stdout
    assert done.stderr.count("DurableUnavailable") == 1
    assert "undefined symbol: PyEval_CallObject" in done.stderr and "using the reference matcher" in done.stderr
    version = subprocess.run([*args, "--version"], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert "matching core: reference matcher (durable-rules cannot be loaded: ImportError" in version.stdout
