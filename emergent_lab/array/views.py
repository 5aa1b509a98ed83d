"""The two view models of the array engine: full membership and top-k candidates.

**Full membership** holds an n×n table: row ``i`` is node ``i``'s view of every
node, as in the exact engine. Memory and work per round are O(n²), which is
practical to a few thousand nodes (65 bytes per entry: 65 kB per node at
n = 1,000).

**Top-k candidates** holds, per node, only the k best candidates it has heard
of (by score, those it believes alive first), each with its heartbeat version
and its own detector state; merging two lists keeps the best k of their union.
Memory is O(n·k) (80 bytes per entry, a ring of k partner opinions with
the time each was heard and one of k tombstones: 970 bytes per node at
k = 8 with the node's own state, at any n), so a million nodes fit in memory.

Why top-k is safe: the best alive node B is, by definition, at the top of any
list that contains it and is alive to its holder, so it is never evicted
while it keeps heartbeating. B's own entry spreads by push-pull like any
rumour (every exchange with B puts it in the partner's list, and every list
holding it passes it on), so after O(log n) rounds it is in everyone's list,
exactly the dissemination time of a full view. Dead candidates sort after
alive ones, so a crashed leader is pushed out as soon as it is suspected.

Where it is not: a node can only follow a node in its list. If a partition
(or a burst of crashes) leaves a node with k entries that are all on the
other side, the node holds no alive candidate until gossip from its own side
brings one in; with uniform peer sampling that is one round away, but if
every peer it can reach sits behind the cut, leadership cannot re-emerge
there. Recognition is also an estimate: a node counts the opinions of its
last k exchange partners (a uniform sample of the live population) heard
within :func:`~emergent_lab.protocol.rules.opinion_horizon`, so a node cut
off from everyone stops counting what it heard before the cut.

A node that drops a candidate it suspects keeps a tombstone of that version,
so a partner whose detector has not fired yet cannot hand the dead node
back alive; a full view gets the same from never forgetting what it holds.

A newly heard entry takes over the detector state of the node it was heard
from (its last arrival and interval statistics), as if the heartbeat's age
travelled with it, the way Cyclon descriptors carry an age: so a stale copy
of a crashed node's state arrives already suspected and cannot revive it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from emergent_lab.array.detector import DetectorState, EntryDetector
from emergent_lab.array.kernels import (
    HB,
    HEAD_FIELDS,
    ID,
    KEY,
    LAST,
    OPINION,
    SCORE,
    STATE_FIELDS,
    SUSPECT,
    TIMING_FIELDS,
    FullArrays,
    FullScratch,
    Opinions,
    TopKArrays,
    TopKScratch,
    Transfers,
    cache_aligned,
)
from emergent_lab.array.kernels.leader import EMPTY_SAMPLE, evaluate_full, evaluate_topk
from emergent_lab.array.kernels.merge import merge_topk
from emergent_lab.array.kernels.merge_full import merge_full
from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.ids import NO_NODE
from emergent_lab.protocol.messages import VERSION_BITS
from emergent_lab.protocol.rules import opinion_horizon
from emergent_lab.protocol.topk_view import ViewKind

_BUFFER_ROWS = 4096
"""Suspicions a kernel can write before it stops for the caller to read them."""
_EMPTY_HEAD = np.array([NO_NODE, 0, 0, 0], dtype=np.float64)
_EMPTY_TIMING = np.array([0, 0, 0, 0, np.inf, 0], dtype=np.float64)


class _Entries:
    """The full view's entries, one (n, n) array per field: row = holder, column = subject."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.key = np.zeros(shape, dtype=np.int64)
        self.hb = np.zeros(shape, dtype=np.int64)
        self.score = np.zeros(shape)
        self.last = np.zeros(shape)
        self.count = np.zeros(shape, dtype=np.int32)
        self.total = np.zeros(shape)
        self.total_sq = np.zeros(shape)
        self.suspect_at = np.full(shape, np.inf)
        self.suspected = np.zeros(shape, dtype=bool)

    def set_detector(self, rows: IntArray, cols: IntArray, state: DetectorState) -> None:
        self.last[rows, cols] = state.last
        self.count[rows, cols] = state.count
        self.total[rows, cols] = state.total
        self.total_sq[rows, cols] = state.total_sq
        self.suspect_at[rows, cols] = state.suspect_at

    def clear_rows(self, rows: IntArray) -> None:
        self.key[rows] = self.hb[rows] = self.count[rows] = 0
        self.score[rows] = self.last[rows] = self.total[rows] = self.total_sq[rows] = 0.0
        self.suspect_at[rows] = np.inf
        self.suspected[rows] = False

    def nbytes(self) -> int:
        arrays = (self.key, self.hb, self.score, self.last, self.count, self.total)
        extra = (self.total_sq, self.suspect_at, self.suspected)
        return sum(a.nbytes for a in (*arrays, *extra))


class SuspicionQueue:
    """New suspicions (observer, subject) found by looks and merges, until the engine reads them.

    The kernels that find them run through :meth:`collect`.
    """

    def __init__(self) -> None:
        self._observers: list[IntArray] = []
        self._subjects: list[IntArray] = []

    def add(self, observers: IntArray, subjects: IntArray) -> None:
        """Queue suspicions: ``observers[i]`` now suspects ``subjects[i]``."""
        if observers.size:
            self._observers.append(observers)
            self._subjects.append(subjects)

    def collect(
        self, run: Callable[[int, IntArray], tuple[int, int, int]], size: int, *, capacity: int
    ) -> int:
        """Run a resumable kernel over ``size`` items, queueing the suspicions it writes.

        ``run(start, buffer)`` returns (its count, suspicions written to
        ``buffer``, items done up to); it stops early rather than overflow
        the buffer. Returns the sum of the counts.
        """
        buffer = np.empty((capacity, 2), dtype=np.int64)
        total, done = 0, 0
        while done < size:
            count, found, done = run(done, buffer)
            total += count
            self.add(buffer[:found, 0].copy(), buffer[:found, 1].copy())
        return total

    def drain(self) -> tuple[IntArray, IntArray]:
        """Every queued suspicion, by observer then subject; the queue is left empty.

        Sorted so that the order in which merges happened to find them (an
        implementation detail) cannot leak into the event log.
        """
        if not self._observers:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        observers, subjects = np.concatenate(self._observers), np.concatenate(self._subjects)
        self._observers, self._subjects = [], []
        order = np.lexsort((subjects, observers))
        return observers[order], subjects[order]


class FullView:
    """Every node's view of every node: n×n entries, column ``j`` is node ``j``.

    The diagonal holds each node's own state, refreshed by :meth:`publish`,
    so a merge copies a node's own state like any other entry.
    """

    kind: ViewKind = "full"

    def __init__(self, n: int, detector: EntryDetector) -> None:
        self.n = n
        self.detector = detector
        self.entries = _Entries((n, n))
        self.opinion = np.full((n, n), NO_NODE, dtype=np.int32)
        self.suspicions = SuspicionQueue()
        self._scratch = FullScratch(
            np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        )

    def bytes_per_node(self) -> float:
        """Bytes of view state each node holds."""
        return (self.entries.nbytes() + self.opinion.nbytes) / self.n

    def silences(self, subject: int, holders: BoolArray) -> FloatArray:
        """For each holder that knows ``subject``: the silence its detector tolerates."""
        e = self.entries
        rows = np.flatnonzero(holders & (e.key[:, subject] > 0))
        rows = rows[rows != subject]
        silence: FloatArray = e.suspect_at[rows, subject] - e.last[rows, subject]
        return silence

    def reset(self, node: int) -> None:
        """Forget everything a node knew (a restart starts from an empty view)."""
        rows = np.array([node], dtype=np.int64)
        self.entries.clear_rows(rows)
        self.opinion[rows] = NO_NODE

    def publish(
        self,
        nodes: IntArray,
        key: IntArray,
        hb: IntArray,
        score: FloatArray,
        opinion: IntArray,
        now: float,
    ) -> None:
        """Write nodes' own current states on the diagonal, heard just now."""
        e = self.entries
        e.key[nodes, nodes] = key
        e.hb[nodes, nodes] = hb
        e.score[nodes, nodes] = score
        self.opinion[nodes, nodes] = opinion
        e.set_detector(nodes, nodes, self.detector.started(np.full(nodes.size, now)))

    def merge(self, transfers: Transfers, now: float) -> int:
        """Each ``dst[p]`` keeps, per node, the newer of its entry and ``src[p]``'s, in order.

        The sources' own states are already on the diagonal, so the
        transfers' own-state fields are not needed here. Returns the entries
        that travelled.
        """
        return merge_full(transfers, self.arrays(), now, self.detector.rule, VERSION_BITS)

    def evaluate(self, nodes: IntArray, now: float, state: Opinions) -> tuple[int, IntArray]:
        """Re-apply the leader rule for ``nodes``; return (leader switches, nodes that moved).

        Recognition counts the opinions of every member alive to the node.
        """
        moved = np.zeros(nodes.size, dtype=bool)
        arrays = self.arrays()

        def run(start: int, buffer: IntArray) -> tuple[int, int, int]:
            return evaluate_full(
                nodes, start, arrays, state, now, self.detector.rule, moved, buffer, self._scratch
            )

        switched = self.suspicions.collect(run, nodes.size, capacity=_BUFFER_ROWS + self.n)
        return switched, nodes[moved]

    def arrays(self) -> FullArrays:
        """The view as the kernels take it."""
        e = self.entries
        return FullArrays(
            e.key,
            e.hb,
            e.score,
            e.last,
            e.count,
            e.total,
            e.total_sq,
            e.suspect_at,
            e.suspected,
            self.opinion,
        )


class TopKView:
    """Each node's k best candidates, with a ring of its last k partners' opinions.

    The candidates live in two packed float64 tables of shape (n, k, fields):
    ``head``, who they are and which version is held
    (:data:`~emergent_lab.array.kernels.HEAD_FIELDS`), and ``timing``, the
    holder's detector state of each
    (:data:`~emergent_lab.array.kernels.TIMING_FIELDS`). A merge reads and
    writes each list as a few contiguous blocks instead of one array per
    field, and reads the sender's timings only for candidates new to the
    receiver: at a million nodes, memory traffic is what the round costs.
    Ids and version keys are exact in float64 (below 2**53: fewer than
    2**21 generations).

    Lists are kept in the leader rule's order: candidates alive to the
    holder first, then by score, then by id rank.
    """

    kind: ViewKind = "topk"

    def __init__(self, n: int, k: int, detector: EntryDetector, rank: IntArray) -> None:
        self.n = n
        self.k = k
        self.detector = detector
        self.rank = rank
        # The empty entry is zero but for its id and deadline: zeroed pages
        # plus two strided writes fill 640 MB at a million nodes in a fraction
        # of the time a broadcast copy of the whole entry takes.
        self.head: FloatArray = cache_aligned((n, k, len(HEAD_FIELDS)))
        self.head[:, :, ID] = _EMPTY_HEAD[ID]
        self.timing: FloatArray = cache_aligned((n, k, len(TIMING_FIELDS)))
        self.timing[:, :, SUSPECT] = _EMPTY_TIMING[SUSPECT]
        self.states: FloatArray = cache_aligned((n, len(STATE_FIELDS)))
        self.sample = cache_aligned((n, k), np.int32, fill=EMPTY_SAMPLE)
        self.sample_at: FloatArray = cache_aligned((n, k))
        self.horizon = opinion_horizon(detector.params)
        self.sample_next = np.zeros(n, dtype=np.int64)
        self.tomb_id: IntArray = cache_aligned((n, k), np.int64, fill=NO_NODE)
        self.tomb_key: IntArray = cache_aligned((n, k), np.int64)
        self.tomb_next = np.zeros(n, dtype=np.int64)
        self.suspicions = SuspicionQueue()
        rows = 2 * k + 1
        self._scratch = TopKScratch(
            np.empty((rows, len(HEAD_FIELDS))),
            np.empty((rows, len(TIMING_FIELDS))),
            np.empty(rows, dtype=bool),
            np.empty(rows, dtype=np.int64),
            np.empty(k + 1, dtype=bool),
            np.empty(k + 1, dtype=np.int64),
            np.zeros(n, dtype=np.int32),
        )
        started = detector.started(np.zeros(1))
        self._own = np.zeros(len(TIMING_FIELDS))
        for name in ("last", "count", "total", "total_sq", "suspect_at"):
            self._own[TIMING_FIELDS.index(name)] = float(getattr(started, name)[0])

    @property
    def ids(self) -> IntArray:
        """(n, k) candidate ids, -1 for an empty slot."""
        ids: IntArray = self.head[:, :, ID].astype(np.int64)
        return ids

    def bytes_per_node(self) -> float:
        """Bytes of view state each node holds: its list, its opinion ring and its tombstones.

        Plus the copy of its own state that merges read (:data:`STATE_FIELDS`).
        """
        lists = self.head.nbytes + self.timing.nbytes
        rings = self.sample.nbytes + self.sample_at.nbytes + self.sample_next.nbytes
        tombs = self.tomb_id.nbytes + self.tomb_key.nbytes + self.tomb_next.nbytes
        return (lists + rings + tombs + self.states.nbytes) / self.n

    def silences(self, subject: int, holders: BoolArray) -> FloatArray:
        """For each holder that lists ``subject``: the silence its detector tolerates."""
        rows, cols = np.nonzero((self.head[:, :, ID] == subject) & holders[:, None])
        timing = self.timing[rows, cols]
        silence: FloatArray = timing[:, SUSPECT] - timing[:, LAST]
        return silence

    def reset(self, node: int) -> None:
        """Forget every candidate, sampled opinion and tombstone of a node."""
        self.head[node] = _EMPTY_HEAD
        self.timing[node] = _EMPTY_TIMING
        self.sample[node] = EMPTY_SAMPLE
        self.sample_next[node] = 0
        self.tomb_id[node] = NO_NODE
        self.tomb_key[node] = 0
        self.tomb_next[node] = 0

    def merge(self, transfers: Transfers, now: float) -> int:
        """Each ``dst[p]`` keeps the best k of its list, ``src[p]``'s list and ``src[p]`` itself.

        Transfers take effect in order; each also samples the source's
        opinion. Returns the entries that travelled.
        """
        states = self.states
        states[:, OPINION] = transfers.opinion
        states[:, KEY] = transfers.key
        states[:, HB] = transfers.heartbeat
        states[:, SCORE] = transfers.score
        arrays = self.arrays()

        def run(start: int, buffer: IntArray) -> tuple[int, int, int]:
            rule = self.detector.rule
            return merge_topk(start, transfers, arrays, now, rule, buffer, self._scratch)

        return self.suspicions.collect(run, transfers.dst.size, capacity=_BUFFER_ROWS)

    def evaluate(self, nodes: IntArray, now: float, state: Opinions) -> tuple[int, IntArray]:
        """Re-apply the leader rule for ``nodes``; return (leader switches, nodes that moved).

        Recognition counts the opinions of the node's last k partners heard within the horizon.
        """
        moved = np.zeros(nodes.size, dtype=bool)
        arrays = self.arrays()

        def run(start: int, buffer: IntArray) -> tuple[int, int, int]:
            return evaluate_topk(
                nodes, start, arrays, state, now, self.detector.rule, moved, buffer, self._scratch
            )

        switched = self.suspicions.collect(run, nodes.size, capacity=_BUFFER_ROWS)
        return switched, nodes[moved]

    def arrays(self) -> TopKArrays:
        """The view as the kernels take it."""
        return TopKArrays(
            self.head,
            self.timing,
            self.states,
            self.sample,
            self.sample_at,
            self.sample_next,
            self.horizon,
            self._own,
            _EMPTY_HEAD,
            _EMPTY_TIMING,
            self.rank,
            self.tomb_id,
            self.tomb_key,
            self.tomb_next,
        )
