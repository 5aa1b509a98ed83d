"""Running a benchmark's measurement on an earlier commit too, side by side in one invocation.

Timings on this shared machine vary with its load, so a speed-up is only
meaningful as a ratio of runs made in the same invocation. ``tree(rev)``
checks the earlier commit out once as a detached ``git worktree`` (in the
system's temporary directory, reused by later runs), and ``python_env(tree)``
puts it first on ``PYTHONPATH``, so a measurement run in a fresh process
imports that commit's ``emergent_lab`` while using this benchmark's code.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BEFORE = "83cb514"
"""The exact engine before it was compiled (issue 16): numpy merge, detector and leader rule."""


def tree(rev: str) -> Path:
    """A checkout of ``rev`` (a commit of this repository), made on first use."""
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"emergent-lab-{commit[:12]}"
    if not (path / "emergent_lab" / "__init__.py").exists():
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), commit],
            check=True,
            capture_output=True,
        )
    return path


def python_env(checkout: Path | None) -> dict[str, str]:
    """The environment of a measurement process: ``checkout``'s package first (None: this tree's).

    This tree is named too, so the benchmark measures the checkout it lives
    in even if the virtualenv's editable install points at another one.
    """
    env = dict(os.environ)
    first = str(checkout if checkout is not None else REPO)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [first, env.get("PYTHONPATH")]))
    return env


def run_json(script: str, arguments: list[str], checkout: Path | None) -> Any:
    """Run ``script`` with ``arguments`` in a fresh process on ``checkout``; its stdout, as JSON."""
    out = subprocess.run(
        [sys.executable, script, *arguments],
        check=True,
        capture_output=True,
        text=True,
        env=python_env(checkout),
    ).stdout
    return json.loads(out)


def fresh_row(script: str, n: int, checkout: Path | None) -> dict[str, Any]:
    """The row ``script --one n`` prints, run in a fresh process on ``checkout``.

    A fresh process per measurement keeps one run's caches and heap out of the
    next; ``checkout`` None measures this tree.
    """
    row: dict[str, Any] = run_json(script, ["--one", str(n)], checkout)
    return row


def compared(old: list[dict[str, Any]], now: list[dict[str, Any]]) -> tuple[float, float, str]:
    """Before/now ratios of the median wall and CPU times, and whether every run had one digest."""

    def median(rows: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(float(r[key]) for r in rows))

    wall = median(old, "wall_s") / median(now, "wall_s")
    cpu = median(old, "cpu_s") / median(now, "cpu_s")
    same = len({r["digest"] for r in old + now}) == 1
    return wall, cpu, "same events" if same else "EVENT LOGS DIFFER"


def load() -> str:
    """The 1, 5 and 15-minute load averages, for the record of a timing."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def warm(checkout: Path | None) -> None:
    """Run a tiny exact cluster on ``checkout`` so numba's on-disk caches exist before timing.

    A fresh checkout compiles its kernels on first use (seconds); that is a
    one-time cost of the checkout, not of the engine, so no timed run pays it.
    """
    code = (
        "from emergent_lab import ClusterConfig, SimCluster\n"
        "c = SimCluster(ClusterConfig.create(5, seed=1))\n"
        "c.at(1.0, 'crash', node='leader')\n"
        "c.run(3.0)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, env=python_env(checkout)
    )
