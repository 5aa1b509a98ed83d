"""The observer: it sees the whole cluster, which no node can, and keeps the record.

Nodes report changes of opinion, recognised leader and suspicions; the
cluster reports crashes, restarts and leaves. From those the observer keeps a
timeline per node and one for the cluster (agreement, distinct opinions, how
many nodes act as leader, whether the cluster has converged), which is what
the report, the dashboard and replay read.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emergent_lab.sim.eventlog import EventLog

NO_NODE = -1


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A node's observed state from ``time`` until its next record."""

    time: float
    up: bool
    opinion: int
    recognised: int
    acting: bool


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    """The cluster's observed state from ``time`` until the next record."""

    time: float
    up: int
    converged: bool
    leader: int
    """The leader every up node recognises when converged, else -1."""
    acting: int
    """How many up nodes act as leader (more than one is split leadership)."""
    sole_acting: int
    """The node acting as leader when exactly one does, else -1."""
    majority: int
    """The leader recognised by more than half of the up nodes, else -1."""
    agreement: float
    """Fraction of up nodes holding the most common opinion."""
    opinions: int
    """Number of distinct opinions among up nodes."""
    leader_is_best: bool
    """Whether the converged leader is the best up node by its true score."""


@dataclass
class SuspicionLog:
    """Failure-detector outcomes as the observer judges them."""

    false_suspicions: int = 0
    """Suspicions of a node that was up and reachable at that moment."""
    unreachable_suspicions: int = 0
    """Suspicions of a node that was up but cut off (partition, cut link)."""
    false_times: list[tuple[float, int, int]] = field(default_factory=list)
    detections: dict[tuple[int, float], dict[int, float]] = field(default_factory=dict)
    """(crashed node, crash time) → {observer: seconds until it suspected it}."""


class Observer:
    """Records what every node believes, and judges it against the truth.

    Args:
        log: the run's event log (every change is hashed into it).
        best: returns the index of the best up node by true score, or -1.
        reachable: whether a message from one node could reach another now.
    """

    def __init__(
        self,
        log: EventLog,
        *,
        best: Callable[[], int],
        reachable: Callable[[int, int], bool],
    ) -> None:
        self.log = log
        self._best = best
        self._reachable = reachable
        self.nodes: dict[int, list[NodeRecord]] = {}
        self.timeline: list[ClusterRecord] = []
        self.suspicions = SuspicionLog()
        self.marks: list[tuple[float, str, str]] = []
        self.phi_series: dict[tuple[str, str], list[tuple[float, float]]] = {}
        """(observer id, subject id) → samples of phi, for pairs being watched."""
        self._current: dict[int, NodeRecord] = {}
        self._down_since: dict[int, float] = {}
        self._up = np.zeros(0, dtype=bool)
        self._recognised: Counter[int] = Counter()
        self._opinions: Counter[int] = Counter()
        self._acting: set[int] = set()
        self._acquainted: dict[int, set[int]] = {}
        """Peers each node has believed alive, until the cluster first converges."""
        self._static: set[int] = set()
        """Nodes that know every member from the start (the Bully's)."""
        self._settled = False
        """Whether the cluster has converged once (then acquaintance no longer matters)."""

    # -- what nodes and the cluster report ------------------------------------------

    def node_changed(self, node: Any, now: float) -> None:
        """A node's opinion, recognised leader or acting flag changed."""
        self._set(node.index, now, True, node.opinion, node.recognised, node.acting)

    def suspicions_changed(
        self, node: Any, suspected: np.ndarray, restored: np.ndarray, now: float
    ) -> None:
        """Judge each new suspicion: false, cut off, or the detection of a crash.

        Until the first convergence, also note whom each node came to believe
        alive: the first convergence counts only once the members know each other.
        """
        if not self._settled and restored.size:
            self._acquainted.setdefault(int(node.index), set()).update(restored.tolist())
            self._snapshot(now)
        if not suspected.size:
            return
        self.log.record(now, "suspect", node.index, suspected.tolist())
        observer = int(node.index)
        for subject in suspected.tolist():
            if self._is_up(subject):
                if self._reachable(observer, subject):
                    self.suspicions.false_suspicions += 1
                    self.suspicions.false_times.append((now, observer, subject))
                else:
                    self.suspicions.unreachable_suspicions += 1
            elif subject in self._down_since:
                crash = (subject, self._down_since[subject])
                seen = self.suspicions.detections.setdefault(crash, {})
                seen.setdefault(observer, now - crash[1])

    def node_up(self, node: Any, now: float) -> None:
        """A node started (first start, restart or join)."""
        if node.static_membership:
            self._static.add(int(node.index))
        self._down_since.pop(node.index, None)
        self._set(node.index, now, True, node.opinion, node.recognised, node.acting)

    def node_down(self, index: int, now: float, *, crashed: bool) -> None:
        """A node stopped; a crash opens a detection episode, a leave does not."""
        if crashed:
            self._down_since[index] = now
        else:
            self._down_since.pop(index, None)
        self._set(index, now, False, NO_NODE, NO_NODE, False)

    def mark(self, now: float, kind: str, label: str) -> None:
        """Put an event (a fault, a parameter change) on the timeline."""
        self.marks.append((now, kind, label))
        self.log.record(now, "mark", kind, label)

    # -- bookkeeping ------------------------------------------------------------------

    def _is_up(self, index: int) -> bool:
        return index < self._up.shape[0] and bool(self._up[index])

    def _set(
        self, index: int, now: float, up: bool, opinion: int, recognised: int, acting: bool
    ) -> None:
        old = self._current.get(index)
        if old is not None and old.up:
            self._opinions[old.opinion] -= 1
            self._recognised[old.recognised] -= 1
            self._acting.discard(index)
        record = NodeRecord(now, up, int(opinion), int(recognised), bool(acting))
        self._current[index] = record
        self.nodes.setdefault(index, []).append(record)
        if index >= self._up.shape[0]:
            self._up = np.concatenate([self._up, np.zeros(index + 1 - self._up.shape[0], bool)])
        self._up[index] = up
        if up:
            self._opinions[record.opinion] += 1
            self._recognised[record.recognised] += 1
            if acting:
                self._acting.add(index)
        self.log.record(now, "node", index, up, record.opinion, record.recognised, acting)
        self._snapshot(now)

    def _snapshot(self, now: float) -> None:
        up = int(self._up.sum())
        leader = NO_NODE
        for candidate, count in self._recognised.items():
            if candidate != NO_NODE and count == up and up and self._is_up(candidate):
                leader = candidate
        converged = leader != NO_NODE and (self._settled or self._acquaintance_complete())
        self._settled = self._settled or converged
        majority = NO_NODE
        for candidate, count in self._recognised.items():
            if candidate != NO_NODE and 2 * count > up:
                majority = candidate
        opinions = [(c, o) for o, c in self._opinions.items() if c > 0 and o != NO_NODE]
        top = max((c for c, _ in opinions), default=0)
        acting = len(self._acting)
        sole = next(iter(self._acting)) if acting == 1 else NO_NODE
        record = ClusterRecord(
            time=now,
            up=up,
            converged=converged,
            leader=leader,
            acting=acting,
            sole_acting=sole,
            majority=majority,
            agreement=top / up if up else 0.0,
            opinions=len(opinions),
            leader_is_best=converged and leader == self._best(),
        )
        if self.timeline and self.timeline[-1].time == now:
            self.timeline[-1] = record
        else:
            self.timeline.append(record)

    def _acquaintance_complete(self) -> bool:
        """Whether every up node has believed every other up node alive.

        Without this, nodes that so far know only each other can all recognise
        one leader (``create(3, seed=5, fanout=1, convergence_threshold=0.5)``:
        two of three nodes agree before either has heard of the third), and
        the "leader change" that follows when they meet it is no fault's.
        Checked only while leadership is first emerging and all agree.
        """
        up = set(np.flatnonzero(self._up).tolist())
        return all(i in self._static or up - {i} <= self._acquainted.get(i, set()) for i in up)

    # -- reading the record -------------------------------------------------------------

    def current(self) -> ClusterRecord | None:
        """The cluster's state as last recorded."""
        return self.timeline[-1] if self.timeline else None

    def cluster_at(self, time: float) -> ClusterRecord | None:
        """The cluster's recorded state at ``time`` (for replay)."""
        times = [r.time for r in self.timeline]
        i = bisect_right(times, time) - 1
        return self.timeline[i] if i >= 0 else None

    def node_at(self, index: int, time: float) -> NodeRecord | None:
        """A node's recorded state at ``time`` (for replay)."""
        records = self.nodes.get(index, [])
        i = bisect_right([r.time for r in records], time) - 1
        return records[i] if i >= 0 else None
