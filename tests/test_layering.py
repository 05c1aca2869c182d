"""Import arrows run one way (STYLE.md section 2): cli -> compliance -> engine -> steps -> models -> errors."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PKG = ROOT / "compliance"


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def _module_files() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p for p in PKG.rglob("*.py")}


def test_nothing_imports_the_cli() -> None:
    for name, path in _module_files().items():
        assert "cli" not in _imports(path), name


def test_only_the_durable_matcher_touches_durable_rules() -> None:
    for name, path in _module_files().items():
        touches = {m for m in _imports(path) if m.split(".")[0] in ("durable", "durable_rules_engine")}
        if name != "compliance.evaluate.match.durable":
            assert not touches, name


def test_models_and_errors_do_not_import_the_engine_steps() -> None:
    steps = (
        "compliance.evaluate.engine",
        "compliance.evaluate.enrich",
        "compliance.evaluate.match",
        "compliance.evaluate.resolve",
        "compliance.packs.load",
    )
    for name, path in _module_files().items():
        if name.startswith(("compliance.models", "compliance.errors", "compliance.source")):
            bad = [m for m in _imports(path) if m.startswith(steps)]
            assert not bad, (name, bad)


def test_the_hot_path_does_no_io_or_clock() -> None:
    banned = {"os", "time", "random", "pathlib", "subprocess", "socket", "logging"}
    for mod in (
        "compliance.evaluate.enrich",
        "compliance.evaluate.resolve",
        "compliance.evaluate.match.predicates",
        "compliance.evaluate.match.reference",
        "compliance.evaluate.match.durable",
        "compliance.screening.index",
        "compliance.packs.catalog",
    ):
        assert not (_imports(_module_files()[mod]) & banned), mod
