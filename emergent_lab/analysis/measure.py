"""Measuring the same things on both engines: dissemination, failover, detection.

The cross-check test, the benchmarks and the lesson use these so that the
exact engine (``SimCluster``) and the array engine (``ArrayCluster``) are
measured by one definition each.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from emergent_lab.array.cluster import ArrayCluster
from emergent_lab.core.checks import check_number
from emergent_lab.detector import DetectorParams
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.protocol.topk_node import TopKNode
from emergent_lab.run.config import ClusterConfig
from emergent_lab.run.report import build_report

Cluster = SimCluster | ArrayCluster


def level_config(n: int, *, seed: int, **options: Any) -> tuple[ClusterConfig, str]:
    """A cluster whose nodes all score the same, and the node to promote in it.

    With equal scores the leader is the first id (``n0``), and a promoted
    node beats it by far more than any emergence threshold, so "every node
    follows the new best" is a clean dissemination event; after the promoted
    node crashes, the leader must fall back to ``n0``. The promoted node is
    drawn from ``seed``.
    """
    config = ClusterConfig.create(n, seed=seed, **options)
    middle = {name: (spec.low + spec.high) / 2 for name, spec in config.score.metrics.items()}
    config = ClusterConfig.create(n, seed=seed, metrics=[middle] * n, **options)
    promoted = config.ids[1 + int(np.random.default_rng(seed).integers(n - 1))]
    return config, promoted


def promote(cluster: Cluster, node: str) -> None:
    """Make ``node`` the best node from now (every metric at its best)."""
    cluster.set_metrics(node, cluster.score_function.best_metrics())


def dissemination_time(cluster: Cluster, node: str, *, within: float) -> float | None:
    """Promote ``node`` now; seconds until every up node follows it (None if not ``within``).

    Both engines are left at ``now + within``. The exact engine is read from
    the observer's per-node records (the first time each node followed the
    new best); the array engine is checked after every slot.
    """
    check_number("within", within, low=0, low_open=True)
    start = cluster.time
    promote(cluster, node)
    if isinstance(cluster, ArrayCluster):
        done: float | None = None
        while True:
            if done is None and cluster.followers(node) == cluster.up_count():
                done = cluster.time - start
            if cluster.next_slot_time() > start + within:
                break
            cluster.step_slot()
        cluster.run(start + within)
        return done
    index = cluster.ids.index[node]
    cluster.run(start + within)
    latest = start
    for i in np.flatnonzero(cluster.up).tolist():
        first = next(
            (r.time for r in cluster.observer.nodes[i] if r.time >= start and r.opinion == index),
            None,
        )
        if first is None:
            return None
        latest = max(latest, first)
    return latest - start


def failover_time(cluster: Cluster, *, at: float, within: float) -> float | None:
    """Crash the leader at ``at``; seconds until one leader is recognised by all, for good."""
    cluster.at(at, "crash", node="leader")
    cluster.run(at + within)
    crash = next(e for e in build_report(cluster).events if e.action == "crash")
    return crash.reconverged_after_s


CROSSCHECK_ENGINES = ("exact", "exact-topk", "full", "topk")
"""The exact engine with full and with top-k views, and the array engine's two views."""


def crosscheck_times(engine: str, n: int, seed: int) -> tuple[float, float]:
    """(dissemination s, failover s) of the cross-check scenario on one engine.

    Equal scores, so the first id leads; at 8 s one node is promoted (every
    metric at its best) and must be followed by everyone; at 13 s that
    leader crashes and one leader must be recognised again. ``engine`` is
    ``"exact"``, ``"exact-topk"`` (the exact engine with ``view = "topk"``) or
    an array view (``"full"``, ``"topk"``). A phase that does
    not finish in its window (5 s, 16 s) counts as ``inf``, which
    :func:`~emergent_lab.analysis.compare.agreement` reports as unfinished.

    Raises:
        RuntimeError: another leader than the first id was recognised at the end.
    """
    if engine not in CROSSCHECK_ENGINES:
        raise ValueError(
            f"engine: unknown engine {engine!r} (expected one of: {', '.join(CROSSCHECK_ENGINES)})"
        )
    exact_view = {"exact": "full", "exact-topk": "topk"}.get(engine)
    config, promoted = level_config(n, seed=seed, view=exact_view or "full")
    cluster: Cluster = SimCluster(config) if exact_view else ArrayCluster(config, view=engine)
    cluster.run(8)
    spread = dissemination_time(cluster, promoted, within=5)
    back = failover_time(cluster, at=13, within=16)
    if cluster.leader() not in (None, config.ids[0]):
        raise RuntimeError(
            f"cross-check on {engine} at n={n}, seed {seed}: leader {cluster.leader()!r} "
            f"after the crash (expected {config.ids[0]!r})"
        )
    return (math.inf if spread is None else spread), (math.inf if back is None else back)


def leader_silence(cluster: Cluster) -> float:
    """Mean silence after which the up nodes' detectors will suspect the current leader.

    That is ``suspect_at - last arrival`` of the leader's entry, averaged over
    the nodes that hold it: the detector's expected detection time at its
    threshold, from its own learned mean and deviation.
    """
    leader = cluster.leader() or cluster.resolve("leader")
    if isinstance(cluster, SimCluster):
        index = cluster.ids.index[leader]
        up = [n for n in cluster.nodes.values() if n.running and n.index != index]
        if cluster.config.view == "topk":  # the detectors live in the candidates
            held = [n.silence_of(index) for n in up if isinstance(n, TopKNode)]
            return float(np.mean([s for s in held if s is not None]))
        silences = [
            float(n.detector.suspect_at[index] - n.detector.last_heartbeat[index])
            for n in up
            if n.detector.known[index]
        ]
        return float(np.mean(silences))
    index = cluster.ids.index[leader]
    return float(np.mean(cluster.view.silences(index, cluster.up)))


def rounds_to_follow(
    n: int,
    *,
    seed: int = 0,
    fanout: int = 1,
    exchange: str = "push-pull",
    view: str = "topk",
    k: int = 8,
    pause: float = 30.0,
    limit: float = 200.0,
) -> float | None:
    """Rounds until every node of a fresh array-engine cluster follows its one best node.

    All nodes score the same but one, promoted before the first round; the
    rounds counted are those its state takes to reach everyone, the
    dissemination that epidemic theory bounds. ``pause`` is the detector's
    acceptable heartbeat pause: the default (30 s) keeps liveness out of the
    measurement, which matters for push with fanout 1, where heartbeats
    themselves spread too slowly for a strict detector.
    """
    detector = DetectorParams(acceptable_heartbeat_pause=pause)
    config, promoted = level_config(n, seed=seed, fanout=fanout, detector=detector)
    cluster = ArrayCluster(config, view=view, k=k, exchange=exchange)
    promote(cluster, promoted)
    while cluster.followers(promoted) < n:
        if cluster.next_slot_time() > limit:
            return None
        cluster.step_slot()
    return cluster.time / config.params.gossip_interval
