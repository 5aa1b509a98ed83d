"""The observer's figures for a run: convergence, split leadership, detection, cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from emergent_lab.core.ids import NO_NODE
from emergent_lab.run.engine import Engine
from emergent_lab.run.events import EventRecord
from emergent_lab.run.observer import ClusterRecord


@dataclass
class EventReport:
    """How the cluster came through one fault or change."""

    at_s: float
    action: str
    target: dict[str, Any]
    resolved: list[str]
    reconverged_after_s: float | None
    """Seconds from the event until every up node recognised one up leader, for
    good (until the next event that interrupted nothing, or the end); None if
    that never happened or the event was skipped."""
    leader_after: str | None
    leader_is_best: bool | None
    detection_mean_s: float | None = None
    detection_max_s: float | None = None
    detected_by: int | None = None
    skipped: str | None = None
    """Why a scheduled event did not apply (it changed nothing), else None."""
    interrupted_by_s: list[float] = field(default_factory=list)
    """Times of later events that came before the cluster had settled: the
    reconvergence above then spans them, and is not this event's alone."""


@dataclass
class Report:
    """The figures of one run, as printed by the CLI and written as JSON."""

    scenario: str
    seed: int
    nodes: int
    duration_s: float
    final_leader: str | None
    final_leader_is_best: bool
    converged: bool
    initial_convergence_s: float | None
    leader_changes: int
    """Changes of the leader recognised by a majority of up nodes, after the first convergence."""
    opinion_changes: int
    split_leadership_episodes: int
    split_leadership_s: float
    max_simultaneous_leaders: int
    false_suspicions: int
    unreachable_suspicions: int
    messages: int
    messages_dropped: int
    bytes: int
    bytes_per_node_per_s: float
    messages_per_node_per_s: float
    events: list[EventReport] = field(default_factory=list)
    event_log_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)

    def summary(self) -> str:
        """A readable report for a terminal."""
        lines = [
            f"scenario {self.scenario}  seed {self.seed}  nodes {self.nodes}  "
            f"duration {self.duration_s:g} s",
            f"final leader      {self.final_leader or '(none recognised)'}"
            + (" (best by score)" if self.final_leader_is_best else ""),
            f"converged         {'yes' if self.converged else 'no'}"
            + (
                f" (first after {self.initial_convergence_s:.2f} s)"
                if self.initial_convergence_s is not None
                else ""
            ),
            f"leader changes    {self.leader_changes}   opinion changes {self.opinion_changes}",
            f"split leadership  {self.split_leadership_s:.2f} s in "
            f"{self.split_leadership_episodes} episode(s), at most "
            f"{self.max_simultaneous_leaders} leader(s) at once",
            f"false suspicions  {self.false_suspicions} "
            f"(plus {self.unreachable_suspicions} of nodes cut off)",
            f"traffic           {self.messages} messages ({self.messages_dropped} dropped), "
            f"{self.bytes} bytes, {self.bytes_per_node_per_s:.1f} B/node/s",
        ]
        if self.events:
            lines.append("events:")
        for e in self.events:
            target = " ".join(f"{k}={v}" for k, v in e.target.items())
            resolved = (
                f" -> {', '.join(e.resolved)}"
                if e.resolved and e.resolved != [e.target.get("node")]
                else ""
            )
            after = (
                f"reconverged after {e.reconverged_after_s:.2f} s on {e.leader_after}"
                if e.reconverged_after_s is not None
                else "did not reconverge"
            )
            if e.interrupted_by_s:
                times = ", ".join(f"{t:g} s" for t in e.interrupted_by_s)
                after += f" (interrupted by the event(s) at {times})"
            if e.skipped is not None:
                after = f"skipped: {e.skipped}"
            detect = (
                f"; detected in {e.detection_mean_s:.2f} s mean, {e.detection_max_s:.2f} s max"
                if e.detection_mean_s is not None
                else ""
            )
            lines.append(f"  {e.at_s:8.2f} s  {e.action} {target}{resolved}: {after}{detect}")
        lines.append(f"event log sha256  {self.event_log_sha256}")
        return "\n".join(lines)


def stable_from(
    timeline: Sequence[ClusterRecord], end: float, *, inclusive: bool
) -> ClusterRecord | None:
    """The first record of the converged run still in effect at ``end``, if any.

    ``inclusive`` counts records made exactly at ``end`` (the end of the run);
    at the next event's time they belong to that event instead.
    """
    in_effect = [r for r in timeline if r.time < end or (inclusive and r.time == end)]
    if not in_effect or not in_effect[-1].converged:
        return None
    first = in_effect[-1]
    for record in reversed(in_effect):
        if not record.converged or record.leader != first.leader:
            break
        first = record
    return first


def event_report(
    event: EventRecord,
    events: Sequence[EventRecord],
    timeline: Sequence[ClusterRecord],
    end: float,
    ids: Sequence[str],
) -> EventReport:
    """How the cluster came through ``event`` (either engine).

    A skipped event changed nothing: it is reported as skipped and
    interrupts no other. Otherwise the cluster has settled once it stays
    converged on one leader until the next applied event (or the end); if it
    had not by then, that event interrupted it and the search goes on past
    it, so the figure is never cut short and the interruption is named.
    """
    base = EventReport(
        at_s=round(event.at, 9),
        action=event.action,
        target=event.target,
        resolved=event.resolved,
        reconverged_after_s=None,
        leader_after=None,
        leader_is_best=None,
    )
    if event.error is not None:
        base.skipped = event.error
        return base
    later = sorted({e.at for e in events if e.error is None and e.at > event.at})
    for k, boundary in enumerate([*later, end]):
        stable = stable_from(timeline, boundary, inclusive=k == len(later))
        if stable is not None:
            base.reconverged_after_s = round(max(0.0, stable.time - event.at), 9)
            base.leader_after = ids[stable.leader]
            base.leader_is_best = stable.leader_is_best
            base.interrupted_by_s = [round(t, 9) for t in later[:k]]
            return base
    base.interrupted_by_s = [round(t, 9) for t in later]
    return base


@dataclass(frozen=True)
class TimelineFigures:
    """What the cluster timeline says about leadership, once it has settled."""

    settled_at: float
    """The first convergence after the warm-up (the end, if it never converged)."""
    leader_changes: int
    split_episodes: int
    split_s: float
    most_leaders: int


def timeline_figures(
    timeline: Sequence[ClusterRecord], end: float, *, warmup: float = 0.0
) -> TimelineFigures:
    """Leader changes and split leadership from a cluster timeline (any engine's).

    Before the first convergence every node that knows only itself follows
    itself: that is leadership emerging, not split leadership, so both are
    counted from the first convergence on, and not before ``warmup``.
    """
    settled = next(
        (k for k, r in enumerate(timeline) if r.converged and r.time >= warmup), len(timeline)
    )
    leader_changes = episodes = most = 0
    last_leader = NO_NODE
    split_s = 0.0
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
    settled_at = timeline[settled].time if settled < len(timeline) else end
    return TimelineFigures(settled_at, leader_changes, episodes, split_s, most)


def build_report(cluster: Engine, *, scenario: str = "custom", warmup: float = 0.0) -> Report:
    """Compute every figure of the run so far from the engine's timeline and counters.

    One builder for every engine (it reads only :class:`~emergent_lab.run.engine.Engine`).
    Leader changes, opinion changes and split leadership are counted from the
    first convergence, and not before ``warmup`` seconds (a warm-up period
    discarded as simulation studies do, while the membership is still forming).
    """
    timeline = cluster.timeline
    end = cluster.time
    ids = cluster.ids.ids
    figures = timeline_figures(timeline, end, warmup=warmup)
    first_event = cluster.events[0].at if cluster.events else end
    initial = next((r.time for r in timeline if r.converged and r.time <= first_event), None)
    final = timeline[-1] if timeline else None
    nodes = cluster.size
    duration = max(end, 1e-9)
    counted = cluster.counters()
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
        opinion_changes=cluster.opinion_changes(figures.settled_at),
        split_leadership_episodes=figures.split_episodes,
        split_leadership_s=round(figures.split_s, 9),
        max_simultaneous_leaders=figures.most_leaders,
        false_suspicions=counted.false_suspicions,
        unreachable_suspicions=counted.unreachable_suspicions,
        messages=counted.messages,
        messages_dropped=counted.dropped,
        bytes=counted.bytes,
        bytes_per_node_per_s=round(counted.bytes / nodes / duration, 3),
        messages_per_node_per_s=round(counted.messages / nodes / duration, 3),
        events=_event_reports(cluster, end),
        event_log_sha256=cluster.log.hexdigest(),
    )


def _event_reports(cluster: Engine, end: float) -> list[EventReport]:
    timeline = cluster.timeline
    events = cluster.events
    out = []
    for event in events:
        report = event_report(event, events, timeline, end, cluster.ids.ids)
        if event.action == "crash" and event.resolved and report.skipped is None:
            seen = cluster.detection(cluster.ids.index[event.resolved[0]], event.at)
            if seen is not None:
                report.detection_mean_s = round(seen.mean_s, 9)
                report.detection_max_s = round(seen.max_s, 9)
                report.detected_by = seen.observers
        out.append(report)
    return out
