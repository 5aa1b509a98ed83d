"""Lesson 05: dynamic membership (nodes that join, crash and come back), read from the report.

A newcomer contacts a seed, learns every state it lacks in one push-pull
exchange, and the others learn of it by gossip: nothing is announced, and
leadership moves to it only if it beats the current leader by more than the
emergence threshold. Churn adds crashes, detected like any crash, and restarts
under a new generation, which the others accept as a new life of that node.
The observer's report says, per event, how long the cluster took to agree on
one leader again; these functions group that by kind of event, and measure
what a bigger membership costs in bytes.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from typing import Any

from emergent_lab.analysis.failover import Runs
from emergent_lab.analysis.timelines import cluster_series
from emergent_lab.analysis.variants import scenario_variant
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.run.report import EventReport, Report, build_report
from emergent_lab.scenario import build_cluster

KINDS = ("join", "restart", "crash", "leader crash")
"""The membership events a report can hold, in the order the tables list them."""


def event_kind(event: EventReport) -> str:
    """``join``, ``restart``, ``crash`` of an ordinary node, or ``leader crash``."""
    if event.action == "crash" and event.target.get("node") == "leader":
        return "leader crash"
    return event.action


def windowed_run(
    name: str, *, windows: Sequence[tuple[float, float]], seed: int | None = None
) -> tuple[SimCluster, Report, list[dict[str, Any]]]:
    """Run a scenario to its end, counting the bytes sent in each window of virtual time.

    The run stops at every window edge to read the network's counters, which
    changes nothing in the run (same events, same digest). Each window's row
    gives the nodes up (time-weighted mean) and the bytes sent per up node per
    second: the cost of gossip at that membership.

    Raises:
        ValueError: a window that is empty, reversed, overlaps another or ends
            after the run.
    """
    scenario = scenario_variant(name, seed=seed)
    edges = sorted({t for window in windows for t in window})
    for start, end in windows:
        if not 0 <= start < end <= scenario.until:
            raise ValueError(
                f"windows: ({start}, {end}) must satisfy 0 <= start < end <= {scenario.until:g} "
                "(the run's length)"
            )
    ordered = sorted(windows)
    if any(a[1] > b[0] for a, b in itertools.pairwise(ordered)):
        raise ValueError(f"windows: {list(windows)} overlap")
    cluster = build_cluster(scenario)
    sent: dict[float, int] = {}
    for edge in edges:
        cluster.run(edge)
        sent[edge] = cluster.counters().bytes
    cluster.run(scenario.until)
    series = cluster_series(cluster)
    rows = []
    for start, end in windows:
        up = _mean_up(series.time, series.up, start, end)
        rows.append(
            {
                "from s": float(start),
                "to s": float(end),
                "nodes up (mean)": up,
                "B/node/s": (sent[end] - sent[start]) / ((end - start) * up),
            }
        )
    report = build_report(cluster, scenario=scenario.name, warmup=scenario.warmup)
    return cluster, report, rows


def _mean_up(times: Sequence[float], up: Sequence[int], start: float, end: float) -> float:
    """Nodes up, averaged over ``[start, end)`` (each recorded value holds until the next)."""
    total = 0.0
    for k, count in enumerate(up):
        until = times[k + 1] if k + 1 < len(times) else end
        total += count * max(0.0, min(until, end) - max(times[k], start))
    return total / (end - start)


def membership_rows(runs: Runs) -> list[dict[str, Any]]:
    """Per scenario and kind of event: how many applied, and how soon the cluster agreed again.

    Skipped events (a crash of a node already down) are left out. An event
    whose reconvergence spans later events (``interrupted``) is counted, and
    how many were is shown: its figure is not that event's alone.
    """
    rows = []
    for name, (_, report) in runs.items():
        for kind in KINDS:
            events = [e for e in report.events if event_kind(e) == kind and e.skipped is None]
            if not events:
                continue
            times = [e.reconverged_after_s for e in events if e.reconverged_after_s is not None]
            rows.append(
                {
                    "scenario": name,
                    "event": kind,
                    "applied": len(events),
                    "interrupted": sum(1 for e in events if e.interrupted_by_s),
                    "agreed again: median s": statistics.median(times) if times else None,
                    "max s": max(times) if times else None,
                }
            )
    return rows


def leader_sequence(report: Report) -> list[str]:
    """The leaders the cluster agreed on after each event, repeats folded."""
    leaders: list[str] = []
    for event in report.events:
        if event.leader_after is not None and (not leaders or leaders[-1] != event.leader_after):
            leaders.append(event.leader_after)
    return leaders


def reconvergence_points(report: Report) -> dict[str, tuple[list[float], list[float]]]:
    """For a figure: per kind of event, (event times, seconds until the cluster agreed again)."""
    points: dict[str, tuple[list[float], list[float]]] = {}
    for kind in KINDS:
        picked = [
            e
            for e in report.events
            if event_kind(e) == kind and e.skipped is None and e.reconverged_after_s is not None
        ]
        if picked:
            points[kind] = (
                [e.at_s for e in picked],
                [float(e.reconverged_after_s or 0.0) for e in picked],
            )
    return points


def leader_moves(report: Report) -> list[dict[str, Any]]:
    """The events after which the cluster agreed on another leader than before them.

    Events at the same time are taken together (a restart and a crash at 45 s);
    the leader before the first event is where the list starts, not a move.
    """
    rows: list[dict[str, Any]] = []
    before: str | None = None
    for at in sorted({e.at_s for e in report.events}):
        same = [e for e in report.events if e.at_s == at and e.skipped is None]
        after = next((e.leader_after for e in same if e.leader_after is not None), None)
        if before is not None and after is not None and after != before:
            rows.append(
                {
                    "at s": at,
                    "events": ", ".join(f"{event_kind(e)} {' '.join(e.resolved)}" for e in same),
                    "leader before": before,
                    "leader after": after,
                }
            )
        before = after or before
    return rows
