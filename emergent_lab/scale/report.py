"""The report of an array-engine run: the same :class:`Report` as the exact engine's.

The figures follow :func:`emergent_lab.cluster.report.build_report` rule for
rule (leader changes, split leadership and opinion changes counted from the
first convergence after the warm-up; reconvergence per event until the next
one), computed from the per-slot cluster timeline, since the array engine
keeps no per-node records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emergent_lab.cluster.report import EventReport, Report, _stable_from

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
    settled = next(
        (k for k, r in enumerate(timeline) if r.converged and r.time >= warmup), len(timeline)
    )
    settled_at = timeline[settled].time if settled < len(timeline) else end
    leader_changes = 0
    last_leader = NO_NODE
    split_s = 0.0
    episodes = 0
    most = 0
    for k in range(settled, len(timeline)):
        record = timeline[k]
        until = timeline[k + 1].time if k + 1 < len(timeline) else end
        if record.majority >= 0:
            if last_leader >= 0 and record.majority != last_leader:
                leader_changes += 1
            last_leader = record.majority
        if record.acting >= 2:
            split_s += until - record.time
            if k == settled or timeline[k - 1].acting < 2:
                episodes += 1
        most = max(most, record.acting)
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
        leader_changes=leader_changes,
        opinion_changes=opinion_changes,
        split_leadership_episodes=episodes,
        split_leadership_s=round(split_s, 9),
        max_simultaneous_leaders=most,
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
    ids = cluster.ids.ids
    events = cluster.events
    out = []
    for k, event in enumerate(events):
        later = [e.at for e in events[k + 1 :] if e.at > event.at]
        boundary = later[0] if later else end
        stable = _stable_from(timeline, boundary, inclusive=not later)
        report = EventReport(
            at_s=round(event.at, 9),
            action=event.action,
            target=event.target,
            resolved=event.resolved,
            reconverged_after_s=round(max(0.0, stable.time - event.at), 9) if stable else None,
            leader_after=ids[stable.leader] if stable else None,
            leader_is_best=stable.leader_is_best if stable else None,
        )
        if event.action == "crash" and event.resolved:
            seen = cluster.observer.detections.get((cluster.ids.index[event.resolved[0]], event.at))
            if seen is not None and seen.count:
                report.detection_mean_s = round(seen.total_s / seen.count, 9)
                report.detection_max_s = round(seen.max_s, 9)
                report.detected_by = seen.count
        out.append(report)
    return out
