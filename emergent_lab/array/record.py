"""What the array engine's observer keeps: cluster records, suspicions, opinion changes.

The exact engine's observer keeps a record per node change; at a million
nodes that would be millions of objects per failover, so this one keeps only
the cluster-level :class:`~emergent_lab.run.observer.ClusterRecord`
timeline (computed with a few bincounts per slot), running counts of opinion
changes, and per-crash detection statistics: everything the report needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.compiled import compiled
from emergent_lab.run.observer import ClusterRecord, cluster_now
from emergent_lab.sim.eventlog import EventLog


@dataclass
class Detection:
    """How the observers of one crash came to suspect it (first suspicion of each)."""

    seen: BoolArray
    """Per node, whether it has suspected the crashed node yet."""
    count: int = 0
    total_s: float = 0.0
    max_s: float = 0.0


@dataclass
class RoundObserver:
    """The cluster-level record of an array-engine run."""

    log: EventLog = field(default_factory=EventLog)
    timeline: list[ClusterRecord] = field(default_factory=list)
    marks: list[tuple[float, str, str]] = field(default_factory=list)
    opinion_changes: list[tuple[float, int]] = field(default_factory=list)
    """(time, number of up nodes that switched from one opinion to another)."""
    false_suspicions: int = 0
    unreachable_suspicions: int = 0
    detections: dict[tuple[int, float], Detection] = field(default_factory=dict)
    """(crashed node, crash time) → detection statistics over the observers."""

    def mark(self, now: float, kind: str, label: str) -> None:
        """Put an event (a fault, a change) on the timeline."""
        self.marks.append((now, kind, label))
        self.log.record(now, "mark", kind, label)

    def suspected(
        self,
        now: float,
        observers: IntArray,
        subjects: IntArray,
        *,
        up: BoolArray,
        group: IntArray,
        crashed_at: FloatArray,
    ) -> None:
        """Judge new suspicions: false, cut off, or the detection of a crash."""
        if not subjects.size:
            return
        self.log.record(
            now, "suspect", observers.tolist()[:8], subjects.tolist()[:8], subjects.size
        )
        alive = up[subjects]
        reachable = group[subjects] == group[observers]
        self.false_suspicions += int((alive & reachable).sum())
        self.unreachable_suspicions += int((alive & ~reachable).sum())
        crash = ~alive & np.isfinite(crashed_at[subjects])
        for subject in np.unique(subjects[crash]).tolist():
            at = float(crashed_at[subject])
            key = (int(subject), at)
            if key not in self.detections:
                self.detections[key] = Detection(np.zeros(up.size, dtype=bool))
            seen = self.detections[key]
            first = np.unique(observers[crash & (subjects == subject)])
            first = first[~seen.seen[first]]
            seen.seen[first] = True
            delay = now - at
            seen.count += int(first.size)
            seen.total_s += delay * int(first.size)
            if first.size:
                seen.max_s = max(seen.max_s, delay)

    def changed_opinions(self, now: float, count: int) -> None:
        """Count nodes that switched from following one node to another."""
        if count:
            self.opinion_changes.append((now, count))

    def record(
        self,
        now: float,
        *,
        up: BoolArray,
        opinion: IntArray,
        recognised: IntArray,
        acting: BoolArray,
        best: int,
    ) -> None:
        """Append the cluster's state at ``now`` if it differs from the last record."""
        n_up = int(up.sum())
        record = cluster_now(
            now,
            up=n_up,
            recognised=_counts(recognised, up),
            followed=_counts(opinion, up),
            acting=np.flatnonzero(acting & up).tolist(),
            is_up=lambda i: bool(up[i]),
            best=lambda: best,
        )
        if self.timeline and replace(self.timeline[-1], time=now) == record:
            return
        self.timeline.append(record)
        self.log.record(now, "cluster", record.up, record.leader, record.acting, record.opinions)

    def current(self) -> ClusterRecord | None:
        """The cluster's state as last recorded."""
        return self.timeline[-1] if self.timeline else None


def _counts(held: IntArray, up: BoolArray) -> dict[int, int]:
    """How many up nodes hold each node in ``held`` (no opinion left out), in node order.

    One compiled pass over the nodes: a masked copy, a filter and a
    bincount took four, and the observer records every slot. The tally and
    the list of nodes held are zeroed pages only touched where a few nodes
    are counted.
    """
    tally = np.zeros(held.size, dtype=np.int64)
    seen = np.empty(held.size, dtype=np.int64)
    nodes = np.sort(seen[: _tally(held, up, tally, seen)])
    return dict(zip(nodes.tolist(), tally[nodes].tolist(), strict=True))


@compiled
def _tally(held: IntArray, up: BoolArray, tally: IntArray, seen: IntArray) -> int:
    """``tally[h]``: up nodes holding ``h >= 0``; ``seen[:returned]``: each ``h``, once."""
    distinct = 0
    for i in range(held.size):
        h = held[i]
        if up[i] and h >= 0:
            if tally[h] == 0:
                seen[distinct] = h
                distinct += 1
            tally[h] += 1
    return distinct
