"""A node's view of the cluster: the newest versioned state it holds of every peer.

The view is a set of parallel numpy arrays indexed by the shared id table, so
that comparing a digest, choosing deltas and merging them is a handful of
vectorised operations however many peers there are. Merging keeps, per node,
the state with the highest version key, which makes it commutative,
associative and idempotent: the order in which gossip arrives does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emergent_lab.detector import DetectorBank, DetectorParams
from emergent_lab.protocol.messages import VERSION_BITS, StateBatch

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What a merge changed, so the node re-evaluates only when it must."""

    accepted: np.ndarray
    """Indices whose state was replaced by a newer one."""
    heartbeats: np.ndarray
    """Indices whose heartbeat advanced (each one is an arrival for the detector)."""
    structural: bool
    """True if a score, opinion or status changed, or a node became known."""


class View:
    """The versioned states and failure detectors a node holds for every peer."""

    def __init__(self, owner: int, detector: DetectorParams, capacity: int = 0) -> None:
        self.owner = owner
        self.capacity = 0
        self.key = _EMPTY.copy()
        self.heartbeat = _EMPTY.copy()
        self.score = np.zeros(0)
        self.opinion = _EMPTY.copy()
        self.status = np.zeros(0, dtype=np.int8)
        self.metrics = np.empty(0, dtype=object)
        self.state_bytes = _EMPTY.copy()
        self.known = np.zeros(0, dtype=bool)
        self.quarantine_until = np.zeros(0)
        self.detector = DetectorBank(detector)
        self._digest: np.ndarray | None = None
        self._quarantined = 0
        """How many peers may be quarantined (an upper bound; 0 skips the checks)."""
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
        self.quarantine_until = np.concatenate([self.quarantine_until, np.full(grow, -np.inf)])
        self.detector.ensure_capacity(n)
        self.capacity = n
        self._digest = None

    def invalidate(self) -> None:
        """Forget the cached digest after the owner changed its own state."""
        self._digest = None

    def digest(self) -> np.ndarray:
        """Version keys of every state held (0 where none), shared until the view changes."""
        if self._digest is None:
            self._digest = np.where(self.known, self.key, 0)
        return self._digest

    def compare(self, theirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Compare a peer's digest with ours: (indices we hold newer, indices they hold newer).

        Quarantined peers keep their last key in ``key``, so we do not ask for
        an old generation we just collected, but ``digest()`` hides them, so we
        do not send it either.
        """
        if theirs.shape[0] > self.capacity:
            self.ensure_capacity(theirs.shape[0])
        mine = self.digest()
        if theirs.shape[0] < self.capacity:
            theirs = np.concatenate(
                [theirs, np.zeros(self.capacity - theirs.shape[0], dtype=np.int64)]
            )
        newer_here = np.flatnonzero(mine > theirs)
        newer_there = np.flatnonzero(theirs > self.key)
        if newer_there.size and newer_there[newer_there == self.owner].size:
            newer_there = newer_there[newer_there != self.owner]
        return newer_here, newer_there

    def batch(self, idx: np.ndarray) -> StateBatch:
        """The states held for ``idx`` (only those actually held)."""
        if idx.size:
            idx = idx[self.known[idx]]
        return StateBatch(
            idx=idx,
            key=self.key[idx],
            heartbeat=self.heartbeat[idx],
            score=self.score[idx],
            opinion=self.opinion[idx],
            status=self.status[idx],
            metrics=self.metrics[idx],
            state_bytes=self.state_bytes[idx],
        )

    def merge(self, batch: StateBatch, now: float) -> MergeResult:
        """Keep every state of ``batch`` that is newer than ours; feed the detectors.

        A state about the owner itself is never taken from others: a node is
        the only authority on its own state. Deltas are chosen against our
        digest, so usually every one is newer and no selection is needed.
        """
        if not len(batch):
            return MergeResult(_EMPTY, _EMPTY, False)
        top = int(batch.idx.max())
        if top >= self.capacity:
            self.ensure_capacity(top + 1)
        idx = batch.idx
        old_key = self.key[idx]
        take = (batch.key > old_key) & (idx != self.owner)
        if self._quarantined:
            quarantined = self.quarantine_until[idx] > now
            if quarantined.any():
                newer_generation = (batch.key >> VERSION_BITS) > (old_key >> VERSION_BITS)
                take &= ~quarantined | newer_generation
        if take.all():
            key, heartbeat, score = batch.key, batch.heartbeat, batch.score
            opinion, status = batch.opinion, batch.status
            metrics, state_bytes = batch.metrics, batch.state_bytes
        else:
            sel = np.flatnonzero(take)
            if not sel.size:
                return MergeResult(_EMPTY, _EMPTY, False)
            idx, old_key = idx[sel], old_key[sel]
            key, heartbeat, score = batch.key[sel], batch.heartbeat[sel], batch.score[sel]
            opinion, status = batch.opinion[sel], batch.status[sel]
            metrics, state_bytes = batch.metrics[sel], batch.state_bytes[sel]
        was_known = self.known[idx]
        new_generation = (key >> VERSION_BITS) > (old_key >> VERSION_BITS)
        fresh = new_generation | ~was_known
        structural = bool(
            fresh.any()
            or (score != self.score[idx]).any()
            or (opinion != self.opinion[idx]).any()
            or (status != self.status[idx]).any()
        )
        beat = fresh | (heartbeat > self.heartbeat[idx])
        if structural:
            restarted = idx[new_generation & was_known]
            if restarted.size:
                self.detector.reset(restarted)
            self.known[idx] = True
            if self._quarantined:
                self.quarantine_until[idx] = -np.inf
        self.key[idx] = key
        self.heartbeat[idx] = heartbeat
        self.score[idx] = score
        self.opinion[idx] = opinion
        self.status[idx] = status
        self.metrics[idx] = metrics
        self.state_bytes[idx] = state_bytes
        beats = idx if beat.all() else idx[beat]
        if beats.size:
            self.detector.heartbeat_unchecked(beats, now)
        self._digest = None
        return MergeResult(idx, beats, structural)

    def collect(self, idx: np.ndarray, now: float, quarantine: float) -> None:
        """Drop peers that have been dead long enough, and quarantine their generation."""
        if not idx.size:
            return
        self.known[idx] = False
        self.metrics[idx] = None
        self.opinion[idx] = -1
        self.quarantine_until[idx] = now + quarantine
        self._quarantined += int(idx.size)
        self.detector.reset(idx)
        self._digest = None

    def release_quarantine(self, now: float) -> None:
        """Forget the keys of peers whose quarantine is over, so they may rejoin."""
        if not self._quarantined:
            return
        done = (self.quarantine_until <= now) & ~self.known & (self.key != 0)
        if done.any():
            self.key[done] = 0
            self.heartbeat[done] = 0
            self.quarantine_until[done] = -np.inf
        self._quarantined = int((self.quarantine_until > -np.inf).sum())
