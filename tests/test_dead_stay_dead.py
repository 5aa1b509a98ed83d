"""The dead stay dead: tombstones, suspicion that stops a dead node's state spreading, heals.

Each test reproduces a failure of the quarantine that tombstones replaced
(issue 13, items 1 and 2).
"""

import numpy as np

from emergent_lab.detector import DetectorParams
from emergent_lab.exact import SimCluster
from emergent_lab.protocol.messages import StateBatch, version_key
from emergent_lab.protocol.view import View
from emergent_lab.run import ClusterConfig, build_report

DETECTION = 10.0
"""Generous bound on crash-to-suspicion with the default detector (3 s pause)."""


def believers(cluster: SimCluster, node_id: str) -> list[str]:
    """Running nodes that believe ``node_id`` alive or follow it."""
    index = cluster.ids.index[node_id]
    return [
        n.node_id
        for n in cluster.nodes.values()
        if n.running
        and n.node_id != node_id
        and (n.opinion == index or (n.alive_mask.shape[0] > index and n.alive_mask[index]))
    ]


def test_a_crashed_leader_is_never_followed_again_after_a_join():
    # The audit's case: with the quarantine, n3 was followed again every ~65 s to 400 s.
    cluster = SimCluster(ClusterConfig.create(10, seed=1))
    cluster.run(20.0)
    dead = cluster.crash("leader")
    cluster.run(54.0)
    cluster.join("z")
    zombie_seconds = 0.0
    for step in range(1, 693):  # to 400 s, every 0.5 s
        cluster.run(54.0 + 0.5 * step)
        if cluster.time > 20.0 + DETECTION:
            zombie_seconds += 0.5 * len(believers(cluster, dead))
    assert zombie_seconds == 0.0
    assert build_report(cluster).leader_changes == 1  # the failover, then none (11 before)
    assert cluster.leader() not in (None, dead)


def one_state(node: int, generation: int, version: int, heartbeat: int) -> StateBatch:
    metrics = np.empty(1, dtype=object)
    metrics[0] = {"m": 1.0}
    return StateBatch(
        idx=np.array([node]),
        key=np.array([version_key(generation, version)]),
        heartbeat=np.array([heartbeat]),
        score=np.array([0.5]),
        opinion=np.array([node]),
        status=np.array([0], dtype=np.int8),
        metrics=metrics,
        state_bytes=np.array([40]),
    )


def test_a_tombstone_refuses_stale_states_however_late_and_admits_newer_heartbeats():
    view = View(0, DetectorParams(), capacity=3)
    view.merge(one_state(1, 1, 10, 10), 0.0)
    view.collect(np.array([1]))
    # a copy with a newer version but no newer heartbeat, a day later: refused
    assert not view.merge(one_state(1, 1, 11, 10), 86_400.0).accepted.size
    assert not view.known[1]
    assert view.digest()[1] == 0
    # asked for no more: the tombstone took its key
    assert not view.compare(np.array([0, version_key(1, 11), 0]))[1].size
    # a newer heartbeat of the same generation: the node lived on (a partition)
    assert view.merge(one_state(1, 1, 12, 11), 86_401.0).heartbeats.tolist() == [1]
    assert view.known[1]
    view.collect(np.array([1]))
    # a restart under a higher generation is taken at once, whatever its heartbeat
    assert view.merge(one_state(1, 2, 1, 0), 86_402.0).heartbeats.tolist() == [1]


def reconvergence_after_heal(partition: float) -> float:
    """Seconds from the heal until the recognised leader last changed (or was missing)."""
    cluster = SimCluster(ClusterConfig.create(10, seed=2))
    cluster.run(20.0)
    cluster.partition("half")
    cluster.run(20.0 + partition)
    cluster.heal()
    healed = cluster.time
    samples = []
    for step in range(1, 401):
        cluster.run(healed + 0.1 * step)
        samples.append((cluster.time, cluster.leader()))
    final = samples[-1][1]
    assert final is not None
    unsettled = [t for t, leader in samples if leader != final]
    return (max(unsettled) if unsettled else healed) - healed


def test_reconvergence_after_a_heal_does_not_depend_on_the_partition_length():
    # Quarantine made partitions of 35-65 s wait out gc_after (29 s after a 40 s one).
    times = [reconvergence_after_heal(length) for length in (20.0, 40.0, 50.0, 90.0)]
    assert max(times) < 4.0, times


def test_a_survivor_that_buried_every_peer_leads_itself() -> None:
    # Found by the fault-schedule property test: once its peers were collected
    # the survivor counted as "joining" (it has seeds, and held only itself)
    # and recognised no leader, ever.
    cluster = SimCluster(ClusterConfig.create(3, seed=1, gc_after=5.0))
    cluster.run(10.0)
    cluster.crash("n0")
    cluster.crash("n1")
    cluster.run(40.0)
    assert cluster.nodes["n2"].recognised == cluster.nodes["n2"].index
    assert cluster.leader() == "n2"


def test_a_node_restarted_alone_stops_waiting_for_its_seeds() -> None:
    # A restarted node whose seeds are all gone waited for them forever.
    cluster = SimCluster(ClusterConfig.create(3, seed=1, gc_after=5.0))
    cluster.run(10.0)
    for node in ("n0", "n1", "n2"):
        cluster.crash(node)
    cluster.restart("n2")
    cluster.run(30.0)
    assert cluster.leader() == "n2"


def test_a_joiner_whose_seeds_are_all_down_does_not_lead_a_cluster_of_its_own() -> None:
    # Found by benchmarks/fault_properties.py: it waited gc_after, then acted
    # as leader beside the real one, forever (split leadership).
    cluster = SimCluster(ClusterConfig.create(5, seed=1, gc_after=5.0))
    cluster.run(10.0)
    for seed in ("n0", "n1", "n2"):
        cluster.crash(seed)
    cluster.join("z")
    cluster.run(40.0)
    assert len(cluster.acting_leaders()) == 1
    assert cluster.nodes["z"].joining(cluster.time)


def test_a_joiner_outside_does_not_hold_the_members_leader_back() -> None:
    # Found by benchmarks/fault_properties.py (seed 1207): a joiner stranded
    # with every seed down counted as an up node recognising nobody, so the
    # cluster reported no leader, never converged, and its best node was the
    # joiner, which the members cannot reach.
    cluster = SimCluster(ClusterConfig.create(5, seed=1, gc_after=5.0))
    cluster.run(10.0)
    for seed in ("n0", "n1", "n2"):
        cluster.crash(seed)
    cluster.join("z", metrics=cluster.score_function.best_metrics())
    cluster.run(40.0)
    members = ["n3", "n4"]
    leader = max(members, key=lambda n: cluster.true_score[cluster.ids.index[n]])  # no tie here
    assert cluster.nodes["z"].joining(cluster.time)
    assert cluster.leader() == leader
    assert cluster.best_node() == leader
    record = cluster.observer.current()
    assert record is not None and record.converged and record.up == 2 and record.leader_is_best
    assert cluster.observer.outside() == [cluster.ids.index["z"]]
    cluster.restart("n0")  # a seed back: the joiner joins, and the best node now leads
    cluster.run(80.0)
    assert cluster.observer.outside() == []
    assert cluster.best_node() == "z"
    assert cluster.leader() == "z"
