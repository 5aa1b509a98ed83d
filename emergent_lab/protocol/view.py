"""A node's view of the cluster: the newest versioned state it holds of every peer.

The view is a set of parallel numpy arrays indexed by the shared id table, so
that comparing a digest, choosing deltas and merging them is a handful of
vectorised operations however many peers there are. Merging keeps, per node,
the state with the highest version key, which makes it commutative,
associative and idempotent: the order in which gossip arrives does not matter.

A peer collected as dead leaves a tombstone: its entry keeps the last
version key and heartbeat held (the arrays hold them anyway, so tombstones
cost nothing and are bounded by the id table) and is no longer offered in the
digest. A state of a buried generation is taken back only if its heartbeat
is newer than the tombstone's, which a crashed node can never produce: a
stale copy gossiped back however late is refused, while a live node cut off
by a partition (or a long pause) is taken back at its first new heartbeat,
and a restart (a higher generation) at once.

Nor does a node vouch for a peer it suspects: the digest offers only the
states of peers its owner believes alive (or that left), so the state of a
crashed node stops spreading once its holders' detectors fire, and a node
that joins later, or a relay whose copy is stale, cannot hand it on as news.

A merge runs for every gossip message, on a few dozen states, so its cost is
the number of numpy calls rather than their size. Hence ``np.count_nonzero``
instead of ``.any()`` / ``.all()`` (which go through Python-level wrappers,
several times slower), and scalar operands kept as 0-d arrays (numpy converts
a Python number anew at every operation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emergent_lab.core.arrays import BoolArray, IntArray
from emergent_lab.detector import DetectorBank, DetectorParams
from emergent_lab.protocol.exchange import compare_digests, gather_states
from emergent_lab.protocol.journal import NO_ROWS, NO_SCORES, MergeJournal
from emergent_lab.protocol.merging import GROW_VIEW, MERGED, merge_states
from emergent_lab.protocol.messages import StateBatch
from emergent_lab.protocol.survey import survey

_EMPTY = np.zeros(0, dtype=np.int64)
_NO_VERDICTS = np.zeros(0, dtype=bool)
"""Availability left to the view's own phi detectors (see ``View.survey``)."""


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What a merge changed, so the node re-evaluates only when it must.

    A causal record reads what a message taught (each state taken, and what
    the view held before) from the view's :class:`MergeJournal`, written by
    the compiled merge as it went, rather than by reading the view before
    and after every message.
    """

    accepted: np.ndarray
    """Indices whose state was replaced by a newer one."""
    heartbeats: np.ndarray
    """Indices whose heartbeat advanced (each one is an arrival for the detector)."""
    structural: bool
    """True if a score, opinion or status changed, or a node became known."""
    taken_at: np.ndarray
    """Its first ``len(accepted)`` entries: the batch positions taken, in batch order."""

    @property
    def rows(self) -> np.ndarray:
        """The batch positions taken, in batch order (``accepted`` is the batch's ``idx`` there)."""
        rows: np.ndarray = self.taken_at[: self.accepted.shape[0]]
        return rows


_UNCHANGED = MergeResult(_EMPTY, _EMPTY, False, _EMPTY)
"""The result of every merge that took nothing (shared: its arrays are empty)."""


class View:
    """The versioned states and failure detectors a node holds for every peer."""

    def __init__(self, owner: int, detector: DetectorParams, capacity: int = 0) -> None:
        self.owner = owner
        self._owner = np.array(owner)  # 0-d, for merges (see the module docstring)
        self.capacity = 0
        self.key = _EMPTY.copy()
        self.heartbeat = _EMPTY.copy()
        self.score = np.zeros(0)
        self.opinion = _EMPTY.copy()
        self.status = np.zeros(0, dtype=np.int8)
        self.metrics = np.empty(0, dtype=object)
        self.state_bytes = _EMPTY.copy()
        self.known = np.zeros(0, dtype=bool)
        self.suspected = np.zeros(0, dtype=bool)
        """Held peers the owner does not believe alive (kept out of the digest)."""
        self._suspecting = 0
        self.detector = DetectorBank(detector)
        self._digest: np.ndarray | None = None
        self._buried = 0
        """How many peers lie under a tombstone (0 skips the checks)."""
        self._newer_here = _EMPTY
        self._newer_there = _EMPTY
        """Scratch of ``compare`` (one slot per peer)."""
        self.journal: MergeJournal | None = None
        """Where merges copy each state they take, when a causal record wants them."""
        self.ensure_capacity(max(capacity, owner + 1))

    def ensure_capacity(self, n: int) -> None:
        """Grow every array to hold at least ``n`` peers (ids interned since)."""
        if n <= self.capacity:
            return
        grow = n - self.capacity
        self.key = np.concatenate([self.key, np.zeros(grow, dtype=np.int64)])
        self.heartbeat = np.concatenate([self.heartbeat, np.zeros(grow, dtype=np.int64)])
        self.score = np.concatenate([self.score, np.zeros(grow)])
        self.opinion = np.concatenate([self.opinion, np.full(grow, -1, dtype=np.int64)])
        self.status = np.concatenate([self.status, np.zeros(grow, dtype=np.int8)])
        self.metrics = np.concatenate([self.metrics, np.empty(grow, dtype=object)])
        self.state_bytes = np.concatenate([self.state_bytes, np.zeros(grow, dtype=np.int64)])
        self.known = np.concatenate([self.known, np.zeros(grow, dtype=bool)])
        self.suspected = np.concatenate([self.suspected, np.zeros(grow, dtype=bool)])
        self.detector.ensure_capacity(n)
        self._newer_here = np.empty(n, dtype=np.int64)
        self._newer_there = np.empty(n, dtype=np.int64)
        self.capacity = n
        self._digest = None

    def invalidate(self) -> None:
        """Forget the cached digest after the owner changed its own state."""
        self._digest = None

    def survey(
        self, now: float, owner_up: bool, previous: BoolArray, available: BoolArray | None
    ) -> tuple[BoolArray, IntArray, int]:
        """Who is alive now: ``(alive mask, members alive, how many differ from previous)``.

        A held peer that is up and available to the owner's detector is
        alive (``available``: another detector's verdicts; None: this view's
        phi detectors at ``now``); one held and up but not available is
        suspected and leaves the digest. One compiled pass
        (:func:`~emergent_lab.protocol.survey.survey`).
        """
        alive = np.empty(self.capacity, dtype=bool)
        members = np.empty(self.capacity, dtype=np.int64)
        bank = self.detector.state()
        m, flips, changed, self._suspecting = survey(
            self.owner,
            owner_up,
            self.known,
            self.status,
            _NO_VERDICTS if available is None else available,
            bank.rule,
            bank.suspect_at,
            now,
            previous,
            alive,
            self.suspected,
            members,
        )
        if changed:
            self._digest = None
        return alive, members[:m], flips

    def digest(self) -> np.ndarray:
        """Version keys of the states offered (0 where none), shared until the view changes.

        Offered are the states held of peers not suspected. Only buried peers
        are not held yet keep a key, so without any tombstone or suspicion
        the digest is a plain copy of the keys.
        """
        if self._digest is None:
            if self._buried or self._suspecting:
                self._digest = np.where(self.known & ~self.suspected, self.key, 0)
            else:
                self._digest = self.key.copy()
        return self._digest

    def compare(self, theirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Compare a peer's digest with ours: (indices we hold newer, indices they hold newer).

        Buried peers keep their last key in ``key``, so we do not ask for a
        version we already buried, but ``digest()`` hides them, so we do not
        send it either. One compiled pass
        (:func:`~emergent_lab.protocol.exchange.compare_digests`) into the
        view's scratch; the two lists returned are copies.
        """
        if theirs.shape[0] > self.capacity:
            self.ensure_capacity(theirs.shape[0])
        here, there = compare_digests(
            self.owner, theirs, self.digest(), self.key, self._newer_here, self._newer_there
        )
        return self._newer_here[:here].copy(), self._newer_there[:there].copy()

    def batch(self, idx: np.ndarray) -> StateBatch:
        """The states held for ``idx`` (only those actually held), gathered in one compiled pass."""
        n = idx.shape[0]
        out_idx = np.empty(n, dtype=np.int64)
        key = np.empty(n, dtype=np.int64)
        heartbeat = np.empty(n, dtype=np.int64)
        score = np.empty(n)
        opinion = np.empty(n, dtype=np.int64)
        status = np.empty(n, dtype=np.int8)
        state_bytes = np.empty(n, dtype=np.int64)
        m = gather_states(
            idx, self.known, self.key, self.heartbeat, self.score, self.opinion, self.status,
            self.state_bytes, out_idx, key, heartbeat, score, opinion, status, state_bytes,
        )  # fmt: skip
        if m < n:
            out_idx, key, heartbeat, opinion = out_idx[:m], key[:m], heartbeat[:m], opinion[:m]
            score, status, state_bytes = score[:m], status[:m], state_bytes[:m]
        return StateBatch(
            idx=out_idx,
            key=key,
            heartbeat=heartbeat,
            score=score,
            opinion=opinion,
            status=status,
            metrics=self.metrics[out_idx],
            state_bytes=state_bytes,
        )

    def merge(self, batch: StateBatch, now: float) -> MergeResult:
        """Keep every state of ``batch`` that is newer than ours; feed the detectors.

        A state about the owner itself is never taken from others: a node is
        the only authority on its own state. A state of a buried generation is
        taken only with a heartbeat newer than the tombstone's (see the module
        docstring); a refused one still raises the tombstone's key, so it is
        not asked for again (the digest, which hides buried peers, is
        unchanged). The merge is compiled
        (:func:`~emergent_lab.protocol.merging.merge_states`); only the
        metrics, Python objects, are copied here. With a ``journal`` the
        merge also writes each state taken there (not kept until its reader
        says so: :meth:`MergeJournal.keep`).
        """
        idx = batch.idx
        n = idx.shape[0]
        if not n:
            return _UNCHANGED
        taken_at = np.empty(n, dtype=np.int64)
        beats = np.empty(n, dtype=np.int64)
        journal = self.journal
        if journal is None:
            rows, scores, start = NO_ROWS, NO_SCORES, -1
        else:
            start = journal.reserve(n)
            rows, scores = journal.block, journal.block_scores
        while True:
            outcome, taken, heartbeats, structural, self._buried = merge_states(
                self.owner,
                self._buried,
                idx,
                batch.key,
                batch.heartbeat,
                batch.score,
                batch.opinion,
                batch.status,
                batch.state_bytes,
                self.key,
                self.heartbeat,
                self.score,
                self.opinion,
                self.status,
                self.state_bytes,
                self.known,
                now,
                taken_at,
                beats,
                rows,
                scores,
                start,
                *self.detector.state(),
            )
            if outcome == MERGED:
                break
            if outcome == GROW_VIEW:  # states of peers interned since this view last grew
                self.ensure_capacity(taken)
            else:
                self.detector.widen(taken)
        if not taken:
            return _UNCHANGED
        if taken == n:
            self.metrics[idx] = batch.metrics
        else:
            at = taken_at[:taken]
            idx = idx[at]
            self.metrics[idx] = batch.metrics[at]
        self._digest = None
        return MergeResult(idx, beats[:heartbeats], structural, taken_at)

    def forget(self, idx: np.ndarray) -> None:
        """Forget peers entirely, tombstones included, so their slots can hold other ids.

        Only a process that recycles its id table under hostile input calls it
        (:mod:`emergent_lab.mqtt.admission`); opinions naming a forgotten peer
        become "none", as they would otherwise name the slot's next id.
        """
        if not idx.size:
            return
        self.key[idx] = 0
        self.heartbeat[idx] = 0
        self.score[idx] = 0.0
        self.opinion[idx] = -1
        self.opinion[np.isin(self.opinion, idx)] = -1
        self.status[idx] = 0
        self.metrics[idx] = None
        self.state_bytes[idx] = 0
        self.known[idx] = False
        self.suspected[idx] = False
        self._suspecting = int(np.count_nonzero(self.suspected))
        self._buried = int(np.count_nonzero(~self.known & (self.key != 0)))
        self.detector.reset(idx)
        self._digest = None

    def collect(self, idx: np.ndarray) -> None:
        """Drop peers that have been dead long enough, leaving a tombstone of each.

        The tombstone is the entry's last key and heartbeat, kept while its
        state (metrics, opinion, detector) is forgotten.
        """
        if not idx.size:
            return
        self.known[idx] = False
        self.metrics[idx] = None
        self.opinion[idx] = -1
        self._buried += int(idx.size)
        self.detector.reset(idx)
        self._digest = None
