"""Hostile files: each becomes one clear, located problem, quickly, without executing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.authoring.lint import validate
from compliance.errors import InputError
from compliance.source import load_document, parse_bytes

PACK = b"kind: pack\nid: x\n"


def problem(raw: bytes) -> tuple[int, int, str, str]:
    with pytest.raises(InputError) as info:
        parse_bytes(raw, "f.yaml")
    (p,) = info.value.problems
    return p.location.line, p.location.col, p.code, p.message


def test_billion_laughs_is_refused_fast() -> None:
    doc = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        doc += f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    line, _col, code, message = problem(doc.encode())
    assert (line, code) == (1, "too-large") and "billion laughs" in message


def test_a_reused_citation_alias_is_fine() -> None:
    raw = b"c: &cite {cite: 15 CFR 744.11}\nrules: [{citations: [*cite]}, {citations: [*cite]}]\n"
    assert parse_bytes(raw, "f.yaml").data == {
        "c": {"cite": "15 CFR 744.11"},
        "rules": [{"citations": [{"cite": "15 CFR 744.11"}]}, {"citations": [{"cite": "15 CFR 744.11"}]}],
    }


def test_recursive_alias() -> None:
    assert problem(b"a: &x [1, *x]\n")[2:] == (
        "too-large",
        "document refused: an alias refers to a node that contains it (recursive alias)",
    )


@pytest.mark.parametrize(
    "raw", [b"[" * 100_000 + b"]" * 100_000, b"".join(b"  " * i + b"a:\n" for i in range(2000)) + b"  " * 2000 + b"1\n"]
)
def test_deep_nesting_no_recursion_error(raw: bytes) -> None:
    _line, _col, code, message = problem(raw)
    assert code == "too-large" and "nesting deeper than 64" in message


def test_huge_file_is_refused_before_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.seek(64 * 1024 * 1024)  # sparse: 64 MiB on paper, nothing on disk
        f.write(b"\n")
    with pytest.raises(InputError) as info:
        load_document(path)
    assert [p.code for p in info.value.problems] == ["too-large"]


def test_invalid_utf8_is_located() -> None:
    line, col, code, _ = problem("kind: rules\ntitle: caf\xe9\n".encode("latin-1"))
    assert (line, col, code) == (2, 11, "encoding")


def test_utf16_is_named() -> None:
    assert problem("kind: pack\n".encode("utf-16"))[2:] == ("encoding", "file is UTF-16 text; expected UTF-8")


def test_binary_data() -> None:
    assert problem(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")[:3] == (1, 1, "binary")


def test_control_character_is_located() -> None:
    assert problem(b"kind: pack\ntitle: a\x07b\n")[:3] == (2, 9, "encoding")


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    raw = f"kind: pack\ntitle: !!python/object/apply:os.system ['touch {marker}']\n".encode()
    assert problem(raw)[2] == "yaml-tag"
    assert not marker.exists()


def test_validate_survives_a_directory_of_hostile_files(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_bytes(PACK)
    (tmp_path / "a.yaml").write_bytes(b"\x00\x01\x02")
    (tmp_path / "b.yaml").write_bytes(b"[" * 10_000)
    (tmp_path / "c.yaml").write_bytes(b"\xff\xfe\x00\x00")
    (tmp_path / "d.yaml").write_bytes(b"a: &a [*a]\n")
    report = validate([tmp_path])
    codes = {(Path(p.location.file).name, p.code) for p in report.problems}
    assert {("a.yaml", "binary"), ("b.yaml", "too-large"), ("c.yaml", "encoding"), ("d.yaml", "too-large")} <= codes
