#!/usr/bin/env python3
"""Regenerate docs/case-file.png: the HTML case file of two bundled examples, rendered by headless Chromium.

    python scripts/case_file_screenshot.py [--chromium /usr/bin/chromium] [--out docs/case-file.png]

The page is exactly what `compliance check examples/h20-to-china.yaml examples/unclassified-item.yaml --format
html` prints. Needs Debian's `chromium` (`.ci/run` installs it when absent); runs it with --headless
--no-sandbox --disable-gpu and a throwaway profile.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("examples/h20-to-china.yaml", "examples/unclassified-item.yaml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", default=str(ROOT / "docs" / "case-file.png"))
    parser.add_argument("--size", default="1000,1700", help="window WIDTH,HEIGHT in CSS pixels")
    args = parser.parse_args()
    page = subprocess.run(
        [sys.executable, "-m", "cli", "check", "--format", "html", *EXAMPLES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if page.returncode not in (0, 1, 3) or not page.stdout.startswith("<!DOCTYPE html>"):
        print(page.stderr, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "case-file.html"
        html.write_text(page.stdout, encoding="utf-8")
        shot = Path(tmp) / "shot.png"
        subprocess.run(
            [
                args.chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={Path(tmp) / 'profile'}",
                f"--window-size={args.size}",
                f"--screenshot={shot}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        Path(args.out).write_bytes(shot.read_bytes())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
