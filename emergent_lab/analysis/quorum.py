"""Emergent, Bully and Raft side by side: failover, traffic, and who leads each side of a partition.

Lesson 06 compares the emergent leader with explicit elections. A quorum
election is the one the pattern's "two leaders during a partition, as they
must" leaves out: under Raft a minority side elects nobody, and the old
leader steps down once it no longer hears a majority (check-quorum). These
measurements put the three protocols on the same simulated network so a
learner can see where each claim holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
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
    executor: Executor | None = None,
) -> list[dict[str, Any]]:
    """One row per protocol and seed: the leader crashes at ``crash_at``; how long until one leads.

    ``failover s`` is the observer's figure for every protocol (crash to one
    leader recognised by every live node, for good); ``detect s`` how long
    the members took to notice; traffic is per node per second over the run.
    Runs are independent, so an ``executor`` (a process pool) may run them
    side by side; the rows come back in the same order either way.
    """
    check_number("nodes", nodes, low=3, integer=True)
    check_number("loss", loss, low=0, high=0.9)
    check_number("crash_at", crash_at, low=0, low_open=True)
    check_number("until", until, low=crash_at, low_open=True)
    runs = [
        (protocol, int(seed), nodes, loss, crash_at, until)
        for protocol in _checked(protocols)
        for seed in seeds
    ]
    return _map(_failover_row, runs, executor)


def _map(
    run: Callable[..., dict[str, Any]], runs: Sequence[tuple[Any, ...]], executor: Executor | None
) -> list[dict[str, Any]]:
    """``run(*args)`` for every tuple of ``runs``, in order, on ``executor`` if one is given."""
    if executor is None:
        return [run(*args) for args in runs]
    return list(executor.map(run, *zip(*runs, strict=True)))


def _failover_row(
    protocol: str, seed: int, nodes: int, loss: float, crash_at: float, until: float
) -> dict[str, Any]:
    """One run of :func:`failover_rows` (top level, so a process pool can pickle it)."""
    config = ClusterConfig.create(
        nodes, seed=seed, protocol_name=protocol, loss=loss, score="lowest-id"
    )
    cluster = SimCluster(config)
    cluster.at(crash_at, "crash", node="leader")
    cluster.run(until)
    report = build_report(cluster)
    crash = report.events[0]
    return {
        "protocol": protocol,
        "seed": seed,
        "failover s": crash.reconverged_after_s,
        "detect s": crash.detection_mean_s,
        "msg/node/s": report.messages_per_node_per_s,
        "B/node/s": report.bytes_per_node_per_s,
    }


def partition_rows(
    protocols: Sequence[str] = COMPARED,
    *,
    nodes: int = 20,
    minority: int = 6,
    seeds: Sequence[int] = (4, 5, 6),
    convergence_threshold: float = 0.75,
    at: float = 20.0,
    until: float = 60.0,
    executor: Executor | None = None,
) -> list[dict[str, Any]]:
    """One row per protocol and seed: the leader and ``minority - 1`` others are cut off at ``at``.

    ``minority leads`` and ``majority leads`` count the nodes acting as leader
    on each side at ``until`` (the partition lasts to the end); ``split s`` is
    how long two or more acted at once. ``executor`` as in :func:`failover_rows`.
    """
    check_number("nodes", nodes, low=3, integer=True)
    check_number("minority", minority, low=1, high=nodes - 1, integer=True)
    check_number("at", at, low=0, low_open=True)
    check_number("until", until, low=at, low_open=True)
    runs = [
        (protocol, int(seed), nodes, minority, convergence_threshold, at, until)
        for protocol in _checked(protocols)
        for seed in seeds
    ]
    return _map(_partition_row, runs, executor)


def _partition_row(
    protocol: str,
    seed: int,
    nodes: int,
    minority: int,
    convergence_threshold: float,
    at: float,
    until: float,
) -> dict[str, Any]:
    """One run of :func:`partition_rows` (top level, so a process pool can pickle it)."""
    config = ClusterConfig.create(
        nodes, seed=seed, protocol_name=protocol, convergence_threshold=convergence_threshold
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
    return {
        "protocol": protocol,
        "seed": seed,
        "minority leads": sum(1 for a in acting if a in small),
        "majority leads": sum(1 for a in acting if a in large),
        "split s": report.split_leadership_s,
        "msg/node/s": report.messages_per_node_per_s,
    }
