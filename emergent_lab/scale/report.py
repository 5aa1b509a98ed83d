"""The report of an array-engine run: the same :class:`Report` as the exact engine's.

The figures follow :func:`emergent_lab.cluster.report.build_report` rule for
rule (leader changes, split leadership and opinion changes counted from the
first convergence after the warm-up; reconvergence per event until the next
one), computed from the per-slot cluster timeline, since the array engine
keeps no per-node records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emergent_lab.cluster.report import EventReport, Report, event_report, timeline_figures

if TYPE_CHECKING:
    from emergent_lab.scale.engine import ArrayCluster

NO_NODE = -1


def build_array_report(
    cluster: ArrayCluster, *, scenario: str = "custom", warmup: float = 0.0
) -> Report:
    """Compute every figure of the run so far, as ``build_report`` does for ``SimCluster``."""
    obs = cluster.observer
    timeline = obs.timeline
    end = cluster.time
    ids = cluster.ids.ids
    figures = timeline_figures(timeline, end, warmup=warmup)
    settled_at = figures.settled_at
    opinion_changes = sum(count for time, count in obs.opinion_changes if time >= settled_at)
    first_event = cluster.events[0].at if cluster.events else end
    initial = next((r.time for r in timeline if r.converged and r.time <= first_event), None)
    final = timeline[-1] if timeline else None
    nodes = cluster.n
    duration = max(end, 1e-9)
    return Report(
        scenario=scenario,
        seed=cluster.config.seed,
        nodes=nodes,
        duration_s=round(end, 9),
        final_leader=ids[final.leader] if final and final.leader >= 0 else None,
        final_leader_is_best=bool(final and final.leader_is_best),
        converged=bool(final and final.converged),
        initial_convergence_s=initial,
        leader_changes=figures.leader_changes,
        opinion_changes=opinion_changes,
        split_leadership_episodes=figures.split_episodes,
        split_leadership_s=round(figures.split_s, 9),
        max_simultaneous_leaders=figures.most_leaders,
        false_suspicions=obs.false_suspicions,
        unreachable_suspicions=obs.unreachable_suspicions,
        messages=cluster.messages_sent,
        messages_dropped=cluster.messages_dropped,
        bytes=cluster.bytes_sent,
        bytes_per_node_per_s=round(cluster.bytes_sent / nodes / duration, 3),
        messages_per_node_per_s=round(cluster.messages_sent / nodes / duration, 3),
        events=_event_reports(cluster, end),
        event_log_sha256=obs.log.hexdigest(),
    )


def _event_reports(cluster: ArrayCluster, end: float) -> list[EventReport]:
    timeline = cluster.observer.timeline
    events = cluster.events
    out = []
    for event in events:
        report = event_report(event, events, timeline, end, cluster.ids.ids)
        if event.action == "crash" and event.resolved and report.skipped is None:
            seen = cluster.observer.detections.get((cluster.ids.index[event.resolved[0]], event.at))
            if seen is not None and seen.count:
                report.detection_mean_s = round(seen.total_s / seen.count, 9)
                report.detection_max_s = round(seen.max_s, 9)
                report.detected_by = seen.count
        out.append(report)
    return out
