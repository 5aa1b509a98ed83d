"""Emergent, Bully and Raft side by side: failover, traffic, and who leads each side of a partition.

Lesson 06 compares the emergent leader with explicit elections. A quorum
election is the one the pattern's "two leaders during a partition, as they
must" leaves out: under Raft a minority side elects nobody, and the old
leader steps down once it no longer hears a majority (check-quorum). These
measurements put the three protocols on the same simulated network so a
learner can see where each claim holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emergent_lab.core.checks import check_number
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.run.config import PROTOCOLS, ClusterConfig
from emergent_lab.run.report import build_report

COMPARED = ("emergent", "bully", "raft")
"""The protocols lesson 06 compares (keys of ``PROTOCOLS``)."""


def _checked(protocols: Sequence[str]) -> list[str]:
    for name in protocols:
        if name not in PROTOCOLS:
            known = ", ".join(PROTOCOLS)
            raise ValueError(f"protocols: unknown protocol {name!r} (expected one of: {known})")
    return list(protocols)


def failover_rows(
    protocols: Sequence[str] = COMPARED,
    *,
    nodes: int = 20,
    seeds: Sequence[int] = (1, 2, 3),
    loss: float = 0.0,
    crash_at: float = 30.0,
    until: float = 60.0,
) -> list[dict[str, Any]]:
    """One row per protocol and seed: the leader crashes at ``crash_at``; how long until one leads.

    ``failover s`` is the observer's figure for every protocol (crash to one
    leader recognised by every live node, for good); ``detect s`` how long
    the members took to notice; traffic is per node per second over the run.
    """
    check_number("nodes", nodes, low=3, integer=True)
    check_number("loss", loss, low=0, high=0.9)
    check_number("crash_at", crash_at, low=0, low_open=True)
    check_number("until", until, low=crash_at, low_open=True)
    rows = []
    for protocol in _checked(protocols):
        for seed in seeds:
            config = ClusterConfig.create(
                nodes, seed=int(seed), protocol_name=protocol, loss=loss, score="lowest-id"
            )
            cluster = SimCluster(config)
            cluster.at(crash_at, "crash", node="leader")
            cluster.run(until)
            report = build_report(cluster)
            crash = report.events[0]
            rows.append(
                {
                    "protocol": protocol,
                    "seed": int(seed),
                    "failover s": crash.reconverged_after_s,
                    "detect s": crash.detection_mean_s,
                    "msg/node/s": report.messages_per_node_per_s,
                    "B/node/s": report.bytes_per_node_per_s,
                }
            )
    return rows


def partition_rows(
    protocols: Sequence[str] = COMPARED,
    *,
    nodes: int = 20,
    minority: int = 6,
    seeds: Sequence[int] = (4, 5, 6),
    convergence_threshold: float = 0.75,
    at: float = 20.0,
    until: float = 60.0,
) -> list[dict[str, Any]]:
    """One row per protocol and seed: the leader and ``minority - 1`` others are cut off at ``at``.

    ``minority leads`` and ``majority leads`` count the nodes acting as leader
    on each side at ``until`` (the partition lasts to the end); ``split s`` is
    how long two or more acted at once.
    """
    check_number("nodes", nodes, low=3, integer=True)
    check_number("minority", minority, low=1, high=nodes - 1, integer=True)
    check_number("at", at, low=0, low_open=True)
    check_number("until", until, low=at, low_open=True)
    rows = []
    for protocol in _checked(protocols):
        for seed in seeds:
            config = ClusterConfig.create(
                nodes,
                seed=int(seed),
                protocol_name=protocol,
                convergence_threshold=convergence_threshold,
            )
            cluster = SimCluster(config)
            cluster.run(at)
            leader = cluster.resolve("leader")
            small = [leader, *[i for i in config.ids if i != leader][: minority - 1]]
            large = [i for i in config.ids if i not in small]
            cluster.partition([small, large])
            cluster.run(until)
            acting = cluster.acting_leaders()
            report = build_report(cluster)
            rows.append(
                {
                    "protocol": protocol,
                    "seed": int(seed),
                    "minority leads": sum(1 for a in acting if a in small),
                    "majority leads": sum(1 for a in acting if a in large),
                    "split s": report.split_leadership_s,
                    "msg/node/s": report.messages_per_node_per_s,
                }
            )
    return rows
