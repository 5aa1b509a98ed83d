"""Bounded top-k gossip on the exact engine (``[cluster] view = "topk"``).

The cross-check against the array engine's top-k view is in
``test_scale_crosscheck.py``; here: determinism, bytes per node that do not
grow with n, failover against its bound, the bounded state, and bad input.
"""

from __future__ import annotations

import pytest

from emergent_lab import ClusterConfig, SimCluster, build_report
from emergent_lab.analysis import failover_bound
from emergent_lab.analysis.measure import failover_time, leader_silence
from emergent_lab.protocol.topk_node import TopKNode
from emergent_lab.scenario import ScenarioError, parse_scenario, run_scenario

BYTES_GOAL = 5_000
"""Issue 16: at most 5 kB per node per second (at n = 1,000; checked here at 100 and 400)."""


def run(n: int, seed: int, until: float) -> SimCluster:
    cluster = SimCluster(ClusterConfig.create(n, seed=seed, view="topk"))
    cluster.at(until / 2, "crash", node="leader")
    cluster.run(until)
    return cluster


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    a, b, c = run(40, 3, 30), run(40, 3, 30), run(40, 4, 30)
    assert a.log.hexdigest() == b.log.hexdigest()
    assert a.log.hexdigest() != c.log.hexdigest()
    assert build_report(a).summary() == build_report(b).summary()


def test_every_node_holds_at_most_k_candidates_and_gossips_no_more() -> None:
    cluster = SimCluster(ClusterConfig.create(60, seed=1, view="topk", k=5))
    cluster.run(20)
    nodes = list(cluster.nodes.values())
    assert all(isinstance(node, TopKNode) for node in nodes)
    sizes = {node.peers_held().peer.size for node in nodes}
    assert sizes == {5}
    assert cluster.leader() == cluster.best_node()


def steady_bytes(n: int) -> float:
    """Bytes per node per second between 15 and 25 s of a quiet top-k cluster."""
    cluster = SimCluster(ClusterConfig.create(n, seed=2, view="topk"))
    cluster.run(15)
    assert cluster.leader() == cluster.best_node()
    before = cluster.network.bytes_sent
    cluster.run(25)
    return (cluster.network.bytes_sent - before) / n / 10


def test_bytes_per_node_stay_under_the_goal_and_do_not_grow_with_n() -> None:
    small, large = steady_bytes(100), steady_bytes(400)
    assert small <= BYTES_GOAL and large <= BYTES_GOAL, (small, large)
    assert large <= 1.3 * small, (small, large)
    # Full membership at n = 100 already costs about 14 kB per node per second.
    full = SimCluster(ClusterConfig.create(100, seed=2))
    full.run(15)
    before = full.network.bytes_sent
    full.run(25)
    assert (full.network.bytes_sent - before) / 100 / 10 > 5 * small


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_failover_is_within_its_bound(seed: int) -> None:
    config = ClusterConfig.create(100, seed=seed, view="topk")
    cluster = SimCluster(config)
    cluster.run(14.99)
    bound = failover_bound(leader_silence(cluster), 100, config.params.gossip_interval)
    failover = failover_time(cluster, at=15, within=25)
    assert failover is not None
    assert failover <= 1.3 * bound, (failover, bound)
    assert cluster.leader() == cluster.best_node()


def test_a_scenario_runs_top_k_on_the_exact_engine() -> None:
    data = {
        "cluster": {"nodes": 30, "seed": 2, "view": "topk", "k": 4},
        "run": {"until": 30},
        "events": [{"at": 12, "action": "crash", "node": "leader"}],
    }
    cluster, report = run_scenario(parse_scenario(data))
    assert isinstance(cluster, SimCluster) and cluster.config.k == 4
    assert all(node.peers_held().peer.size <= 4 for node in cluster.nodes.values())
    assert report.events[0].reconverged_after_s is not None
    assert report.final_leader == cluster.best_node()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"view": "mesh"}, "cluster.view: unknown view 'mesh' (expected one of: full, topk)"),
        ({"view": "topk", "k": 0}, "cluster.k: must be an integer >= 1"),
        (
            {"view": "topk", "protocol_name": "raft"},
            "cluster.view: 'topk' is a view of the emergent protocol only (got protocol 'raft')",
        ),
        (
            {"view": "topk", "causality": True},
            "run.causality: not recorded with cluster.view = 'topk'",
        ),
    ],
)
def test_bad_options_name_the_field_and_the_allowed_values(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError) as error:
        ClusterConfig.create(10, **options)  # type: ignore[arg-type]
    assert message in str(error.value)


def test_a_bad_view_in_a_scenario_is_refused_before_anything_runs() -> None:
    with pytest.raises(ScenarioError, match=r"cluster\.view: unknown view 'ring'"):
        parse_scenario({"cluster": {"nodes": 10, "view": "ring"}})
    with pytest.raises(ScenarioError, match=r"run\.causality: not recorded with cluster\.view"):
        parse_scenario({"cluster": {"nodes": 10, "view": "topk"}, "run": {"causality": True}})
