"""Kernel-side tests of what a learner trusts: first frame, readout, log, replay and forks.

Reference values come from separate, fresh runs of the same scenario, never
from the dashboard under test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("jupyter_bokeh")

from emergent_lab.jupyter import Dashboard, SimClusterSource
from emergent_lab.scenario import build_cluster, load_scenario


@pytest.fixture
def board() -> Dashboard:
    dash = Dashboard.from_scenario("leader-crash")
    yield dash
    dash.close()


def _lengths(dash: Dashboard) -> dict[str, set[int]]:
    sources = [dash.views.nodes, dash.views.birds, dash.views.edges, *_plot_sources(dash)]
    return {s.name: {len(v) for v in s.data.values()} for s in sources}


def _plot_sources(dash: Dashboard) -> list:
    p = dash.views.plots
    return [p.series, p.tail, p.marks, p.strips, p.phi, p.traffic]


def test_the_first_frame_is_complete_before_anything_is_pressed(board: Dashboard) -> None:
    nodes = board.views.nodes.data
    assert list(nodes["id"]) == [f"n{i}" for i in range(20)]
    assert len(board.views.birds.data["x"]) == 20
    # The bundle a browser builds its view from holds those nodes, not an empty document.
    bundle = board.figures.get_state("render_bundle")["render_bundle"]
    assert '"n19"' in bundle
    assert all(len(lengths) == 1 for lengths in _lengths(board).values())


def test_columns_always_have_one_length(board: Dashboard) -> None:
    for action in (
        lambda: board.advance(12.0),
        board.step,
        lambda: board.partition("half"),
        lambda: board.advance(20.0),
        board.heal,
        board.kill,
        lambda: board.advance(3.0),
    ):
        action()
        for name, lengths in _lengths(board).items():
            assert len(lengths) == 1, f"{name}: columns of lengths {lengths}"


def test_joining_nodes_are_not_drawn_as_suspected(board: Dashboard) -> None:
    assert "triangle" not in list(board.views.nodes.data["marker"])
    assert "joining" in board.views.nodes.data["state"][0]


def test_split_in_half_reads_split_with_both_leaders_named(board: Dashboard) -> None:
    board.advance(20.0)
    board.partition("half")
    board.advance(25.0)
    cluster = board.source.cluster
    acting = sorted(cluster.acting_leaders())
    assert len(acting) == 2
    assert "split: 2 leaders" in board.controls.leader.value
    text = re.sub("<[^>]+>", "", board.controls.leader.value)
    assert all(leader in text for leader in acting)
    log = board.controls.log.value
    assert "split: 2 leaders" in log and all(leader in log for leader in acting)


def test_the_log_tells_the_failover_chain(board: Dashboard) -> None:
    board.advance(29.0)
    first = board.source.leader()
    assert first is not None
    board.advance(11.0)  # the scenario crashes the leader at 30 s
    entries = [e.text for e in board.renderer.narrator.entries]
    assert any(text.startswith("crash") and f"({first})" in text for text in entries), entries
    assert any(f"{first} suspected by" in text for text in entries), entries
    second = board.source.leader()
    assert second is not None and second != first
    assert any(f"{second} recognised by all" in text for text in entries), entries


def test_pause_echo_from_the_browser_is_not_a_drag(board: Dashboard) -> None:
    board.advance(13.37)
    board.pause()
    # The browser sends back the slider value rounded to its 0.1 step.
    board.controls.replay.value = round(board.source.time, 1)
    assert board.replay_time is None
    assert "t = 13.4 s" in board.controls.time.value


def test_replay_shows_the_inspector_as_it_was(board: Dashboard) -> None:
    board.select("n5")
    board.advance(45.0)
    board.replay(12.0)
    reference = SimClusterSource(build_cluster(load_scenario("leader-crash")))
    reference.advance(12.0)
    expected = sorted(reference.peers("n5"), key=lambda p: -p.phi)[:5]
    inspector = board.controls.inspector.value
    assert "as at 12.0 s" in inspector
    for peer in expected:
        row = f"<td>{peer.peer}</td><td>{peer.generation}</td><td>{peer.heartbeat}</td>"
        assert row in inspector
    assert board.controls.step.disabled and board.controls.kill.disabled
    with pytest.raises(ValueError, match="replaying"):
        board.step()
    # Gossip lines are drawn as they were, too.
    assert len(board.views.edges.data["x0"]) > 0


def test_continue_from_here_is_the_run_a_fresh_cluster_gives(board: Dashboard) -> None:
    board.advance(20.0)
    killed = board.kill()
    board.advance(10.0)
    board.controls.fork.disabled = False
    board.replay(25.0)
    board.continue_from_here()
    assert board.replay_time is None
    assert board.source.time == pytest.approx(25.0)
    board.advance(15.0)

    fresh = build_cluster(load_scenario("leader-crash"))
    fresh.run(20.0)
    fresh.crash(killed)
    fresh.run(40.0)
    assert board.source.cluster.observer.log.hexdigest() == fresh.observer.log.hexdigest()


def _column(board: Dashboard, name: str) -> dict[str, str]:
    data = board.views.nodes.data
    return dict(zip(data["id"], data[name], strict=True))


def test_colours_stay_with_a_flock_over_a_failover(board: Dashboard) -> None:
    board.advance(29.0)
    before = _column(board, "colour")
    follows_before = _column(board, "follows")
    board.advance(1.5)
    after = _column(board, "colour")
    follows_after = _column(board, "follows")
    kept = [
        n
        for n in before
        if follows_before[n] == follows_after[n]
        and follows_after[n] != "-"
        and board.source.cluster.node(n).running
    ]
    assert kept, "someone should still follow the same leader just after the crash"
    assert all(before[n] == after[n] for n in kept)


def test_time_axis_moves_with_a_window(board: Dashboard) -> None:
    x_range = board.views.plots.x_range
    assert (x_range.start, x_range.end) == (0.0, 60.0)
    board.advance(100.0)
    assert x_range.start == pytest.approx(40.0) and x_range.end == pytest.approx(100.0)
    board.replay(50.0)
    assert (x_range.start, x_range.end) == (0.0, pytest.approx(100.0))


def test_a_run_advanced_in_one_call_shows_its_traffic_second_by_second(board: Dashboard) -> None:
    board.advance(30.0)
    traffic = board.views.plots.traffic.data
    assert list(traffic["t"]) == [float(s) for s in range(1, 31)]
    # A separate run of the scenario, read second by second by hand.
    reference = build_cluster(load_scenario("leader-crash"))
    sent = [0]
    for second in range(1, 31):
        reference.run(float(second))
        sent.append(reference.network.messages_sent)
    assert list(traffic["messages"]) == np.diff(sent).astype(float).tolist()
    assert board.source.traffic()[-1].messages == sent[-1]
    # Stopping at each whole second ran exactly the events of one run to 30 s.
    whole = build_cluster(load_scenario("leader-crash"))
    whole.run(30.0)
    assert board.source.cluster.log.hexdigest() == whole.log.hexdigest()


def test_stepping_round_by_round_draws_the_traffic_too(board: Dashboard) -> None:
    for _ in range(5):
        board.step()
    assert list(board.views.plots.traffic.data["t"]) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_dashboard_advanced_before_display_shows_its_message_panel_at_now(
    board: Dashboard,
) -> None:
    board.advance(40.0)
    board._repr_mimebundle_()  # what displaying the cell does
    assert board.sequence is not None
    # The bundle a browser builds the panel from (the trait itself, sent to the front end).
    bundle = board.sequence.model.render_bundle
    assert "t = 40.0 s" in str(bundle) and "t = 0.0 s" not in str(bundle)


def test_traffic_is_averaged_over_a_virtual_second(board: Dashboard) -> None:
    for _ in range(50):
        board.advance(0.2)
    t = np.asarray(board.views.traffic.data["t"])
    assert len(t) >= 8
    assert np.all(np.diff(t) >= 1.0 - 1e-9)
