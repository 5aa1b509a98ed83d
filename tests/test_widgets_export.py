"""The standalone HTML export of a recorded run, from the dashboard and from the CLI."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("bokeh")

from emergent_lab.cli import main
from emergent_lab.exact import SimCluster
from emergent_lab.run.config import ClusterConfig


def embedded_docs(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="[^"]+">\s*(.*?)\s*</script>', page, re.S
    )
    assert match, "no embedded Bokeh document"
    return json.loads(html.unescape(match.group(1)))


def frame_labels(node: object) -> list[str]:
    """The CustomJS argument ``labels`` wherever it sits in the serialised document."""
    if isinstance(node, dict):
        for key, value in node.get("entries", []):
            if key == "labels":
                return value
        for value in node.values():
            found = frame_labels(value)
            if found:
                return found
    if isinstance(node, list):
        for value in node:
            found = frame_labels(value)
            if found:
                return found
    return []


def test_dashboard_save_html_is_standalone_with_a_time_slider(tmp_path: Path) -> None:
    pytest.importorskip("jupyter_bokeh")
    from emergent_lab.jupyter import Dashboard

    cluster = SimCluster(ClusterConfig.create(8, seed=2))
    board = Dashboard(cluster)
    try:
        for _ in range(30):
            board.advance(0.5)
        leader = cluster.leader()
        assert leader is not None
        board.kill()
        for _ in range(30):
            board.advance(0.5)
        path = board.save_html(tmp_path / "run.html", frames=40)
    finally:
        board.close()
    page = path.read_text()
    assert "cdn.bokeh.org" not in page, "Bokeh JS must be inlined to work offline"
    docs = embedded_docs(page)
    text = json.dumps(docs, ensure_ascii=False)
    assert "drag to replay the run" in text
    assert '"end":39' in text.replace(" ", "")
    final = cluster.leader()
    assert final is not None and final != leader
    # One label per frame: the first frames show no leader, the last the final one.
    found = [re.search(r"leader: (?:<b>)?([^<\s]+)", label) for label in frame_labels(docs)]
    labels = [match.group(1) for match in found if match is not None]
    assert len(labels) == 40
    assert labels[0] == "emerging…"
    assert labels[-1] == final
    assert leader in labels


def test_cli_run_writes_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "crash.html"
    assert main(["run", "leader-crash", "--html", str(target)]) == 0
    assert f"replayable HTML written to {target}" in capsys.readouterr().out
    docs = embedded_docs(target.read_text())
    assert "leader-crash" in json.dumps(docs)


def test_engine_and_cli_do_not_import_bokeh_or_jupyter() -> None:
    code = (
        "import sys, emergent_lab, emergent_lab.cli, emergent_lab.exact, emergent_lab.scenario;"
        "print(sorted(m for m in ('bokeh', 'ipywidgets', 'jupyter_bokeh') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
