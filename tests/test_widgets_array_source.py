"""Kernel-side tests of the dashboard on the array engine: a sampled drawing, no browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jupyter_bokeh")

from emergent_lab.array import ArrayCluster
from emergent_lab.array.kernels import FullArrays
from emergent_lab.array.views import FullView, TopKView
from emergent_lab.detector.sums import entry_phi
from emergent_lab.jupyter import ArrayClusterSource, ClusterSource, Dashboard
from emergent_lab.live.array import DRAW_LIMIT
from emergent_lab.run.config import ClusterConfig


def array_cluster(nodes: int = 3000, seed: int = 3, view: str = "topk") -> ArrayCluster:
    return ArrayCluster(ClusterConfig.create(nodes, seed=seed), view=view, k=8)


def converge(dash: Dashboard, cluster: ArrayCluster, limit: float = 40.0) -> str:
    while cluster.leader() is None:
        assert cluster.time < limit, "cluster did not converge"
        dash.advance(1.0)
    leader = cluster.leader()
    assert leader is not None
    return leader


@pytest.fixture
def cluster() -> ArrayCluster:
    return array_cluster()


def test_the_sample_is_seeded_bounded_and_holds_the_best_node() -> None:
    first = ArrayClusterSource(array_cluster(seed=3))
    again = ArrayClusterSource(array_cluster(seed=3))
    other = ArrayClusterSource(array_cluster(seed=4))
    assert isinstance(first, ClusterSource)
    assert first.node_ids() == again.node_ids()
    assert len(set(first.node_ids()) & set(other.node_ids())) < DRAW_LIMIT // 2
    for source in (first, other):
        ids = source.node_ids()
        assert len(ids) <= DRAW_LIMIT
        assert len(set(ids)) == len(ids)
        assert source.cluster.best_node() in ids
        assert len(source.nodes()) == len(ids)


def test_a_small_cluster_is_drawn_whole_in_id_order() -> None:
    source = ArrayClusterSource(array_cluster(nodes=40))
    assert source.node_ids() == [f"n{i}" for i in range(40)]


def test_the_drawing_stays_bounded_and_holds_the_leader_while_it_runs(
    dash: Dashboard, cluster: ArrayCluster
) -> None:
    leader = converge(dash, cluster)
    dash.advance(5.0)
    ids = list(dash.source.node_ids())
    assert leader in ids
    assert len(ids) <= DRAW_LIMIT
    assert list(dash.views.nodes.data["id"]) == ids
    assert len(dash.views.birds.data["x"]) == len(ids)
    assert dash.controls.nodes.value == 3000
    assert f"leader: <b>{leader}</b>" in dash.controls.leader.value


def test_killing_a_drawn_node_crashes_it_in_the_engine_and_the_readout_follows(
    dash: Dashboard, cluster: ArrayCluster
) -> None:
    leader = converge(dash, cluster)
    dash.select(leader)
    assert dash.controls.target.value == leader
    dash.controls.kill.click()
    assert not cluster.up[cluster.ids.index[leader]]
    assert int(cluster.up.sum()) == cluster.n - 1
    assert "killed" in dash.controls.message.value
    row = list(dash.views.nodes.data["id"]).index(leader)
    assert dash.views.nodes.data["marker"][row] == "x"
    for _ in range(30):
        dash.advance(1.0)
        if cluster.leader() not in (None, leader):
            break
    successor = cluster.leader()
    assert successor is not None and successor != leader
    assert successor in dash.source.node_ids()
    assert f"leader: <b>{successor}</b>" in dash.controls.leader.value


def test_killing_any_drawn_node_crashes_exactly_that_node(
    dash: Dashboard, cluster: ArrayCluster
) -> None:
    leader = converge(dash, cluster)
    victim = next(i for i in dash.source.node_ids() if i != leader)
    dash.select(victim)
    dash.kill()
    assert list(np.flatnonzero(~cluster.up)) == [cluster.ids.index[victim]]
    assert cluster.leader() == leader
    assert cluster.events[-1].action == "crash"
    assert cluster.events[-1].resolved == [victim]


def test_selecting_an_undrawn_node_draws_it(dash: Dashboard, cluster: ArrayCluster) -> None:
    undrawn = next(i for i in cluster.ids.ids if i not in dash.source.node_ids())
    dash.select(undrawn)
    assert dash.source.node_ids()[-1] == undrawn
    assert dash.selection == [undrawn]
    assert dash.views.positions.shape[0] == len(dash.source.node_ids())
    with pytest.raises(ValueError, match="unknown node 'nope'"):
        dash.select("nope")


@pytest.mark.parametrize(
    ("action", "call"),
    [
        ("pause", lambda s: s.pause("n1", 2.0)),
        ("set_weights", lambda s: s.set_weights({"cpu_free": 0.5})),
        ("set_param", lambda s: s.set_param("fanout", 2)),
    ],
)
def test_an_unsupported_action_names_itself_and_the_allowed_ones(
    action: str, call: Callable[[ArrayClusterSource], None]
) -> None:
    cluster = array_cluster(nodes=50)
    source = ArrayClusterSource(cluster)
    marks = len(cluster.observer.marks)
    with pytest.raises(ValueError, match=rf"^{action}: the array engine cannot") as error:
        call(source)
    message = str(error.value)
    for allowed in ("kill", "revive", "boost", "partition", "heal", "loss", "set_metric"):
        assert allowed in message
    assert len(cluster.observer.marks) == marks
    assert cluster.params.fanout == 3


def test_the_dashboard_disables_what_the_array_engine_cannot_do(
    dash: Dashboard, cluster: ArrayCluster
) -> None:
    c = dash.controls
    assert c.pause.disabled and c.pause_seconds.disabled
    assert all(s.disabled for s in c.weights.values())
    assert all(s.disabled for s in c.params.values())
    assert not c.kill.disabled and not c.loss.disabled and not c.reset.disabled
    dash.select(dash.source.node_ids()[0])
    c.pause.click()  # a click from code still reaches the handler: refused, nothing marked
    assert "refused: pause: the array engine cannot pause a node" in c.message.value
    assert cluster.observer.marks == []
    old = c.params["fanout"].value
    c.params["fanout"].value = 5
    assert c.params["fanout"].value == old
    assert cluster.params.fanout == old


def _drive(cluster: ArrayCluster, source: ArrayClusterSource | None) -> None:
    """Run 16 s with a crash of the best node at 4 s, reading the views if a source is given.

    The run is long enough for the crash to be suspected (detection takes
    the mean interval, the acceptable pause and some deviations), so a read
    that flagged suspicions early would show in the observer's record.
    """
    cluster.at(4.0, "crash", node=cluster.best_node())
    for _ in range(64):
        if source is None:
            cluster.run_for(0.25)
            continue
        source.advance(0.25)
        for node_id in source.node_ids()[:20]:
            source.peers(node_id)
            source.phi(node_id, str(cluster.best_node()))
        source.nodes()
        source.timeline()


@pytest.mark.parametrize("view", ["topk", "full"])
def test_reading_peers_and_phi_leaves_the_engine_unchanged(view: str) -> None:
    nodes = 1500 if view == "topk" else 150
    plain, read = array_cluster(nodes, view=view), array_cluster(nodes, view=view)
    _drive(plain, None)
    _drive(read, ArrayClusterSource(read))
    assert read.time == plain.time
    assert read.observer.timeline == plain.observer.timeline
    assert read.observer.log.hexdigest() == plain.observer.log.hexdigest()
    detections = {k: (d.count, d.total_s, d.max_s) for k, d in plain.observer.detections.items()}
    assert detections, "the crash was detected within the run"
    assert {
        k: (d.count, d.total_s, d.max_s) for k, d in read.observer.detections.items()
    } == detections
    assert read.observer.false_suspicions == plain.observer.false_suspicions
    if isinstance(read.view, TopKView) and isinstance(plain.view, TopKView):
        np.testing.assert_array_equal(read.view.head, plain.view.head)
        np.testing.assert_array_equal(read.view.timing, plain.view.timing)
        np.testing.assert_array_equal(read.view.sample, plain.view.sample)
    else:
        assert isinstance(read.view, FullView) and isinstance(plain.view, FullView)
        arrays = zip(read.view.arrays(), plain.view.arrays(), strict=True)
        for name, (after_reads, untouched) in zip(FullArrays._fields, arrays, strict=True):
            np.testing.assert_array_equal(after_reads, untouched, err_msg=name)


@pytest.mark.parametrize("view", ["topk", "full"])
def test_phi_agrees_with_the_engines_liveness(view: str) -> None:
    cluster = array_cluster(400, view=view)
    source = ArrayClusterSource(cluster)
    crashed = cluster.best_node()
    assert crashed is not None
    cluster.run(8.0)
    cluster.crash(crashed)
    cluster.run(16.0)  # past the detection time (1 s mean + 3 s acceptable pause + ...)
    threshold = source.phi_threshold()
    seen = {True: 0, False: 0}
    for observer in source.node_ids()[:100]:
        for peer in source.peers(observer):
            assert peer.peer != observer
            assert (peer.phi < threshold) == peer.alive
            assert source.phi(observer, peer.peer) == peer.phi
            seen[peer.alive] += 1
    assert seen[True] > 100 and seen[False] > 0, seen
    assert source.phi(crashed, source.node_ids()[0]) == 0.0  # a crashed observer sees nothing


def test_entry_phi_is_akkas_phi() -> None:
    from emergent_lab.detector import DetectorParams
    from emergent_lab.detector.akka import PhiAccrualDetector

    detector = PhiAccrualDetector(acceptable_heartbeat_pause=1.0)
    intervals = [0.75, 1.25, 1.0, 1.1, 0.9]  # Akka's bootstrap pair, then three arrivals
    for t in (0.0, 1.0, 2.1, 3.0):
        detector.heartbeat(t)
    total, total_sq = sum(intervals), sum(x * x for x in intervals)
    params = DetectorParams(acceptable_heartbeat_pause=1.0)
    for now in (3.5, 5.0, 7.0):
        ours = entry_phi(params, now, 3.0, len(intervals), total, total_sq)
        assert ours == pytest.approx(detector.phi(now))
    assert entry_phi(params, 9.0, 0.0, 0, 0.0, 0.0) == 0.0


def test_replay_reads_the_drawn_nodes_record(dash: Dashboard, cluster: ArrayCluster) -> None:
    leader = converge(dash, cluster)
    dash.advance(2.0)
    killed_at = cluster.time
    dash.select(leader)
    dash.kill()
    dash.advance(3.0)
    before = dash.source.node_at(leader, killed_at - 0.5)
    after = dash.source.node_at(leader, killed_at + 0.5)
    assert before is not None and before.up and before.acting
    assert after is not None and not after.up
    dash.pause()
    dash.replay(killed_at - 0.5)
    assert f"leader: <b>{leader}</b>" in dash.controls.leader.value
    row = list(dash.views.nodes.data["id"]).index(leader)
    assert dash.views.nodes.data["marker"][row] == "star"


def test_partition_selection_cuts_the_selection_off_the_whole_cluster(
    dash: Dashboard, cluster: ArrayCluster
) -> None:
    converge(dash, cluster)
    chosen = list(dash.source.node_ids())[:5]
    ids = list(dash.source.node_ids())
    dash.views.nodes.selected.indices = [ids.index(i) for i in chosen]
    dash.controls.partition.click()
    rows = [cluster.ids.index[i] for i in chosen]
    assert set(cluster.group[rows].tolist()) == {1}
    assert int((cluster.group == 0).sum()) == cluster.n - 5
    dash.controls.heal.click()
    assert not cluster.group.any()


def test_boost_and_loss_burst_act_on_the_engine(dash: Dashboard, cluster: ArrayCluster) -> None:
    converge(dash, cluster)
    chosen = next(i for i in dash.source.node_ids() if i != cluster.best_node())
    dash.select(chosen)
    dash.controls.boost.click()
    assert cluster.best_node() == chosen
    dash.controls.burst_loss.value = 0.4
    dash.controls.burst_seconds.value = 2.0
    dash.controls.burst.click()
    assert cluster.loss == 0.4
    dash.advance(3.0)
    assert cluster.loss == 0.0
    assert dash.controls.loss.value == 0.0


def test_reset_reproduces_the_run_under_the_same_seed(dash: Dashboard) -> None:
    dash.advance(8.0)
    first = list(dash.source.timeline())
    first_ids = list(dash.source.node_ids())
    dash.reset()
    assert isinstance(dash.source, ArrayClusterSource)
    assert dash.source.time == 0.0
    dash.advance(8.0)
    assert list(dash.source.timeline()) == first
    assert list(dash.source.node_ids()) == first_ids
    dash.controls.seed.value = 9
    dash.controls.nodes.value = 12000
    dash.reset()
    assert isinstance(dash.source, ArrayClusterSource)
    assert dash.source.size == 12000
    assert dash.source.cluster.view_kind == "topk"
    assert dash.source.seed == 9


def test_from_scenario_runs_an_array_engine_scenario(tmp_path: Path) -> None:
    path = tmp_path / "big-crash.toml"
    path.write_text(
        '[cluster]\nnodes = 5000\nseed = 2\nengine = "array"\nview = "topk"\n'
        "[detector]\nacceptable_heartbeat_pause = 1.0\n"
        '[run]\nuntil = 40\n[[events]]\nat = 15\naction = "crash"\nnode = "leader"\n'
    )
    board = Dashboard.from_scenario(path)
    try:
        source = board.source
        assert isinstance(source, ArrayClusterSource)
        assert board.controls.nodes.value == 5000
        assert len(source.node_ids()) <= DRAW_LIMIT
        board.advance(14.0)
        leader = source.leader()
        assert leader is not None and leader in source.node_ids()
        board.advance(16.0)
        assert [e.action for e in source.cluster.events] == ["crash"]
        assert source.cluster.events[0].resolved == [leader]
        assert "crash" in list(board.views.marks.data["kind"])
        assert source.leader() not in (None, leader)
    finally:
        board.close()


def test_a_run_advanced_in_one_call_shows_its_traffic_second_by_second(
    dash: Dashboard, cluster: ArrayCluster
) -> None:
    dash.advance(10.0)
    traffic = dash.views.plots.traffic.data
    times = np.asarray(traffic["t"])
    assert np.array_equal(np.floor(times), np.arange(1, 10))  # 10.0 s is between slots
    # A separate cluster stepped slot by slot, read at the first slot past each second.
    reference = array_cluster()
    sent, at = [0], [0.0]
    while reference.next_slot_time() <= 10.0:
        reference.step_slot()
        if np.floor(reference.time) > np.floor(at[-1]):
            sent.append(reference.messages_sent)
            at.append(reference.time)
    rates = np.diff(sent) / np.diff(at)
    assert np.allclose(traffic["messages"], rates)
    assert rates.min() > 0
