"""Kernel-side tests of the dashboard: controls drive the running cluster, no browser."""

from __future__ import annotations

import asyncio
import json
import math

import pytest

pytest.importorskip("jupyter_bokeh")

from emergent_lab.exact import SimCluster
from emergent_lab.jupyter import ClusterSource, Dashboard, SimClusterSource
from emergent_lab.jupyter.timeplots import PHI_HEADROOM
from emergent_lab.run.config import ClusterConfig
from emergent_lab.run.source import Capabilities


def quiet_cluster(nodes: int = 12, seed: int = 3) -> SimCluster:
    """A cluster with no scheduled events, so only the test perturbs it."""
    return SimCluster(ClusterConfig.create(nodes, seed=seed))


def converge(dash: Dashboard, cluster: SimCluster, limit: float = 60.0) -> str:
    while cluster.leader() is None:
        assert cluster.time < limit, "cluster did not converge"
        dash.advance(0.5)
    leader = cluster.leader()
    assert leader is not None
    return leader


def tap(dash: Dashboard, indices: list[int]) -> None:
    """Deliver a selection the way jupyter_bokeh does when the user taps in the browser."""
    selected = dash.views.nodes.selected
    message = {
        "event": "jsevent",
        "kind": "ModelChanged",
        "model": {"id": selected.id},
        "attr": "indices",
        "new": indices,
    }
    dash.figures._sync_model(dash.figures, message, [])


@pytest.fixture
def cluster() -> SimCluster:
    return quiet_cluster()


def test_from_scenario_draws_every_node() -> None:
    board = Dashboard.from_scenario("leader-crash")
    try:
        assert list(board.views.nodes.data["id"]) == [f"n{i}" for i in range(20)]
        assert len(board.views.birds.data["x"]) == 20
        assert "t = 0.0 s" in board.controls.time.value
        assert set(board.controls.weights) == {"cpu_free", "mem_free", "uptime"}
    finally:
        board.close()


def test_weight_slider_changes_the_running_score_function(
    dash: Dashboard, cluster: SimCluster
) -> None:
    dash.advance(5.0)
    dash.controls.weights["uptime"].value = 0.9
    assert cluster.score_function.weights["uptime"] == 0.9
    assert all(n.score_function.weights["uptime"] == 0.9 for n in cluster.nodes.values())
    assert [kind for _, kind, _ in cluster.observer.marks][-1] == "set_weights"
    assert "set_weights" in list(dash.views.marks.data["kind"])


def test_nan_weight_is_refused_with_a_message_and_nothing_changes(
    dash: Dashboard, cluster: SimCluster
) -> None:
    before = cluster.score_function
    marks = len(cluster.observer.marks)
    slider = dash.controls.weights["cpu_free"]
    old = slider.value
    slider.value = math.nan
    assert "refused" in dash.controls.message.value
    assert "weights" in dash.controls.message.value
    assert cluster.score_function is before
    assert len(cluster.observer.marks) == marks
    assert slider.value == old


def test_param_sliders_apply_live(dash: Dashboard, cluster: SimCluster) -> None:
    dash.controls.params["fanout"].value = 5
    dash.controls.params["detector.threshold"].value = 12.0
    dash.controls.loss.value = 0.2
    assert cluster.params.fanout == 5
    assert all(n.params.fanout == 5 for n in cluster.nodes.values())
    assert cluster.params.detector.threshold == 12.0
    assert cluster.network.loss == 0.2
    assert dash.views.threshold.location == 12.0
    kinds = [kind for _, kind, _ in cluster.observer.marks]
    assert kinds[-3:] == ["set_param", "set_param", "set_loss"]


def test_tapping_a_node_and_pressing_kill_crashes_exactly_that_node(
    dash: Dashboard, cluster: SimCluster
) -> None:
    leader = converge(dash, cluster)
    tap(dash, [list(cluster.nodes).index(leader)])
    assert dash.controls.target.value == leader
    assert f"leader: <b>{leader}</b>" in dash.controls.leader.value
    dash.controls.kill.click()
    down = [i for i, n in cluster.nodes.items() if not n.running]
    assert down == [leader]
    for _ in range(40):
        dash.advance(0.5)
    new_leader = cluster.leader()
    assert new_leader is not None and new_leader != leader
    assert f"leader: <b>{new_leader}</b>" in dash.controls.leader.value
    index = list(cluster.nodes).index(leader)
    assert dash.views.nodes.data["marker"][index] == "x"


def test_kill_with_leader_target_kills_whoever_leads(dash: Dashboard, cluster: SimCluster) -> None:
    leader = converge(dash, cluster)
    dash.controls.kill.click()
    assert not cluster.nodes[leader].running
    assert sum(not n.running for n in cluster.nodes.values()) == 1


def test_step_advances_one_gossip_round(dash: Dashboard, cluster: SimCluster) -> None:
    dash.controls.params["gossip_interval"].value = 0.5
    before = cluster.time
    dash.controls.step.click()
    assert cluster.time == pytest.approx(before + 0.5)
    assert f"t = {before + 0.5:.1f} s" in dash.controls.time.value


def test_reset_with_the_same_seed_reproduces_the_same_run(dash: Dashboard) -> None:
    dash.controls.weights["mem_free"].value = 0.8
    for _ in range(30):
        dash.advance(0.5)
    first = dash.source
    assert isinstance(first, type(dash.source))
    first_log = first.cluster.log.hexdigest()
    first_opinions = [s.opinion for s in first.nodes()]
    dash.controls.reset.click()
    second = dash.source
    assert second is not first
    assert second.time == 0.0
    assert second.cluster.score_function.weights["mem_free"] == 0.8
    assert len(dash.views.series.data["t"]) == 0
    # The weight change was made at t = 0 of the first run; replay it the same way.
    second.cluster.set_weights({"mem_free": 0.8})
    for _ in range(30):
        dash.advance(0.5)
    assert [s.opinion for s in second.nodes()] == first_opinions
    assert second.cluster.log.hexdigest() == first_log


def test_reset_with_another_size_and_seed_rebuilds_accordingly(dash: Dashboard) -> None:
    dash.controls.seed.value = 9
    dash.controls.nodes.value = 7
    dash.controls.reset.click()
    assert dash.source.seed == 9
    assert list(dash.source.node_ids()) == [f"n{i}" for i in range(7)]
    assert len(dash.views.nodes.data["id"]) == 7
    assert list(dash.controls.target.options) == ["leader", *[f"n{i}" for i in range(7)]]


def test_replay_shows_the_state_recorded_at_that_time(dash: Dashboard, cluster: SimCluster) -> None:
    leader = converge(dash, cluster)
    for _ in range(4):
        dash.advance(0.5)
    before_crash = cluster.time
    dash.controls.kill.click()
    for _ in range(40):
        dash.advance(0.5)
    ids = list(cluster.nodes)
    dash.pause()
    dash.replay(before_crash - 0.1)
    recorded = cluster.observer.cluster_at(before_crash - 0.1)
    assert recorded is not None and cluster.ids.ids[recorded.leader] == leader
    assert f"leader: <b>{leader}</b>" in dash.controls.leader.value
    assert "replay" in dash.controls.time.value
    assert dash.views.nodes.data["marker"][ids.index(leader)] == "star"
    assert all(c.visible and c.location == before_crash - 0.1 for c in dash.views.cursors)
    dash.replay(cluster.time)
    assert dash.views.nodes.data["marker"][ids.index(leader)] == "x"
    dash.live()
    assert not any(c.visible for c in dash.views.cursors)
    assert "t = " in dash.controls.time.value


def test_replay_slider_moves_the_views(dash: Dashboard, cluster: SimCluster) -> None:
    converge(dash, cluster)
    dash.pause()
    assert dash.controls.replay.max == pytest.approx(cluster.time)
    dash.controls.replay.value = 0.0
    assert dash.replay_time == 0.0
    assert "emerging" in dash.controls.leader.value


def test_partition_selection_and_heal(dash: Dashboard, cluster: SimCluster) -> None:
    converge(dash, cluster)
    tap(dash, [0, 1, 2, 3, 4])
    dash.controls.partition.click()
    groups = cluster.network.group
    assert {groups[i] for i in range(5)} == {1}
    assert {groups[i] for i in range(5, 12)} == {2}
    for _ in range(60):
        dash.advance(0.5)
    assert len(cluster.acting_leaders()) == 2
    assert len(dash.views.strips.data["x0"]) == 1
    dash.controls.heal.click()
    assert cluster.network.group == {}
    assert dash.views.strips.data["x1"][0] == pytest.approx(cluster.time)


def test_split_in_half_without_selection(dash: Dashboard, cluster: SimCluster) -> None:
    dash.controls.split.click()
    assert sorted(set(cluster.network.group.values())) == [1, 2]


def test_partition_without_selection_is_refused(dash: Dashboard, cluster: SimCluster) -> None:
    dash.controls.partition.click()
    assert "select a group" in dash.controls.message.value
    assert cluster.network.group == {}


def test_loss_burst_restores_the_loss_afterwards(dash: Dashboard, cluster: SimCluster) -> None:
    dash.controls.burst_loss.value = 0.6
    dash.controls.burst_seconds.value = 4.0
    dash.controls.burst.click()
    assert cluster.network.loss == 0.6
    dash.advance(5.0)
    assert cluster.network.loss == 0.0


def test_boost_makes_the_selected_node_the_next_leader(
    dash: Dashboard, cluster: SimCluster
) -> None:
    leader = converge(dash, cluster)
    other = next(i for i in cluster.nodes if i != leader)
    dash.select(other)
    dash.controls.boost.click()
    assert cluster.best_node() == other
    for _ in range(40):
        dash.advance(0.5)
    assert cluster.leader() == other


def test_pause_and_revive_act_on_the_selected_node(dash: Dashboard, cluster: SimCluster) -> None:
    dash.select("n2")
    dash.controls.pause_seconds.value = 3.0
    dash.controls.pause.click()
    assert cluster.nodes["n2"].paused_until == pytest.approx(cluster.time + 3.0)
    dash.controls.kill.click()
    assert not cluster.nodes["n2"].running
    dash.controls.revive.click()
    assert cluster.nodes["n2"].running and cluster.nodes["n2"].generation == 2


def test_revive_of_a_running_node_is_refused(dash: Dashboard, cluster: SimCluster) -> None:
    dash.select("n1")
    dash.controls.revive.click()
    assert "already running" in dash.controls.message.value
    assert cluster.nodes["n1"].generation == 1


def test_inspector_and_phi_follow_the_selected_node(dash: Dashboard, cluster: SimCluster) -> None:
    converge(dash, cluster)
    dash.select("n5")
    inspector = dash.controls.inspector.value
    assert "<b>n5</b>" in inspector and "<td>n0</td>" in inspector
    dash.controls.kill.click()
    for _ in range(30):
        dash.advance(0.5)
    phis = list(dash.views.phi.data["phi"])
    threshold = cluster.params.detector.threshold
    assert "phi of n5 as seen by n0" == dash.views.phi_plot.title.text
    assert phis[0] < threshold < phis[-1]
    # A dead node's phi grows without bound; the plot clips it above the threshold line.
    assert phis[-1] == pytest.approx(
        min(cluster.nodes["n0"].phi_of("n5"), PHI_HEADROOM * threshold)
    )


def test_plots_stream_the_observer_timeline(dash: Dashboard, cluster: SimCluster) -> None:
    converge(dash, cluster)
    dash.advance(2.0)
    timeline = cluster.observer.timeline
    streamed = list(dash.views.series.data["t"])
    assert streamed == [r.time for r in timeline[: len(streamed)]]
    assert len(streamed) == len(timeline) - 1
    assert dash.views.tail.data["agreement"][-1] == timeline[-1].agreement
    assert dash.views.tail.data["t"][-1] == cluster.time
    assert len(dash.views.traffic.data["t"]) > 0
    assert all(v > 0 for v in dash.views.traffic.data["messages"])


def test_play_runs_one_task_and_stops_on_close_or_redisplay(cluster: SimCluster) -> None:
    async def scenario() -> None:
        board = Dashboard(cluster, speed=10.0, interval=0.05)
        board.play()
        task = board.player._task
        board.play()
        assert board.player._task is task
        await asyncio.sleep(0.3)
        assert cluster.time > 0
        board._repr_mimebundle_()
        assert not board.playing
        assert board.controls.play.description == "Play"
        board.play()
        await asyncio.sleep(0.1)
        board.close()
        stopped = cluster.time
        await asyncio.sleep(0.2)
        assert cluster.time == stopped
        assert not board.playing

    asyncio.run(scenario())


class ForeignSource:
    """A ClusterSource that is not the simulator's adapter: only the protocol is visible."""

    def __init__(self, inner: ClusterSource, can: Capabilities | None = None) -> None:
        self._inner = inner
        self._can = can

    def capabilities(self) -> Capabilities:
        """What the source states it can do (by default: the contract's verbs only)."""
        return self._can or Capabilities()

    def __getattr__(self, name: str) -> object:
        if name in ("rebuilt", "draw"):  # the adapter's extras stay hidden
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_any_cluster_source_can_be_shown_and_driven(cluster: SimCluster) -> None:
    source = ForeignSource(SimClusterSource(cluster))
    assert isinstance(source, ClusterSource)
    board = Dashboard(source)
    try:
        leader = converge(board, cluster)
        board.controls.kill.click()
        assert not cluster.nodes[leader].running
        assert board.controls.reset.disabled
        board.reset()
    except ValueError as error:
        assert "only a simulated cluster" in str(error)
    else:
        raise AssertionError("reset of a non-simulated source must be refused")
    finally:
        board.close()


def test_a_source_greys_out_the_verbs_it_refuses(cluster: SimCluster) -> None:
    """The dashboard asks a source what it can do (as a real MQTT cluster answers)."""
    refused = frozenset({"partition", "heal", "loss", "set_param"})
    board = Dashboard(ForeignSource(SimClusterSource(cluster), Capabilities(refused=refused)))
    try:
        c = board.controls
        assert c.split.disabled and c.partition.disabled and c.heal.disabled
        assert c.loss.disabled and c.burst.disabled
        assert all(slider.disabled for slider in c.params.values())
        assert not c.kill.disabled and not c.pause.disabled
        assert c.reset.disabled  # max_size 0: it cannot be rebuilt
    finally:
        board.close()
    shown = Dashboard(SimClusterSource(cluster))
    try:
        assert not shown.controls.reset.disabled and not shown.controls.split.disabled
    finally:
        shown.close()


def test_every_frame_pushes_the_moving_birds(dash: Dashboard, cluster: SimCluster) -> None:
    converge(dash, cluster)
    dash.advance(2.0)  # settled: who follows whom no longer changes, only positions do
    payloads: list[str] = []
    dash.figures.send = lambda content, buffers=None: payloads.append(str(content.get("payload")))
    dash.advance(0.5)
    events = [e for p in payloads if p.startswith('{"events"') for e in json.loads(p)["events"]]
    birds = [e for e in events if e.get("model", {}).get("id") == dash.views.birds.id]
    assert birds, "the flock's data source was not pushed"
    columns = {name for e in birds for name, _ in e["data"]["entries"]}
    assert {"x", "y"} <= columns


def test_labels_are_drawn_only_while_small_and_idle_edges_are_not_resent(
    dash: Dashboard, cluster: SimCluster
) -> None:
    from emergent_lab.jupyter.views import LABELLED_NODES

    assert dash.views.labels.visible  # 12 nodes: every node is labelled
    dash.controls.nodes.value = LABELLED_NODES + 1
    dash.controls.reset.click()
    assert not dash.views.labels.visible  # blank labels would still cost a text draw each
    dash.controls.gossip.value = False
    dash.advance(1.0)
    payloads: list[str] = []
    dash.figures.send = lambda content, buffers=None: payloads.append(str(content.get("payload")))
    dash.advance(0.5)
    events = [e for p in payloads if p.startswith('{"events"') for e in json.loads(p)["events"]]
    assert any(e.get("model", {}).get("id") == dash.views.birds.id for e in events)
    assert not [e for e in events if e.get("model", {}).get("id") == dash.views.edges.id]
    dash.controls.nodes.value = LABELLED_NODES
    dash.controls.reset.click()
    assert dash.views.labels.visible


def test_suspected_by_counts_the_running_nodes_whose_view_holds_the_node_not_alive() -> None:
    cluster = quiet_cluster(nodes=9)
    source = SimClusterSource(cluster)
    source.advance(10.0)
    source.kill("n4")
    seen = []
    for _ in range(12):
        states = {s.node_id: s for s in source.nodes()}
        for subject in source.node_ids():
            # each running observer's own peer list (another reading of the same views)
            doubting = sum(
                1
                for observer in source.node_ids()
                if observer != subject and states[observer].up
                for p in source.peers(observer)
                if p.peer == subject and not p.alive
            )
            assert states[subject].suspected_by == doubting, subject
        seen.append(states["n4"].suspected_by)
        source.advance(1.0)
    assert seen[0] == 0 and seen[-1] == 8  # undetected at the crash, then by every running node


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"speed": 1e308}, "speed: must be a finite number >= 0.1 and <= 100"),
        ({"speed": 0.0}, "speed: must be a finite number >= 0.1 and <= 100"),
        ({"interval": 0.01}, "interval: must be a finite number >= 0.05 and <= 1"),
        ({"messages": "no"}, "messages: must be True or False"),
    ],
)
def test_options_outside_what_the_sliders_offer_are_refused_naming_the_field(
    arguments: dict[str, object], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import gc

    with pytest.raises(ValueError, match=message):
        Dashboard(quiet_cluster(), **arguments)  # type: ignore[arg-type]
    gc.collect()  # ipywidgets closes the refused dashboard from __del__: quietly
    assert "Exception ignored" not in capsys.readouterr().err


def test_a_dashboard_of_nothing_is_refused_naming_what_it_draws(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import gc

    with pytest.raises(ValueError, match="cluster: must be a SimCluster, an ArrayCluster"):
        Dashboard(None)  # type: ignore[arg-type]
    gc.collect()
    assert "Exception ignored" not in capsys.readouterr().err
