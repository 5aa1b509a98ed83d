"""The two view models of the array engine: full membership and top-k candidates.

**Full membership** holds an n×n table: row ``i`` is node ``i``'s view of every
node, as in the exact engine. Memory and work per round are O(n²), which is
practical to a few thousand nodes (65 bytes per entry: 65 kB per node at
n = 1,000).

**Top-k candidates** holds, per node, only the k best candidates it has heard
of (by score, those it believes alive first), each with its heartbeat version
and its own detector state; merging two lists keeps the best k of their union.
Memory is O(n·k) (80 bytes per entry plus a ring of k partner opinions:
738 bytes per node at k = 8 with the node's own state, at any n), so a
million nodes fit in memory.

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
brings one in; with uniform peer sampling that is one round away, but if the
peer sampling itself is partitioned with them (every peer it can reach sits
behind the cut), leadership cannot re-emerge there. Recognition is also an
estimate: without a full view, a node cannot count the followers of every
member, so it counts the opinions of its last k exchange partners (a
uniform sample of the live population) and recognises a leader when the
convergence-threshold share of that sample and itself follow it.

A newly heard entry takes over the detector state of the node it was heard
from (its last arrival and interval statistics), as if the heartbeat's age
travelled with it, the way Cyclon descriptors carry an age: so a stale copy
of a crashed node's state arrives already suspected and cannot revive it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from emergent_lab.protocol.messages import VERSION_BITS
from emergent_lab.scale.detector import (
    BoolArray,
    DetectorState,
    EntryDetector,
    FloatArray,
    IntArray,
)

ViewKind = Literal["full", "topk"]
VIEWS: tuple[ViewKind, ...] = ("full", "topk")
NO_NODE = -1
EMPTY_SAMPLE = -2
"""A slot of the partner-opinion ring not filled yet (distinct from a partner with no opinion)."""


@dataclass
class Look:
    """What some nodes see at ``now``: their candidates other than themselves."""

    ids: IntArray
    """(m, c) candidate ids, -1 for an empty slot."""
    alive: BoolArray
    score: FloatArray
    knows_peer: BoolArray
    """(m,) whether the node holds any entry of another node."""


@dataclass
class Merged:
    """What a batch of merges changed."""

    taken: int
    """Entries that travelled (newer states and new candidates)."""
    structural: BoolArray
    """Per destination: a score, an opinion or a member changed, so it re-evaluates."""


class _Entries:
    """Per-entry arrays shared by both view models, with gather/scatter of detector state."""

    def __init__(self, shape: tuple[int, int], detector: EntryDetector) -> None:
        self.detector = detector
        self.key = np.zeros(shape, dtype=np.int64)
        self.hb = np.zeros(shape, dtype=np.int64)
        self.score = np.zeros(shape)
        self.last = np.zeros(shape)
        self.count = np.zeros(shape, dtype=np.int32)
        self.total = np.zeros(shape)
        self.total_sq = np.zeros(shape)
        self.suspect_at = np.full(shape, np.inf)
        self.suspected = np.zeros(shape, dtype=bool)

    def detector_at(self, rows: IntArray, cols: IntArray) -> DetectorState:
        return DetectorState(
            self.last[rows, cols],
            self.count[rows, cols],
            self.total[rows, cols],
            self.total_sq[rows, cols],
            self.suspect_at[rows, cols],
        )

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

    def suspicions(
        self, rows: IntArray, known: BoolArray, alive: BoolArray
    ) -> tuple[IntArray, IntArray]:
        """Flag entries that just turned suspected and unflag revived ones.

        Returns (row of ``rows``, column) of each new suspicion.
        """
        now_suspected = known & ~alive
        new = now_suspected & ~self.suspected[rows]
        self.suspected[rows] = now_suspected
        r, c = np.nonzero(new)
        return r.astype(np.int64), c.astype(np.int64)


class SuspicionQueue:
    """New suspicions (observer, subject) found by looks and merges, until the engine reads them."""

    def __init__(self) -> None:
        self._observers: list[IntArray] = []
        self._subjects: list[IntArray] = []

    def add(self, observers: IntArray, subjects: IntArray) -> None:
        """Queue suspicions: ``observers[i]`` now suspects ``subjects[i]``."""
        if observers.size:
            self._observers.append(observers)
            self._subjects.append(subjects)

    def drain(self) -> tuple[IntArray, IntArray]:
        """Every queued suspicion, oldest first; the queue is left empty."""
        if not self._observers:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        out = np.concatenate(self._observers), np.concatenate(self._subjects)
        self._observers, self._subjects = [], []
        return out


def _newer_generation(new_key: IntArray, old_key: IntArray) -> BoolArray:
    result: BoolArray = (new_key >> VERSION_BITS) > (old_key >> VERSION_BITS)
    return result


class FullView:
    """Every node's view of every node: n×n entries, column ``j`` is node ``j``.

    The diagonal holds each node's own state, refreshed by :meth:`publish`,
    so a merge copies a node's own state like any other entry.
    """

    kind: ViewKind = "full"

    def __init__(self, n: int, detector: EntryDetector) -> None:
        self.n = n
        self.detector = detector
        self.entries = _Entries((n, n), detector)
        self.opinion = np.full((n, n), NO_NODE, dtype=np.int32)
        self.suspicions = SuspicionQueue()
        self._diagonal = np.arange(n, dtype=np.int64)

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

    def merge(
        self,
        dst: IntArray,
        src: IntArray,
        now: float,
        src_key: IntArray,
        src_hb: IntArray,
        src_score: FloatArray,
    ) -> Merged:
        """Each ``dst[p]`` keeps, per node, the newer of its entry and ``src[p]``'s.

        The sources' own states are already on the diagonal (``src_*`` are
        unused here; the top-k view needs them).

        Pairs are disjoint (a node appears once), so rows never collide.
        """
        e = self.entries
        taken = e.key[src] > e.key[dst]
        r, c = np.nonzero(taken)
        structural = np.zeros(dst.size, dtype=bool)
        if not r.size:
            return Merged(0, structural)
        rd, rs = dst[r], src[r]
        old_key, new_key = e.key[rd, c], e.key[rs, c]
        fresh = (old_key == 0) | _newer_generation(new_key, old_key)
        beat = ~fresh & (e.hb[rs, c] > e.hb[rd, c])
        changed = (
            fresh
            | (e.score[rs, c] != e.score[rd, c])
            | (self.opinion[rs, c] != self.opinion[rd, c])
        )
        structural[r[changed]] = True
        e.key[rd, c] = new_key
        e.hb[rd, c] = e.hb[rs, c]
        e.score[rd, c] = e.score[rs, c]
        self.opinion[rd, c] = self.opinion[rs, c]
        if fresh.any():
            f_rd, f_c = rd[fresh], c[fresh]
            e.set_detector(f_rd, f_c, e.detector_at(rs[fresh], f_c))
            e.suspected[f_rd, f_c] = ~self.detector.alive(e.suspect_at[f_rd, f_c], now)
        if beat.any():
            b_rd, b_c = rd[beat], c[beat]
            e.set_detector(b_rd, b_c, self.detector.arrived(e.detector_at(b_rd, b_c), now))
        return Merged(int(r.size), structural)

    def look(self, nodes: IntArray, now: float) -> Look:
        """Candidates of ``nodes``: every known node but themselves, alive or not."""
        e = self.entries
        known = e.key[nodes] > 0
        known[np.arange(nodes.size), nodes] = False
        alive = known & self.detector.alive(e.suspect_at[nodes], now)
        r, c = e.suspicions(nodes, known, alive)
        self.suspicions.add(nodes[r], c)
        ids = np.broadcast_to(self._diagonal, (nodes.size, self.n))
        return Look(ids, alive, e.score[nodes], np.asarray(known.any(axis=1)))

    def recognise(
        self, nodes: IntArray, alive: BoolArray, own: IntArray, threshold: float, rank: IntArray
    ) -> IntArray:
        """The opinion held by the threshold share of the members alive to each node."""
        members = alive.copy()
        members[np.arange(nodes.size), nodes] = True
        held = self.opinion[nodes].astype(np.int64)
        held[np.arange(nodes.size), nodes] = own
        return _recognised(held, members, threshold, rank, dense=self.n)

    def record_partner(self, dst: IntArray, opinion: IntArray) -> None:
        """Full views count every member's opinion, so partners need no sampling."""


class TopKView:
    """Each node's k best candidates, with a ring of its last k partners' opinions.

    The candidates live in one packed float64 table of shape (n, k, fields)
    (:data:`TOPK_FIELDS`), so a merge gathers and scatters each node's list
    in one contiguous block instead of one array per field: at a million
    nodes, memory traffic is what the round costs. Ids and version keys are
    exact in float64 (below 2**53: fewer than 2**21 generations).

    Lists are kept in order: candidates alive to the holder first, then by
    score, then by id rank. For that order, scores closer than 2**-25 count
    as equal (the leader rule itself compares exact scores).
    """

    kind: ViewKind = "topk"

    def __init__(self, n: int, k: int, detector: EntryDetector, rank: IntArray) -> None:
        self.n = n
        self.k = k
        self.detector = detector
        self.tie = rank.astype(np.float64) / max(n, 1) * TIE_SCALE
        self.table = np.empty((n, k, len(TOPK_FIELDS)))
        self.table[...] = _EMPTY_ENTRY
        self.sample = np.full((n, k), EMPTY_SAMPLE, dtype=np.int32)
        self.sample_next = np.zeros(n, dtype=np.int64)
        self.suspicions = SuspicionQueue()
        started = detector.started(np.zeros(1))
        self._own = np.zeros(len(TOPK_FIELDS))
        for name in _DETECTOR_FIELDS:
            self._own[_FIELD[name]] = float(getattr(started, name)[0])

    @property
    def ids(self) -> IntArray:
        """(n, k) candidate ids, -1 for an empty slot."""
        ids: IntArray = self.table[:, :, ID].astype(np.int64)
        return ids

    def bytes_per_node(self) -> float:
        """Bytes of view state each node holds: its list and its opinion ring."""
        return (self.table.nbytes + self.sample.nbytes + self.sample_next.nbytes) / self.n

    def silences(self, subject: int, holders: BoolArray) -> FloatArray:
        """For each holder that lists ``subject``: the silence its detector tolerates."""
        rows, cols = np.nonzero((self.table[:, :, ID] == subject) & holders[:, None])
        entries = self.table[rows, cols]
        silence: FloatArray = entries[:, SUSPECT] - entries[:, LAST]
        return silence

    def reset(self, node: int) -> None:
        """Forget every candidate and every sampled opinion of a node."""
        self.table[node] = _EMPTY_ENTRY
        self.sample[node] = EMPTY_SAMPLE
        self.sample_next[node] = 0

    def publish(
        self,
        nodes: IntArray,
        key: IntArray,
        hb: IntArray,
        score: FloatArray,
        opinion: IntArray,
        now: float,
    ) -> None:
        """Own states travel as an extra entry in each merge; nothing to store."""

    def merge(
        self,
        dst: IntArray,
        src: IntArray,
        now: float,
        src_key: IntArray,
        src_hb: IntArray,
        src_score: FloatArray,
    ) -> Merged:
        """Each ``dst[p]`` keeps the best k of its list, ``src[p]``'s list and ``src[p]`` itself."""
        k, detector = self.k, self.detector
        own = np.broadcast_to(self._own, (dst.size, 1, len(TOPK_FIELDS))).copy()
        own[:, 0, ID] = src
        own[:, 0, KEY] = src_key
        own[:, 0, HB] = src_hb
        own[:, 0, SCORE] = src_score
        own[:, 0, LAST] = now
        own[:, 0, SUSPECT] += now
        mine = self.table[dst]
        theirs = np.concatenate([self.table[src], own], axis=1)
        my_id, their_id = mine[:, :, ID], theirs[:, :, ID]
        valid = (their_id >= 0) & (their_id != dst[:, None])
        match = (my_id[:, :, None] == their_id[:, None, :]) & valid[:, None, :]
        has = match.any(axis=2)
        got = match.any(axis=1)
        peer = _rows_of(theirs, match.argmax(axis=2))
        newer = has & (peer[:, :, KEY] > mine[:, :, KEY])
        fresh = newer & (peer[:, :, KEY] // GENERATION >= mine[:, :, KEY] // GENERATION + 1)
        beat = newer & ~fresh & (peer[:, :, HB] > mine[:, :, HB])
        new = valid & ~got
        rescored = fresh | (newer & (peer[:, :, SCORE] != mine[:, :, SCORE]))
        structural = new.any(axis=1) | rescored.any(axis=1)

        mine[newer, KEY : SCORE + 1] = peer[newer, KEY : SCORE + 1]
        mine[fresh, LAST : SUSPECT + 1] = peer[fresh, LAST : SUSPECT + 1]
        if beat.any():
            beaten = mine[beat]
            state = detector.arrived(_state(beaten), now)
            for name in _DETECTOR_FIELDS:
                beaten[:, _FIELD[name]] = getattr(state, name)
            mine[beat] = beaten
        known = my_id >= 0
        alive = known & detector.alive(mine[:, :, SUSPECT], now)
        turned = known & ~alive & (mine[:, :, SUSPECTED] == 0) & ~fresh
        if turned.any():
            r, c = np.nonzero(turned)
            self.suspicions.add(dst[r], my_id[r, c].astype(np.int64))
        mine[:, :, SUSPECTED] = known & ~alive

        theirs[:, :, ID] = np.where(new, their_id, NO_NODE)
        theirs[:, :, SUSPECTED] = ~detector.alive(theirs[:, :, SUSPECT], now)
        both = np.concatenate([mine, theirs], axis=1)
        held = both[:, :, ID] >= 0
        ids = np.maximum(both[:, :, ID], 0).astype(np.int64)
        listed = held & detector.alive(both[:, :, SUSPECT], now)
        priority = np.where(held, 4.0 * listed + both[:, :, SCORE] - self.tie[ids], -np.inf)
        order = np.argsort(-priority, axis=1)[:, :k]
        self.table[dst] = _rows_of(both, order)
        return Merged(int(newer.sum() + new.sum()), structural)

    def look(self, nodes: IntArray, now: float) -> Look:
        """Candidates of ``nodes``: the entries of their lists."""
        entries = self.table[nodes]
        ids = entries[:, :, ID].astype(np.int64)
        known = ids >= 0
        alive = known & self.detector.alive(entries[:, :, SUSPECT], now)
        suspected = known & ~alive
        r, c = np.nonzero(suspected & (entries[:, :, SUSPECTED] == 0))
        self.suspicions.add(nodes[r], ids[r, c])
        self.table[nodes, :, SUSPECTED] = suspected
        return Look(ids, alive, entries[:, :, SCORE], np.asarray(known.any(axis=1)))

    def record_partner(self, dst: IntArray, opinion: IntArray) -> None:
        """Put each partner's opinion in the receiving node's ring of samples."""
        slot = self.sample_next[dst]
        self.sample[dst, slot] = opinion
        self.sample_next[dst] = (slot + 1) % self.k

    def recognise(
        self, nodes: IntArray, alive: BoolArray, own: IntArray, threshold: float, rank: IntArray
    ) -> IntArray:
        """The opinion held by the threshold share of the sampled partners and the node."""
        held = np.concatenate([self.sample[nodes].astype(np.int64), own[:, None]], axis=1)
        return _recognised(held, held != EMPTY_SAMPLE, threshold, rank)


TOPK_FIELDS = (
    "id",
    "key",
    "hb",
    "score",
    "last",
    "count",
    "total",
    "total_sq",
    "suspect_at",
    "suspected",
)
"""The columns of a top-k entry, all float64."""
_FIELD = {name: i for i, name in enumerate(TOPK_FIELDS)}
ID, KEY, HB, SCORE, LAST = (_FIELD[f] for f in ("id", "key", "hb", "score", "last"))
SUSPECT, SUSPECTED = _FIELD["suspect_at"], _FIELD["suspected"]
_DETECTOR_FIELDS = ("last", "count", "total", "total_sq", "suspect_at")
_EMPTY_ENTRY = np.array([NO_NODE, 0, 0, 0, 0, 0, 0, 0, np.inf, 0], dtype=np.float64)
GENERATION = float(1 << VERSION_BITS)
TIE_SCALE = 2.0**-25


def _rows_of(entries: FloatArray, picks: IntArray) -> FloatArray:
    """``entries[p, picks[p, j]]`` for every p, j: whole entries gathered as rows of one flat table.

    Same result as ``take_along_axis`` with a broadcast index, several
    times faster, since each entry is one contiguous row of fields.
    """
    lists, width, fields = entries.shape
    flat = (np.arange(lists)[:, None] * width + picks).ravel()
    rows: FloatArray = entries.reshape(lists * width, fields)[flat].reshape(
        lists, picks.shape[1], fields
    )
    return rows


def _state(entries: FloatArray) -> DetectorState:
    """Detector fields of packed entries (rows × fields), as views."""
    return DetectorState(*(entries[:, _FIELD[name]] for name in _DETECTOR_FIELDS))


def _recognised(
    held: IntArray, members: BoolArray, threshold: float, rank: IntArray, dense: int = 0
) -> IntArray:
    """Per row, the most held opinion (ties to the lowest rank) if it reaches the threshold.

    ``dense`` > 0 counts with one bincount over ``rows × dense`` cells (full
    views, where a row is as wide as the cluster); otherwise each short row is
    sorted and its runs counted, O(width · log width) per row.
    """
    rows, width = held.shape
    votes = np.where(members & (held >= 0), held, NO_NODE)
    big = np.iinfo(np.int64).max
    if dense:
        r, c = np.nonzero(votes >= 0)
        counts = np.bincount(r * dense + votes[r, c], minlength=rows * dense).reshape(rows, dense)
        top = counts.max(axis=1)
        is_top = (counts == top[:, None]) & (top[:, None] > 0)
        leader = np.where(is_top, rank[None, :dense], big).argmin(axis=1)
    else:
        order = np.sort(votes, axis=1)
        same = np.ones((rows, width), dtype=bool)
        same[:, 1:] = order[:, 1:] != order[:, :-1]
        start = np.maximum.accumulate(np.where(same, np.arange(width), 0), axis=1)
        run = np.where(order >= 0, np.arange(width) - start + 1, 0)
        top = run.max(axis=1)
        is_top = (run == top[:, None]) & (top[:, None] > 0)
        pick = np.where(is_top, rank[np.maximum(order, 0)], big).argmin(axis=1)
        leader = order[np.arange(rows), pick]
    enough = top >= threshold * members.sum(axis=1) - 1e-9
    result: IntArray = np.where((top > 0) & enough, leader, NO_NODE)
    return result
