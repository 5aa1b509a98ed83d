import math
from typing import Any

import numpy as np
import pytest

from emergent_lab import ClusterConfig, DetectorParams, SimCluster, build_report
from emergent_lab.baselines import ELECTION_KINDS, BullyNode
from emergent_lab.baselines.priorities import Priorities
from emergent_lab.core.ids import IdTable, node_sort_key


def bully_cluster(n: int, *, score: str = "lowest-id", seed: int = 1, **params: Any) -> SimCluster:
    config = ClusterConfig.create(n, seed=seed, score=score, protocol_name="bully", **params)
    return SimCluster(config)


def expected_best(cluster: SimCluster, excluded: set[str]) -> str:
    """Highest score, ties to the id that sorts first, computed from the config alone."""
    score = cluster.config.score
    candidates = [
        (-score.score(metrics), node_sort_key(node_id), node_id)
        for node_id, metrics in zip(cluster.config.ids, cluster.config.metrics, strict=True)
        if node_id not in excluded
    ]
    return min(candidates)[2]


def election_messages(cluster: SimCluster) -> int:
    return sum(cluster.network.sent_by_kind[k] for k in ELECTION_KINDS)


def test_cluster_runs_bully_nodes_when_asked() -> None:
    cluster = bully_cluster(5)
    assert all(isinstance(node, BullyNode) for node in cluster.nodes.values())


def test_unknown_protocol_is_rejected_naming_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"cluster.protocol: .*'paxos'.*emergent, bully, raft"):
        ClusterConfig.create(3, protocol_name="paxos")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bully_elects_the_highest_scoring_live_node_after_a_crash(seed: int) -> None:
    cluster = bully_cluster(12, score="capacity", seed=seed)
    cluster.run(10)
    first = expected_best(cluster, set())
    assert cluster.leader() == first
    cluster.crash(first)
    cluster.run(30)
    assert cluster.leader() == expected_best(cluster, {first})
    assert cluster.acting_leaders() == [cluster.leader()]


def test_report_measures_the_failover_like_for_the_emergent_protocol() -> None:
    cluster = bully_cluster(10)
    cluster.at(10, "crash", node="leader")
    cluster.run(30)
    report = build_report(cluster)
    event = report.events[0]
    assert event.resolved == ["n0"]
    assert event.leader_after == "n1" and event.leader_is_best
    assert event.reconverged_after_s is not None and event.detection_mean_s is not None
    # The election cannot finish before the crash was detected.
    assert event.reconverged_after_s >= event.detection_mean_s
    assert report.false_suspicions == 0
    assert report.max_simultaneous_leaders == 1


def test_a_recovered_higher_node_bullies_its_way_back() -> None:
    cluster = bully_cluster(8)
    cluster.run(5)
    cluster.crash("n0")
    cluster.run(20)
    assert cluster.leader() == "n1"
    cluster.restart("n0")
    cluster.run(25)
    assert cluster.leader() == "n0"


def test_partition_gives_one_coordinator_per_side_and_heal_gives_one_again() -> None:
    cluster = bully_cluster(10)
    cluster.run(5)
    cluster.partition([[f"n{i}" for i in range(5)], [f"n{i}" for i in range(5, 10)]])
    cluster.run(25)
    assert cluster.acting_leaders() == ["n0", "n5"]
    cluster.heal()
    cluster.run(40)
    assert cluster.leader() == "n0"
    assert cluster.acting_leaders() == ["n0"]


def failover_messages(n: int, starter: str) -> int:
    """Election messages when ``starter`` alone starts the election after n0 crashed.

    A long acceptable pause keeps every detector quiet during the measurement,
    so only the chosen node starts an election.
    """
    detector = DetectorParams(acceptable_heartbeat_pause=60.0)
    cluster = bully_cluster(n, detector=detector)
    cluster.run(5)
    assert cluster.leader() == "n0"
    before = election_messages(cluster)
    cluster.crash("n0")
    node = cluster.nodes[starter]
    assert isinstance(node, BullyNode)
    node.start_election()
    cluster.run_for(5)
    assert cluster.leader() == "n1"
    return election_messages(cluster) - before


SIZES = (8, 16, 32, 64)


def growth_exponent(counts: list[int]) -> float:
    slope, _ = np.polyfit(np.log(SIZES[-2:]), np.log(counts[-2:]), 1)
    return float(slope)


def test_lowest_node_starting_costs_quadratic_messages() -> None:
    counts = [failover_messages(n, f"n{n - 1}") for n in SIZES]
    # Garcia-Molina's worst case: node k sends k ELECTIONs (n(n-1)/2), every
    # live pair one ANSWER ((n-1)(n-2)/2), the winner n-1 COORDINATORs: n(n-1).
    assert counts == [n * (n - 1) for n in SIZES]
    assert math.isclose(growth_exponent(counts), 2.0, abs_tol=0.1)


def test_highest_live_node_starting_costs_linear_messages() -> None:
    counts = [failover_messages(n, "n1") for n in SIZES]
    # One ELECTION to the dead n0, then n-1 COORDINATORs.
    assert counts == [n for n in SIZES]
    assert math.isclose(growth_exponent(counts), 1.0, abs_tol=0.1)


def test_an_election_asks_the_members_of_unknown_or_higher_priority_in_index_order() -> None:
    ids = IdTable(["n0", "n1", "n2", "n3", "n10"])
    table = Priorities(ids, ids.index["n2"])
    table.learn(ids.index["n0"], 0.9)  # higher score
    table.learn(ids.index["n1"], 0.5)  # same score, sorts before n2
    table.learn(ids.index["n3"], 0.5)  # same score, sorts after n2
    table.learn(ids.index["n10"], 0.4)  # lower score
    assert table.challengers(0.5).tolist() == [0, 1]
    assert table.challengers(0.95).tolist() == []
    ids.intern("n4")  # joined since: its score is unknown, so it may outrank n2
    assert table.challengers(0.5).tolist() == [0, 1, 5]
    assert table.score_of(ids.index["n4"]) is None and table.score_of(0) == 0.9
