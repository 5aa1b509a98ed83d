"""The observer's timeline as plain series, for figures and time-weighted figures."""

from __future__ import annotations

from dataclasses import dataclass

from emergent_lab.exact.cluster import SimCluster


@dataclass(frozen=True)
class ClusterSeries:
    """The cluster's recorded state as step series (each value holds until the next time)."""

    time: list[float]
    up: list[int]
    agreement: list[float]
    acting: list[int]
    converged: list[bool]
    marks: list[tuple[float, str, str]]


def cluster_series(cluster: SimCluster) -> ClusterSeries:
    """Read the observer's timeline and marks, closed at the cluster's current time."""
    records = cluster.observer.timeline
    time = [r.time for r in records]
    series = ClusterSeries(
        time=time,
        up=[r.up for r in records],
        agreement=[r.agreement for r in records],
        acting=[r.acting for r in records],
        converged=[r.converged for r in records],
        marks=list(cluster.observer.marks),
    )
    if records and records[-1].time < cluster.time:
        last = records[-1]
        series.time.append(cluster.time)
        series.up.append(last.up)
        series.agreement.append(last.agreement)
        series.acting.append(last.acting)
        series.converged.append(last.converged)
    return series


def fraction_of_time(cluster: SimCluster, *, start: float, best: bool) -> float:
    """Share of the time from ``start`` to now that the cluster was converged.

    Args:
        cluster: a cluster that has run past ``start``.
        start: where to begin counting (e.g. after the warm-up).
        best: count only converged time whose leader was the best node by score.
    """
    records = cluster.observer.timeline
    end = cluster.time
    if end <= start:
        return 0.0
    total = 0.0
    for k, record in enumerate(records):
        until = records[k + 1].time if k + 1 < len(records) else end
        lo, hi = max(record.time, start), min(until, end)
        if hi > lo and record.converged and (record.leader_is_best or not best):
            total += hi - lo
    return total / (end - start)
