"""The dashboard's message panel: on by default, says why when it cannot be, and stays cheap."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.jupyter import Dashboard
from emergent_lab.jupyter.sequence_panel import PANEL_SHARE


def _texts(board: Dashboard) -> str:
    return " ".join(c.value for c in board.children if isinstance(c, w.HTML))


def test_a_fresh_dashboard_records_causes_and_shows_the_panel_with_why() -> None:
    board = Dashboard.from_scenario("leader-crash")
    try:
        assert board.source.cluster.causality is not None  # type: ignore[attr-defined]
        assert board.sequence is not None
        assert board.sequence.widget in board.children
        board.select("n7")
        board.advance(36.0)
        view = board.sequence.view
        assert view.why.label == "why? (n7)"
        assert view.why_text.text.startswith("n7 follows ")
        assert view.status.text.startswith("t = 36.0 s")
    finally:
        board.close()


def test_messages_false_records_nothing_and_shows_no_panel() -> None:
    board = Dashboard.from_scenario("leader-crash", messages=False)
    try:
        assert board.source.cluster.causality is None  # type: ignore[attr-defined]
        assert board.sequence is None
        assert "causality=True" not in _texts(board)
    finally:
        board.close()


def test_a_top_k_scenario_opens_without_the_panel_and_says_why(tmp_path: Path) -> None:
    """A top-k view records no causes: the dashboard opens on it and says so, not an error."""
    path = tmp_path / "topk.toml"
    path.write_text('[cluster]\nnodes = 12\nview = "topk"\n[run]\nuntil = 20\n')
    board = Dashboard.from_scenario(path)
    try:
        assert board.source.cluster.causality is None  # type: ignore[attr-defined]
        assert board.sequence is None
        assert "top-k view records no causes" in _texts(board)
        board.advance(5.0)
    finally:
        board.close()


def test_a_cluster_without_causes_says_how_to_get_the_panel() -> None:
    board = Dashboard(SimCluster(ClusterConfig.create(5, seed=1)))
    try:
        assert board.sequence is None
        assert "ClusterConfig.create(..., causality=True)" in _texts(board)
    finally:
        board.close()


def test_while_playing_a_costly_panel_is_redrawn_less_often() -> None:
    board = Dashboard.from_scenario("leader-crash")
    try:
        panel = board.sequence
        assert panel is not None
        cluster = board.source.cluster  # type: ignore[attr-defined]
        cluster.run_for(2.0)
        panel.follow(cluster, cluster.time, None, playing=False)
        first, drawn = cluster.time, panel._drawn
        # A redraw that cost 0.5 s holds the next one back 0.5 / PANEL_SHARE seconds.
        panel._cost = 0.5
        panel._drawn = drawn - 0.5 / PANEL_SHARE + 1.0  # 1 s short of that
        cluster.run_for(1.0)
        panel.follow(cluster, cluster.time, None, playing=True)
        assert panel._shown[0] == first, "redrawn before its share allowed"
        panel._drawn -= 2.0
        panel.follow(cluster, cluster.time, None, playing=True)
        assert panel._shown[0] == cluster.time
    finally:
        board.close()
