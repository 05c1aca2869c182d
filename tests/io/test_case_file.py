"""The HTML case file (`check --format html`): self-contained, escaped, printable; rendered by headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from compliance import Engine
from compliance.intake import load_transaction
from compliance.io.html import CaseEntry, render_case_file
from tests.conftest import EXAMPLES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _page(engine: Engine) -> str:
    entries = [
        CaseEntry(str(name), 1, engine.evaluate(load_transaction(EXAMPLES / name)))
        for name in ("h20-to-china.yaml", "unclassified-item.yaml", "huawei-end-user.yaml")
    ]
    entries.append(CaseEntry("broken.yaml", 1, None, ("broken.yaml:3:1: error missing-field `items` is required",)))
    return render_case_file(entries, audit="audit: run sealed in log.jsonl; head 0123abcd")


def test_case_file_is_self_contained_and_names_what_matters(engine: Engine) -> None:
    page = _page(engine)
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    # No scripts, no remote or local assets: only citation links leave the page.
    assert not re.search(r"<script|<link|<img|<iframe|src=|@import|url\(", page, re.IGNORECASE)
    assert "javascript:" not in page
    for text in (
        "Transaction SO-2025-0412",
        "nvidia-h20",
        "US-BIS",
        "Remedy (license)",
        "Licence that would cover it",
        "Remedy (classify)",
        "[secondary source]",
        "https://www.ecfr.gov/on/2025-05-01/title-15/section-744.23#p-744.23(b)",
        "Not decided: broken.yaml, record 1",
        "head 0123abcd",
    ):
        assert text in page, text
    assert "nvidia-h100 [us-ear:3A090.a]" in page  # line headers with control codes, as in text
    for sha in (p.sha256 for p in engine.pack_refs):
        assert sha in page  # pack versions and full hashes
    assert page == _page(engine)  # same decisions, same bytes


def test_everything_is_escaped(engine: Engine) -> None:
    tx = load_transaction(EXAMPLES / "h20-to-china.yaml").model_dump(mode="json", exclude_none=True)
    tx["id"] = '<script>alert("x")</script>'
    page = render_case_file([CaseEntry("<b>src</b>", 1, engine.evaluate(tx))])
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>src</b>" not in page


def test_cli_html_for_many_files() -> None:
    files = [str(EXAMPLES / "h20-to-china.yaml"), str(EXAMPLES / "h100-to-germany.yaml")]
    result = CliRunner().invoke(main, ["check", "--format", "html", *files])
    assert result.exit_code == 1, result.output  # the worst wins, as in every format
    assert result.stdout.startswith("<!DOCTYPE html>") and result.stdout.count("<section") == 2
    assert "2 record(s): 1 deny, 1 allow" in result.stdout


@pytest.mark.slow
def test_chromium_renders_the_case_file(engine: Engine, tmp_path: Path) -> None:
    page = tmp_path / "case-file.html"
    page.write_text(_page(engine), encoding="utf-8")
    shot = tmp_path / "case-file.png"
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    # What the browser parsed: the visible text, with nothing turned into markup.
    text = re.sub(r"<[^>]+>", " ", dom)
    for words in ("Export compliance case file", "Transaction SO-2025-0412", "US-BIS", "nvidia-h20", "CN"):
        assert words in text, words
    assert "Remedy (license)" in text and "Licence that would cover it" in text
    subprocess.run(
        [*common, "--window-size=1000,1400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_an_audited_case_file_names_each_receipt(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    files = [str(EXAMPLES / "h20-to-china.yaml"), str(EXAMPLES / "h100-to-germany.yaml")]
    result = CliRunner().invoke(main, ["check", "--format", "html", "--audit-log", str(log), *files])
    assert result.exit_code == 1, result.output
    receipts = re.findall(r"audit receipt <code>([0-9a-f]{16,})</code>", result.stdout)
    assert len(receipts) == 2 and len(set(receipts)) == 2
    text = log.read_text(encoding="utf-8")
    assert all(r in text for r in receipts)  # each is the hash the next line of the log chains to
    assert re.search(r"audit: run sealed in .*; head [0-9a-f]{16,}", result.stdout)
