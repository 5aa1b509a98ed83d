"""Lesson 05: faults and failover, measured by the observer and decomposed.

Failover after a leader crash has two parts: *detection* (each node's
phi-accrual detector convicts the silent leader, so the node moves its
opinion to the next best) and *dissemination* (the new opinions gossip
around until every node sees the convergence-threshold share agree and
recognises the new leader). The observer records both: when each node
suspected the crashed leader, and when the cluster converged again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np

from emergent_lab.analysis.variants import run_exact, run_variant
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.run.config import ClusterConfig
from emergent_lab.run.report import EventReport, Report, build_report
from emergent_lab.scenario import load_scenario
from emergent_lab.sim.latency import ConstantLatency

USE_CASES = ("iot-mesh", "microservice-mesh", "cdn-edge", "p2p-churn")
"""One built-in scenario per domain the pattern is meant for."""
FAULTS = ("leader-crash", "gc-pause", "partition-heal", "lossy-network")


def detection_times(cluster: SimCluster, node: str, at: float) -> list[float]:
    """Seconds each observer took to suspect ``node`` after it crashed at ``at``, sorted."""
    index = cluster.ids.index[node]
    seen = cluster.observer.suspicions.detections.get((index, at), {})
    return sorted(seen.values())


def failover_decomposition(
    *, seeds: Sequence[int], scenario: str = "leader-crash"
) -> list[dict[str, Any]]:
    """Failover of a leader crash split into detection and dissemination, per seed.

    ``detection`` is the mean time the nodes took to suspect the crashed
    leader; ``dissemination`` is the rest of the failover (until every node
    recognised one new leader), which includes waiting for the slowest
    detectors as well as gossiping the new opinions.
    """
    rows = []
    for seed in seeds:
        cluster, report = run_variant(scenario, seed=seed)
        crash = next(e for e in report.events if e.action == "crash")
        delays = detection_times(cluster, crash.resolved[0], crash.at_s)
        failover = crash.reconverged_after_s
        detection = float(np.mean(delays)) if delays else None
        rows.append(
            {
                "seed": seed,
                "crashed": crash.resolved[0],
                "new leader": crash.leader_after,
                "first detection s": delays[0] if delays else None,
                "last detection s": delays[-1] if delays else None,
                "detection s": detection,
                "dissemination s": failover - detection
                if failover is not None and detection is not None
                else None,
                "failover s": failover,
            }
        )
    return rows


Runs = dict[str, tuple[SimCluster, Report]]


def run_all(names: Sequence[str]) -> Runs:
    """Run each named scenario once (kept for tables and the observer's figures)."""
    return {name: run_exact(load_scenario(name)) for name in names}


def fault_rows(runs: Runs) -> list[dict[str, Any]]:
    """One row per event of each fault scenario: how and when the cluster came through."""
    rows = []
    for name, (_, report) in runs.items():
        for event in report.events:
            rows.append(
                {
                    "scenario": name,
                    "at s": event.at_s,
                    "event": event.action,
                    "reconverged after s": event.reconverged_after_s,
                    "note": _note(event),
                    "leader after": event.leader_after,
                    "best": event.leader_is_best,
                    "split s": report.split_leadership_s,
                    "false suspicions": report.false_suspicions,
                }
            )
    return rows


def _note(event: EventReport) -> str:
    """Why a reconvergence figure is missing or not the event's alone."""
    if event.skipped is not None:
        return f"skipped: {event.skipped}"
    if event.interrupted_by_s:
        return "interrupted at " + ", ".join(f"{t:g} s" for t in event.interrupted_by_s)
    return "" if event.reconverged_after_s is not None else "did not reconverge"


def use_case_rows(runs: Runs) -> list[dict[str, Any]]:
    """The domain scenarios side by side: size, score, convergence, failover, cost."""
    rows = []
    for name, (cluster, report) in runs.items():
        failovers = [
            e.reconverged_after_s
            for e in report.events
            if e.action == "crash" and e.target.get("node") == "leader"
        ]
        rows.append(
            {
                "scenario": name,
                "nodes": report.nodes,
                "score": cluster.config.score.name,
                "first convergence s": report.initial_convergence_s,
                "leader changes": report.leader_changes,
                "leader failover s": failovers[0] if failovers else None,
                "split s": report.split_leadership_s,
                "false suspicions": report.false_suspicions,
                "B/node/s": report.bytes_per_node_per_s,
            }
        )
    return rows


def backbone_cluster(
    name: str = "Abilene", *, seed: int = 1, until: float = 90.0
) -> tuple[SimCluster, list[list[str]]]:
    """A cluster on a real ISP backbone (Topology Zoo), split west / east and healed.

    Each router of the backbone runs one node; messages travel along the
    backbone's links, 5 ms per hop. At 30 s the network splits at the median
    longitude (the two coasts), at 60 s it heals.
    """
    from emergent_lab.datasets import load_topology

    graph = load_topology(name)
    ids = [f"n{k}" for k in range(graph.number_of_nodes())]
    mapping = dict(zip(graph.nodes, ids, strict=True))
    longitudes = {mapping[node]: float(data.get("x", 0.0)) for node, data in graph.nodes(data=True)}
    relabelled = nx.relabel_nodes(graph, mapping)
    config = ClusterConfig.create(ids, seed=seed, graph=relabelled, latency=ConstantLatency(0.005))
    cluster = SimCluster(config)
    median = float(np.median(list(longitudes.values())))
    west = [n for n in ids if longitudes[n] < median]
    east = [n for n in ids if longitudes[n] >= median]
    cluster.at(30.0, "partition", groups=[west, east])
    cluster.at(60.0, "heal")
    cluster.run(until)
    return cluster, [west, east]


def backbone_report(cluster: SimCluster) -> Report:
    """The backbone run's report (a thin name for the lesson's cell)."""
    return build_report(cluster, scenario="backbone-partition")


def router_names(name: str = "Abilene") -> dict[str, str]:
    """Node id -> the router's city label, in the numbering :func:`backbone_cluster` uses."""
    from emergent_lab.datasets import load_topology

    graph = load_topology(name)
    return {
        f"n{k}": str(data.get("label", node))
        for k, (node, data) in enumerate(graph.nodes(data=True))
    }
