"""The causal record's rows: messages, timer firings and node changes, each with its cause.

Kept apart from the recorder (``causality.py``), which fills them on the
engine's hot path: these are what explanations, exports and views read.
The batches are never changed once made, so a forked run shares them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from emergent_lab.protocol.messages import VERSION_BITS, split_key
from emergent_lab.protocol.view import MergeResult

NO_CAUSE = 0
"""The cause of a change made outside any message or timer (a fault, a user's action)."""


@dataclass(slots=True)
class MessageRecord:
    """One message: who sent it, when, while handling what, and what became of it."""

    id: int
    """From 1, in the order sent (timers have negative ids, so a cause names either)."""
    kind: str
    src: int
    dst: int
    sent: float
    cause: int
    """The event (message or timer id) being handled when it was sent."""
    seq: int
    """Order of the send among everything recorded (ties in time keep this order)."""
    fate: str = "in flight"
    """``"in flight"``, ``"delivered"`` or ``"dropped"``."""
    arrived: float = math.nan
    arrived_seq: int = -1


@dataclass(frozen=True, slots=True)
class TimerRecord:
    """A node's timer firing (``"heartbeat"``, ``"gossip"``, or ``"resume"`` after a pause)."""

    id: int
    time: float
    node: int
    name: str
    seq: int


@dataclass(frozen=True, slots=True)
class Change:
    """A change of one node, with the event that caused it.

    ``kind`` says which fields matter: ``"learned"`` (a newer state of
    ``subject``: generation, version, heartbeat, score, opinion),
    ``"suspected"`` / ``"trusted"`` (of ``subject``: phi, deadline and the
    last heartbeat arrival when suspected), ``"decided"`` (``opinion``,
    ``previous``, ``recognised``, ``acting``).
    """

    seq: int
    time: float
    node: int
    kind: str
    cause: int
    subject: int = -1
    generation: int = 0
    version: int = 0
    heartbeat: int = 0
    score: float = math.nan
    opinion: int = -1
    previous: int = -1
    recognised: int = -1
    acting: bool = False
    phi: float = math.nan
    deadline: float = math.nan
    last_heard: float = math.nan


@dataclass(slots=True)  # not frozen: one is made per message, and frozen inits cost more
class LearnedBatch:
    """The states one message taught its receiver: rows of the message's own (immutable) deltas.

    It holds the deltas' columns an explanation reads, not the message: the
    metrics and sizes travelling with them would be kept alive for nothing
    (most of the record's memory at 1,000 nodes). Which rows were taken and
    what they replaced come from the receiver's merge as it happened
    (:class:`~emergent_lab.protocol.view.MergeResult`): kept whole, and
    sliced only when read, so recording a message costs no array operation.
    """

    seq: int
    time: float
    node: int
    cause: int
    idx: np.ndarray
    """The deltas' node indices (one per row); the four arrays below follow the same rows."""
    key: np.ndarray
    heartbeat: np.ndarray
    score: np.ndarray
    opinion: np.ndarray
    merged: MergeResult
    """The receiver's merge of these deltas."""

    @property
    def rows(self) -> np.ndarray:
        """Rows of the deltas the receiver took, in order."""
        return self.merged.rows

    @property
    def before(self) -> np.ndarray:
        """Per row taken: the version key the receiver held before."""
        return self.merged.previous_key

    @property
    def beats(self) -> np.ndarray:
        """Per row taken: the heartbeat the receiver held before."""
        return self.merged.previous_heartbeat

    @property
    def mattered(self) -> np.ndarray:
        """Per row taken: whether more than heartbeats moved on.

        True for a new node or generation, or a version that advanced further
        than the heartbeat did (a score, opinion or status changed). Worked out
        when read, off the recorder's hot path.
        """
        rows = self.rows
        old, new = self.before, self.key[rows]
        # Each heartbeat is one new version: a version that moved further than
        # the heartbeat carries another change too.
        moved: np.ndarray = ((old >> VERSION_BITS) != (new >> VERSION_BITS)) | (
            new - old > self.heartbeat[rows] - self.beats
        )
        return moved

    @property
    def subjects(self) -> np.ndarray:
        """Indices of the nodes whose states were taken."""
        return self.merged.accepted

    def change(self, row: int) -> Change:
        """Row ``row`` of ``rows`` as a ``"learned"`` change."""
        k = int(self.rows[row])
        generation, version = split_key(int(self.key[k]))
        return Change(
            self.seq,
            self.time,
            self.node,
            "learned",
            self.cause,
            subject=int(self.idx[k]),
            generation=generation,
            version=version,
            heartbeat=int(self.heartbeat[k]),
            score=float(self.score[k]),
            opinion=int(self.opinion[k]),
        )

    def changes(self) -> list[Change]:
        """The batch as ``"learned"`` changes (they share the message's place in the order)."""
        return [self.change(row) for row in range(self.rows.shape[0])]


@dataclass(slots=True)
class TrustBatch:
    """The peers one node started trusting at one moment (``"trusted"`` changes, kept as one row).

    A node trusts every peer it hears of for the first time, so a cluster of
    n nodes makes about n² of these while it forms: one object per peer was
    most of the recorder's cost at 1,000 nodes. They share one place in the
    order, as the states one message taught do.
    """

    seq: int
    time: float
    node: int
    cause: int
    subjects: np.ndarray

    def changes(self) -> list[Change]:
        """The batch as ``"trusted"`` changes, one per peer."""
        return [
            Change(self.seq, self.time, self.node, "trusted", self.cause, subject=subject)
            for subject in self.subjects.tolist()
        ]
