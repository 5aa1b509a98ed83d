"""Seeded random fault schedules for Raft's election, and what must hold under them.

Shared by the safety and liveness tests. One schedule, drawn from
``numpy.random.default_rng(seed)``: a cluster of 3 to 5 nodes, up to
``MAX_FAULTS`` faults (crash, restart, pause, partition, heal, loss) at random
times in ``[FAULTS_FROM, QUIET_FROM)``; at ``QUIET_FROM`` the network heals,
loses nothing any more and every crashed node restarts (Raft needs a
majority up to elect anyone, so liveness is only owed with one).

What is recorded: every (term, node) pair for which the node acted as leader,
seen through the listener every node reports to, so a leader that lasted a
single instant between two events is seen too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emergent_lab.baselines.raft import RaftNode
from emergent_lab.exact import SimCluster
from emergent_lab.run import ClusterConfig

FAULTS_FROM = 1.0
QUIET_FROM = 20.0
MAX_FAULTS = 8
ACTIONS = ("crash", "restart", "pause", "partition", "heal", "set_loss")


@dataclass
class LeaderLog:
    """Which nodes acted as leader in which term."""

    by_term: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))

    def terms_with_two_leaders(self) -> dict[int, list[str]]:
        return {t: sorted(ids) for t, ids in self.by_term.items() if len(ids) > 1}


def raft_cluster(seed: int) -> tuple[SimCluster, LeaderLog]:
    """A small Raft cluster whose leaders are logged by term from the start."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 6))
    cluster = SimCluster(ClusterConfig.create(n, seed=seed, protocol_name="raft"))
    log = LeaderLog()
    report = cluster.observer.node_changed

    def node_changed(node: Any, now: float) -> None:
        if isinstance(node, RaftNode) and node.acting:
            log.by_term[node.term].add(node.node_id)
        report(node, now)

    cluster.observer.node_changed = node_changed  # type: ignore[method-assign]
    _schedule(cluster, rng)
    return cluster, log


def _schedule(cluster: SimCluster, rng: np.random.Generator) -> None:
    ids = list(cluster.config.ids)
    for _ in range(int(rng.integers(0, MAX_FAULTS + 1))):
        at = float(rng.uniform(FAULTS_FROM, QUIET_FROM))
        action = ACTIONS[int(rng.integers(len(ACTIONS)))]
        node = ids[int(rng.integers(len(ids)))]
        arguments: dict[str, Any] = {"node": node}
        if action == "pause":  # ends before the quiet period
            arguments["duration"] = max(0.05, float(rng.random()) * (QUIET_FROM - at))
        elif action == "partition":
            side = rng.random(len(ids)) < 0.5
            groups = [[i for i, s in zip(ids, side, strict=True) if s == h] for h in (True, False)]
            if not groups[0] or not groups[1]:
                continue
            arguments = {"groups": groups}
        elif action == "heal":
            arguments = {}
        elif action == "set_loss":
            arguments = {"loss": round(float(rng.uniform(0.0, 0.3)), 3)}
        cluster.at(at, action, **arguments)
    cluster.at(QUIET_FROM, "heal")
    cluster.at(QUIET_FROM, "set_loss", loss=0.0)
    for node in ids:
        cluster.at(QUIET_FROM, "restart", node=node)  # skipped for a node that is up


def one_leader(cluster: SimCluster) -> str | None:
    """The leader when exactly one node leads and every node follows it in its term."""
    nodes = [n for n in cluster.nodes.values() if isinstance(n, RaftNode)]
    leaders = [n for n in nodes if n.acting]
    if len(nodes) != len(cluster.nodes) or len(leaders) != 1 or not all(n.running for n in nodes):
        return None
    leader = leaders[0]
    agree = all(n.leader_id == leader.index and n.term == leader.term for n in nodes)
    return leader.node_id if agree else None
