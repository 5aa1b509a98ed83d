"""Regenerate ``docs/dashboard.png``, the README's picture, with the browser test's harness.

Runs the Play-and-kill test of ``tests/test_browser_dashboard.py`` (real
JupyterLab, headless Chromium at 1280×800, every request outside 127.0.0.1
blocked) with ``EMERGENT_LAB_SCREENSHOT`` pointing at the picture. ``CI=true`` is set
so that a missing Chromium fails loudly instead of skipping without a picture.

    .venv/bin/python scripts/screenshot.py [PATH]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    """Run the browser test once and report where the picture went."""
    target = Path(argv[0]).resolve() if argv else ROOT / "docs" / "dashboard.png"
    env = {**os.environ, "EMERGENT_LAB_SCREENSHOT": str(target), "CI": "true"}
    test = ROOT / "tests" / "test_browser_dashboard.py"
    command = [sys.executable, "-m", "pytest", "-q", str(test), "-k", "play_then_kill"]
    code = subprocess.call(command, cwd=ROOT, env=env)
    if code == 0:
        print(f"screenshot written to {target}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
