"""Large YAML documents are composed by libyaml when it is installed; what comes out must not depend on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance import InputError, source
from compliance.source import parse_text
from tests.conftest import ROOT

LARGE = [p for p in sorted((ROOT / "rules").rglob("*.yaml")) if p.stat().st_size >= source._FAST_FROM]


def _both(text: str, name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    def parse() -> object:
        try:
            doc = parse_text(text, name)
        except InputError as err:
            return [(p.location, p.code, p.message) for p in err.problems]
        return (doc.data, doc.spans, doc.key_spans)

    fast = parse()
    with monkeypatch.context() as m:
        m.setattr(source, "_FAST_FROM", 10**12)
        slow = parse()
    return fast, slow


def test_the_bundled_large_files_take_the_fast_path() -> None:
    assert LARGE and source._CLoader is not None  # libyaml ships in PyYAML's wheels


@pytest.mark.parametrize("path", LARGE, ids=lambda p: p.name)
def test_same_data_and_positions_either_way(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(path.read_text(), str(path), monkeypatch)
    assert fast == slow


@pytest.mark.parametrize(
    "tail",
    [
        "x: [1, 2\n",  # unclosed flow sequence: a syntax error
        "x: a\x07b\n",  # a control character PyYAML refuses
        "x: !!python/object:os.system ls\n",  # a tag
        "x: 1\nx: 2\n",  # a duplicate key
        "deep: " + "[" * 200 + "]" * 200 + "\n",  # nesting past the limit, within the pre-scan bound
        "deeper: " + "[" * 5000 + "]" * 5000 + "\n",  # past the pre-scan bound: never handed to libyaml
    ],
)
def test_errors_are_the_same_either_way(tail: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "filler:\n" + "".join(f"  - item number {i}\n" for i in range(2000)) + tail
    assert len(text) >= source._FAST_FROM
    fast, slow = _both(text, "big.yaml", monkeypatch)
    assert fast == slow and isinstance(fast, list)
