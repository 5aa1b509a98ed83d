"""Raft's election as a baseline: safety, liveness, persistence, and the minority side."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from raft_schedules import QUIET_FROM, one_leader, raft_cluster

from emergent_lab import ClusterConfig, SimCluster, build_report
from emergent_lab.baselines import RaftNode
from emergent_lab.baselines.raft import ELECTION_TIMEOUT_ROUNDS, Role
from emergent_lab.baselines.raft_messages import RaftMessage, RequestVote, Vote
from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.scenario import ScenarioError
from emergent_lab.scenario.schema import parse_scenario
from emergent_lab.score import ScoreFunction
from emergent_lab.sim.scheduler import Scheduler
from emergent_lab.sweep import plan

SCHEDULES = 500
LIVENESS_BOUND_S = 20.0
"""After the last heal (all nodes up, no loss), one leader within this many seconds.

Why 20 s: a leader may be deposed at the heal by a node that was cut off
with a higher term (no PreVote), then an election takes one election
timeout (at most 6 s) plus a round trip, and a split vote costs another
timeout; 20 s allows three such rounds. Measured over the 500 schedules:
at most 5.75 s (seed 356)."""


class Recorder:
    """A transport that keeps what a node sent, for the vote tests."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, Any]] = []

    def send(self, src: int, dst: int, message: Any) -> None:
        self.sent.append((dst, message))


def lone_node(ids: IdTable, clock: Scheduler, transport: Recorder) -> RaftNode:
    return RaftNode(
        "n0",
        ids=ids,
        params=ProtocolParams(),
        score=ScoreFunction.preset("lowest-id"),
        metrics={},
        clock=clock,
        transport=transport,  # type: ignore[arg-type]
        rng=np.random.default_rng(0),
    )


def test_cluster_and_scenario_run_raft_when_asked() -> None:
    cluster = SimCluster(ClusterConfig.create(5, seed=1, protocol_name="raft"))
    assert all(isinstance(node, RaftNode) for node in cluster.nodes.values())
    scenario = parse_scenario({"cluster": {"nodes": 5, "protocol": "raft"}})
    assert scenario.config.protocol == "raft"
    runs = plan(scenario, {"protocol": ["emergent", "raft"]})
    assert [r.scenario().config.protocol for r in runs] == ["emergent", "raft"]


def test_a_bad_protocol_in_a_scenario_names_the_field_and_the_choices() -> None:
    with pytest.raises(ScenarioError, match=r"^cluster.protocol: unknown protocol 'rafts' "):
        parse_scenario({"cluster": {"protocol": "rafts"}})
    with pytest.raises(ScenarioError, match=r"^cluster.protocol: 'raft' runs on the exact"):
        parse_scenario({"cluster": {"protocol": "raft", "engine": "array"}})


def test_one_vote_per_term_survives_a_restart() -> None:
    ids = IdTable(["n0", "n1", "n2"])
    clock, transport = Scheduler(), Recorder()
    node = lone_node(ids, clock, transport)
    node.start()
    node.receive(RequestVote(1, 5))
    node.receive(RequestVote(2, 5))  # same term, another candidate
    granted = [m.granted for _, m in transport.sent if isinstance(m, Vote)]
    assert granted == [True, False]
    node.stop()
    again = lone_node(ids, clock, transport)
    again.recover(node)
    again.start()
    assert (again.term, again.stable.voted_for) == (5, 1)
    again.receive(RequestVote(2, 5))
    again.receive(RequestVote(2, 6))  # a new term: a new vote
    granted = [m.granted for _, m in transport.sent if isinstance(m, Vote)]
    assert granted == [True, False, False, True]


def test_higher_term_makes_a_leader_step_down() -> None:
    cluster = SimCluster(ClusterConfig.create(3, seed=2, protocol_name="raft"))
    cluster.run(15)
    leader = cluster.node(cluster.leader() or "")
    assert isinstance(leader, RaftNode) and leader.role is Role.LEADER
    leader.receive(RaftMessage(0 if leader.index else 1, leader.term + 3))
    assert leader.role is Role.FOLLOWER and not leader.acting
    assert leader.term == leader.stable.current_term


@pytest.fixture(scope="module")
def schedules() -> list[tuple[int, dict[int, list[str]], float | None]]:
    """Per seed: terms with more than one leader, and seconds to one leader after the heal."""
    out = []
    for seed in range(SCHEDULES):
        cluster, log = raft_cluster(seed)
        cluster.run(QUIET_FROM)
        t, settled = QUIET_FROM, None
        while t <= QUIET_FROM + LIVENESS_BOUND_S:
            if one_leader(cluster) is not None:
                settled = t - QUIET_FROM
                break
            t += 0.25
            cluster.run(t)
        cluster.run(QUIET_FROM + LIVENESS_BOUND_S)
        out.append((seed, log.terms_with_two_leaders(), settled))
    return out


def test_at_most_one_leader_per_term_over_random_fault_schedules(
    schedules: list[tuple[int, dict[int, list[str]], float | None]],
) -> None:
    assert len(schedules) >= 500
    broken = [(seed, terms) for seed, terms, _ in schedules if terms]
    assert broken == []


def test_one_leader_within_the_bound_after_the_last_heal(
    schedules: list[tuple[int, dict[int, list[str]], float | None]],
) -> None:
    late = [seed for seed, _, settled in schedules if settled is None]
    assert late == []


def test_election_timeouts_are_drawn_within_the_stated_range() -> None:
    cluster = SimCluster(ClusterConfig.create(5, seed=3, protocol_name="raft"))
    cluster.run(30)
    leader = cluster.leader()
    cluster.crash("leader")
    cluster.run(60)
    event = build_report(cluster).events[0]
    low, high = ELECTION_TIMEOUT_ROUNDS
    assert event.resolved == [leader]
    assert event.detection_mean_s is not None and low <= event.detection_mean_s <= high + 0.1
    assert cluster.leader() not in (None, leader)


def partition_6_14(protocol: str) -> tuple[SimCluster, list[str]]:
    """20 nodes at convergence threshold 0.75; the leader and five others are cut off."""
    config = ClusterConfig.create(20, seed=4, protocol_name=protocol, convergence_threshold=0.75)
    cluster = SimCluster(config)
    cluster.run(20)
    leader = cluster.leader()
    assert leader is not None
    minority = [leader, *[i for i in config.ids if i != leader][:5]]
    majority = [i for i in config.ids if i not in minority]
    cluster.at(20, "partition", groups=[minority, majority])
    cluster.run(60)
    return cluster, minority


def test_raft_minority_has_no_leader_where_the_emergent_minority_has_one() -> None:
    raft, minority = partition_6_14("raft")
    assert [a for a in raft.acting_leaders() if a in minority] == []
    assert all(raft.node(i).recognised < 0 for i in minority)
    assert len(raft.acting_leaders()) == 1
    emergent, minority = partition_6_14("emergent")
    assert len([a for a in emergent.acting_leaders() if a in minority]) == 1
    raft_report, emergent_report = build_report(raft), build_report(emergent)
    # The old Raft leader leads on until its check-quorum window (3 heartbeats)
    # passes, while the majority elects; the emergent sides lead on for the
    # whole 40 s partition.
    assert raft_report.split_leadership_s < 3 * 1.0 + 1.0
    assert emergent_report.split_leadership_s > 30.0
