"""Import arrows run one way (STYLE.md section 2), and no module imports itself back through others.

From the bottom: errors -> codes, citations -> source -> models -> intake -> screening -> packs (loading)
-> evaluate -> audit, authoring (pack tooling) -> io -> optional extras (server, spark) -> the public API
(``compliance/__init__.py``) -> cli.py. A module may import what sits below it, or beside it in its own
folder; never above.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PKG = ROOT / "compliance"

# (module prefix, layer); the longest matching prefix decides.
LAYERS: tuple[tuple[str, int], ...] = (
    ("compliance._version", 0),
    ("compliance.errors", 0),
    ("compliance.codes", 1),
    ("compliance.citations", 1),
    ("compliance.source", 2),
    ("compliance.models", 3),
    ("compliance.intake", 4),
    ("compliance.screening", 5),
    ("compliance.packs", 6),
    ("compliance.evaluate", 7),
    ("compliance.audit", 8),
    ("compliance.authoring", 8),
    ("compliance.ledger", 8),
    ("compliance.io", 9),
    ("compliance.server", 10),
    ("compliance.spark", 10),
    ("compliance", 11),
)


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            # `from compliance.authoring import cases` imports the module `compliance.authoring.cases`
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _module_files() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p for p in PKG.rglob("*.py")}


MODULES = _module_files()


def _internal(path: Path) -> set[str]:
    return {m for m in _imports(path) if m in MODULES}


def _layer(module: str) -> tuple[int, str]:
    for prefix, layer in sorted(LAYERS, key=lambda x: -len(x[0])):
        if module == prefix or module.startswith(prefix + "."):
            return layer, prefix
    raise AssertionError(f"{module} has no layer; add it to LAYERS")


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        _layer(name)


def test_imports_run_down_the_layers() -> None:
    bad = []
    for name, path in MODULES.items():
        layer, folder = _layer(name)
        for imported in _internal(path):
            other, other_folder = _layer(imported)
            if other > layer or (other == layer and other_folder != folder):
                bad.append(f"{name} (layer {layer}) imports {imported} (layer {other})")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycles() -> None:
    graph = {name: _internal(path) - {name} for name, path in MODULES.items()}
    # A package's __init__ may re-export its own modules: that is an arrow down, not back up.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_nothing_imports_the_cli() -> None:
    for name, path in MODULES.items():
        assert "cli" not in _imports(path), name


def test_only_the_durable_matcher_touches_durable_rules() -> None:
    for name, path in MODULES.items():
        touches = {m for m in _imports(path) if m.split(".")[0] in ("durable", "durable_rules_engine")}
        if name != "compliance.evaluate.match.durable":
            assert not touches, name


def test_the_hot_path_does_no_io_or_clock() -> None:
    banned = {"os", "time", "random", "pathlib", "subprocess", "socket", "logging", "datetime.datetime"}
    hot = [n for n in MODULES if n.startswith(("compliance.evaluate", "compliance.screening"))]
    hot += ["compliance.packs.catalog", "compliance.packs.packset"]
    for mod in hot:
        if mod == "compliance.evaluate.engine":
            continue  # builds engines from directories (load_packs), above the pure steps
        assert not ({m.split(".")[0] for m in _imports(MODULES[mod])} & banned), mod
