"""What a user gets from `pip install`: a wheel that carries its packs, on every supported Python.

The fast tests check that the packs are self-contained (their test cases refer only to files inside the pack)
and that the wheel's package data covers every file under rules/. The slow ones build the wheel, install it in
a fresh virtual environment (durable-rules compiled as the README's install line compiles it), leave the
checkout, and check an example (deny, exit 1), with durable-rules as the matching core; and show that a type
checker sees precise types after a wheel install and after the documented editable install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT, RULES
from tests.interpreters import SUPPORTED, interpreter

# The README's install line compiles durable-rules with this define (the C API removed the name in 3.13).
CPPFLAGS = "-DPyEval_CallObject=PyObject_CallObject"
DATA_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


def test_pack_cases_refer_only_to_files_inside_their_pack() -> None:
    refs = 0
    for case_file in RULES.glob("*/tests/*.yaml"):
        pack_dir = case_file.parent.parent.resolve()
        doc = yaml.safe_load(case_file.read_text())
        for case in doc.get("cases", []):
            if "file" in case:
                refs += 1
                target = (case_file.parent / case["file"]).resolve()
                assert target.is_file(), (case_file, case["file"])
                assert pack_dir in target.parents, f"{case_file}: {case['file']} is outside the pack"
    assert refs > 0


def test_the_wheel_carries_every_file_under_rules() -> None:
    for path in RULES.rglob("*"):
        if path.is_file():
            assert path.suffix in DATA_SUFFIXES, f"{path} would be left out of the wheel (setup.py package_data)"


def _source_copy(dest: Path) -> Path:
    """The checkout without build output or environments (a stale build/ could hide a missing file)."""
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "bench")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900)


def _venv(python: str, where: Path) -> Path:
    done = _run([python, "-m", "venv", str(where)], cwd=where.parent)
    assert done.returncode == 0, done.stderr
    return where / "bin"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["CPPFLAGS"] = CPPFLAGS
    return env


@pytest.mark.slow
@pytest.mark.parametrize("version", SUPPORTED)
def test_wheel_install_checks_an_example_from_elsewhere(tmp_path: Path, version: str) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    src = _source_copy(tmp_path / "src")
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)], cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("compliance_engine-*.whl")
    bin_dir = _venv(python, tmp_path / "venv")
    # --no-cache-dir: a durable-rules wheel cached from a build without the define must not be reused.
    installed = _run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-cache-dir", f"{wheel}[server]"],
        cwd=tmp_path,
        env=_env(),
    )
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(EXAMPLES / "h20-to-china.yaml", elsewhere / "tx.yaml")
    env = {k: v for k, v in _env().items() if k != "CPPFLAGS"}
    checked = _run([str(bin_dir / "compliance"), "check", "tx.yaml"], cwd=elsewhere, env=env)
    assert checked.returncode == 1, checked.stderr
    assert checked.stdout.startswith("tx.yaml: DENY  transaction SO-2025-0412")
    assert checked.stderr == ""  # no fallback warning: durable-rules loaded
    version_out = _run([str(bin_dir / "compliance"), "--version"], cwd=elsewhere, env=env).stdout
    assert f"(Python {version}." in version_out and "matching core: durable-rules 2.0.28" in version_out
    assert "site-packages/compliance/bundled_rules" in version_out
    # The bundled packs are self-contained: their own cases run from the installed copy.
    tested = _run([str(bin_dir / "compliance"), "test", "--min-coverage", "100"], cwd=elsewhere, env=env)
    assert tested.returncode == 0, tested.stdout[-2000:] + tested.stderr
    served = _run(
        [str(bin_dir / "python"), "-c", "import compliance.server, uvicorn, starlette"], cwd=elsewhere, env=env
    )
    assert served.returncode == 0, served.stderr
    # The library, as an ERP script embeds it, finds the same bundled packs from any folder.
    embedded = _run([str(bin_dir / "python"), "-c", _EMBEDDED, str(elsewhere / "tx.yaml")], cwd=elsewhere, env=env)
    assert embedded.stdout.split() == ["deny", "us-ear.ac.h20-mi308-license"], embedded.stderr
    _assert_precise_types(bin_dir / "python", elsewhere)


_EMBEDDED = """
import sys
from compliance import Engine, load_transaction
with Engine.from_directory() as engine:
    decision = engine.evaluate(load_transaction(sys.argv[1]))
print(decision.decision, *sorted({f.rule_id for f in decision.findings}))
"""


@pytest.mark.slow
def test_compat_editable_install_is_visible_to_type_checkers(tmp_path: Path) -> None:
    src = _source_copy(tmp_path / "src")
    bin_dir = _venv(sys.executable, tmp_path / "venv")
    installed = _run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--config-settings",
            "editable_mode=compat",
            "-e",
            str(src),
        ],
        cwd=tmp_path,
        env=_env(),
    )
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(EXAMPLES / "h20-to-china.yaml", elsewhere / "tx.yaml")
    checked = _run([str(bin_dir / "compliance"), "check", "tx.yaml"], cwd=elsewhere, env=_env())
    assert checked.returncode == 1 and "DENY" in checked.stdout, checked.stderr
    _assert_precise_types(bin_dir / "python", elsewhere)


def _assert_precise_types(python: Path, where: Path) -> None:
    """mypy --strict (this environment's) on a user's script against the installed package: real types, not Any."""
    script = where / "user.py"
    script.write_text(
        "from compliance import Engine\n"
        "engine = Engine.from_directory('rules')\n"
        "reveal_type(engine.evaluate)\n"
        "wrong: int = engine.evaluate({})\n"
    )
    done = _run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(python), str(script)],
        cwd=where,
    )
    assert 'Revealed type is "def (tx:' in done.stdout, done.stdout
    assert 'Incompatible types in assignment (expression has type "Decision"' in done.stdout, done.stdout
