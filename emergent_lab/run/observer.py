"""The observer: it sees the whole cluster, which no node can, and keeps the record.

Nodes report changes of opinion, recognised leader and suspicions; the
cluster reports crashes, restarts and leaves. From those the observer keeps a
timeline per node and one for the cluster (agreement, distinct opinions, how
many nodes act as leader, whether the cluster has converged), which is what
the report, the dashboard and replay read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import numpy as np

from emergent_lab.core.arrays import IntArray
from emergent_lab.core.ids import NO_NODE
from emergent_lab.core.timeline import record_in_force
from emergent_lab.protocol.member import Member
from emergent_lab.protocol.messages import StateBatch
from emergent_lab.protocol.view import MergeResult
from emergent_lab.sim.eventlog import EventLog


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
    """The up node every up node recognises, else -1 (see :func:`cluster_now`)."""
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


def cluster_now(
    now: float,
    *,
    up: int,
    recognised: Mapping[int, int],
    followed: Mapping[int, int],
    acting: Collection[int],
    is_up: Callable[[int], bool],
    best: Callable[[], int],
    settled: bool = True,
) -> ClusterRecord:
    """The cluster at ``now`` from what its up members hold: written once for every engine.

    Args:
        now: the time of the record.
        up: how many members are up.
        recognised: how many up members recognise each node (key ``-1``: none).
        followed: how many up members follow each node (key ``-1``: none).
        acting: the up members acting as leader.
        is_up: whether a node is up (a leader must be up to lead).
        best: the best up node by true score (asked only once converged).
        settled: whether leadership has emerged at all; the exact engine
            waits until every member has heard of every other, so nodes that
            so far know only each other do not count as a cluster converged.
    """
    leader = NO_NODE
    majority = NO_NODE
    for candidate, count in recognised.items():
        if candidate == NO_NODE:
            continue
        if up and count == up and is_up(candidate):
            leader = candidate
        if 2 * count > up:
            majority = candidate
    converged = leader != NO_NODE and settled
    held = [count for opinion, count in followed.items() if count > 0 and opinion != NO_NODE]
    sole = next(iter(acting)) if len(acting) == 1 else NO_NODE
    return ClusterRecord(
        time=now,
        up=up,
        converged=converged,
        leader=leader,
        acting=len(acting),
        sole_acting=sole,
        majority=majority,
        agreement=max(held, default=0) / up if up else 0.0,
        opinions=len(held),
        leader_is_best=converged and leader == best(),
    )


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
        """Nodes whose acquaintance is not waited for: they know every member from the
        start (the Bully's) or never come to believe all of them alive (top-k)."""
        self._settled = False
        """Whether the cluster has converged once (then acquaintance no longer matters)."""
        self._seeds: dict[int, IntArray] = {}
        """The seeds of each node that has any and is not one itself (see :meth:`outside`)."""
        self._opinionless: set[int] = set()
        """Up nodes that hold no opinion: joining, or not yet evaluated."""

    # -- what nodes and the cluster report ------------------------------------------

    def node_changed(self, node: Member, now: float) -> None:
        """A node's opinion, recognised leader or acting flag changed."""
        self._set(node.index, now, True, node.opinion, node.recognised, node.acting)

    def suspicions_changed(
        self, node: Member, suspected: np.ndarray, restored: np.ndarray, now: float
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

    def states_merged(self, node: Member, deltas: StateBatch, result: MergeResult) -> None:
        """Nothing to measure: the observer judges decisions, not the states behind them."""

    def node_up(self, node: Member, now: float) -> None:
        """A node started (first start, restart or join)."""
        if node.static_membership or not node.acquaints_everyone:
            self._static.add(int(node.index))
        if node.seeds.size and not node.is_seed:
            self._seeds[int(node.index)] = node.seeds
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
        if up and record.opinion == NO_NODE:
            self._opinionless.add(index)
        else:
            self._opinionless.discard(index)
        if up:
            self._opinions[record.opinion] += 1
            self._recognised[record.recognised] += 1
            if acting:
                self._acting.add(index)
        self.log.record(now, "node", index, up, record.opinion, record.recognised, acting)
        self._snapshot(now)

    def outside(self) -> list[int]:
        """Running nodes outside the cluster: joining while every seed of theirs is down.

        A node with seeds that has heard from no peer is joining and holds no
        opinion; one that is not a seed itself waits for its seeds (see
        :meth:`~emergent_lab.protocol.node.Node.joining`), so while they are
        all down it is not a member, as in Akka a node that reached no seed
        has not joined. Counting it would hold the members' leader back as
        "emerging" for as long as the seeds stay down.
        """
        return sorted(i for i in self._opinionless if i in self._seeds and not self._any_up(i))

    def _any_up(self, node: int) -> bool:
        """Whether any seed of ``node`` is up (a seed never started is not)."""
        seeds = self._seeds[node]
        return bool(np.count_nonzero(self._up[seeds[seeds < self._up.shape[0]]]))

    def _members_up(self, up: int) -> int:
        """How many up nodes are members: ``up`` less those :meth:`outside` the cluster.

        Computed only when it can decide the leader (a node recognised by
        every opinion holder but not by every up node), which keeps the start
        of a run, when every node is still opinionless, from paying for it.
        """
        if not self._opinionless:
            return up
        top = max((k for c, k in self._recognised.items() if c != NO_NODE), default=0)
        if not top or top == up or top < up - len(self._opinionless):
            return up
        return up - len(self.outside())

    def _snapshot(self, now: float) -> None:
        up = self._members_up(int(self._up.sum()))
        leader = next((c for c, k in self._recognised.items() if c != NO_NODE and k == up), NO_NODE)
        if leader != NO_NODE and not self._settled:
            self._settled = up > 0 and self._is_up(leader) and self._acquaintance_complete()
        record = cluster_now(
            now,
            up=up,
            recognised=self._recognised,
            followed=self._opinions,
            acting=self._acting,
            is_up=self._is_up,
            best=self._best,
            settled=self._settled,
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
        up = set(np.flatnonzero(self._up).tolist()) - set(self.outside())
        return all(i in self._static or up - {i} <= self._acquainted.get(i, set()) for i in up)

    # -- reading the record -------------------------------------------------------------

    def current(self) -> ClusterRecord | None:
        """The cluster's state as last recorded."""
        return self.timeline[-1] if self.timeline else None

    def cluster_at(self, time: float) -> ClusterRecord | None:
        """The cluster's recorded state at ``time`` (for replay)."""
        return record_in_force(self.timeline, time)

    def node_at(self, index: int, time: float) -> NodeRecord | None:
        """A node's recorded state at ``time`` (for replay)."""
        return record_in_force(self.nodes.get(index, []), time)
