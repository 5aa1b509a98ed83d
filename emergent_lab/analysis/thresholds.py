"""Lesson 04: the emergence threshold against thrashing, the convergence threshold against splits.

Every figure here is a built-in scenario run with one threshold changed, over
a few seeds, so the sweep is the same experiment a learner can run from a
scenario file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emergent_lab.analysis.timelines import fraction_of_time
from emergent_lab.analysis.variants import mean, run_variant, scenario_variant
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.run.report import build_report
from emergent_lab.scenario import build_cluster

BUSY_MACHINES = (
    "ec2_cpu_utilization_5f5533",
    "ec2_cpu_utilization_77c1ca",
    "ec2_cpu_utilization_ac20cd",
    "ec2_cpu_utilization_fe7f93",
    "rds_cpu_utilization_cc0c53",
    "rds_cpu_utilization_e47b3b",
)
"""NAB machines that are never idle for long: their load curves cross each other."""


def _until(until: float | None) -> dict[str, float]:
    return {} if until is None else {"run.until": until}


def emergence_sweep(
    thresholds: Sequence[float],
    *,
    seeds: Sequence[int],
    scenario: str = "flapping-scores",
    until: float | None = None,
) -> list[dict[str, Any]]:
    """Leader and opinion changes as the emergence threshold rises (means over seeds).

    ``until`` shortens the scenario's run (seconds of virtual time).
    """
    rows = []
    for threshold in thresholds:
        changes = {"leader.emergence_threshold": threshold, **_until(until)}
        reports = [run_variant(scenario, seed=s, changes=changes)[1] for s in seeds]
        rows.append(
            {
                "emergence threshold": float(threshold),
                "leader changes": mean([float(r.leader_changes) for r in reports]),
                "opinion changes": mean([float(r.opinion_changes) for r in reports]),
                "split leadership s": mean([r.split_leadership_s for r in reports]),
            }
        )
    return rows


def convergence_sweep(
    thresholds: Sequence[float],
    *,
    seeds: Sequence[int],
    scenario: str = "flapping-scores",
    emergence_threshold: float = 0.01,
    until: float | None = None,
) -> list[dict[str, Any]]:
    """Time to first recognition and split leadership as the convergence threshold rises.

    Run on noisy scores with a small emergence threshold, so opinions keep
    moving and a low convergence threshold lets several nodes each believe
    they lead. ``until`` shortens the scenario's run.
    """
    rows = []
    for threshold in thresholds:
        changes = {
            "leader.convergence_threshold": threshold,
            "leader.emergence_threshold": emergence_threshold,
            **_until(until),
        }
        reports = [run_variant(scenario, seed=s, changes=changes)[1] for s in seeds]
        recognised = [r.initial_convergence_s for r in reports if r.initial_convergence_s]
        rows.append(
            {
                "convergence threshold": float(threshold),
                "first recognition s": mean(recognised),
                "split leadership s": mean([r.split_leadership_s for r in reports]),
                "most leaders at once": max(r.max_simultaneous_leaders for r in reports),
                "leader changes": mean([float(r.leader_changes) for r in reports]),
            }
        )
    return rows


def real_load_cluster(
    emergence_threshold: float, *, names: Sequence[str] = BUSY_MACHINES, until: float | None = None
) -> SimCluster:
    """The ``cpu-traces`` scenario on the given machines, run with one emergence threshold."""
    changes: dict[str, Any] = {
        "leader.emergence_threshold": emergence_threshold,
        "cluster.nodes": len(names),
        "score.traces": {
            "dataset": "nab",
            "compress": 2016.0,
            "metric": "cpu",
            "names": list(names),
        },
    }
    if until is not None:
        changes["run.until"] = until
    scenario = scenario_variant("cpu-traces", changes=changes)
    cluster = build_cluster(scenario)
    cluster.run(scenario.until)
    return cluster


def real_load_runs(
    thresholds: Sequence[float], *, names: Sequence[str] = BUSY_MACHINES
) -> dict[float, SimCluster]:
    """The real-load scenario run once per emergence threshold (kept for tables and figures)."""
    return {float(t): real_load_cluster(t, names=names) for t in thresholds}


def real_load_rows(runs: dict[float, SimCluster], *, warmup: float = 10.0) -> list[dict[str, Any]]:
    """On replayed real CPU load: leader changes, and how often the leader is the least loaded.

    A higher threshold trades some time on a slightly worse leader for far
    fewer hand-overs; the table shows both sides.
    """
    rows = []
    for threshold, cluster in runs.items():
        report = build_report(cluster, warmup=warmup)
        rows.append(
            {
                "emergence threshold": threshold,
                "leader changes": report.leader_changes,
                "opinion changes": report.opinion_changes,
                "converged share": fraction_of_time(cluster, start=warmup, best=False),
                "best-leader share": fraction_of_time(cluster, start=warmup, best=True),
            }
        )
    return rows


def leader_steps(cluster: SimCluster) -> tuple[list[float], list[float]]:
    """The leader recognised by a majority over time, as node numbers (NaN while none)."""
    times, leaders = [], []
    for record in cluster.observer.timeline:
        times.append(record.time)
        leaders.append(float(record.majority) if record.majority >= 0 else float("nan"))
    return times, leaders


def replayed_loads(
    names: Sequence[str] = BUSY_MACHINES, *, compress: float = 2016.0, until: float = 300.0
) -> dict[str, tuple[list[float], list[float]]]:
    """The CPU series node ``n{k}`` replays (trace ``names[k]``), on the simulation's clock."""
    from emergent_lab.datasets import load_cpu_traces

    out = {}
    for k, trace in enumerate(load_cpu_traces(names).values()):
        fast = trace.compressed(compress)
        keep = fast.times_s <= until
        out[f"n{k}"] = (fast.times_s[keep].tolist(), fast.cpu_percent[keep].tolist())
    return out
