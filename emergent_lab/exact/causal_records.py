"""The causal record's rows: messages, timer firings and node changes, each with its cause.

Kept apart from the recorder (``causality.py``), which fills them on the
engine's hot path: these are what explanations, exports and views read.
Messages, timer firings and what messages taught are kept as columns (a
list per field) and made into records only when read: an object (or a
tuple) per message was most of the recorder's cost, as each one is traced
by the garbage collector, while ints, floats, strings and numpy arrays are
not. Nothing is changed once recorded (but a message's fate), so a forked
run shares every entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from emergent_lab.protocol.messages import VERSION_BITS, split_key

NO_CAUSE = 0
"""The cause of a change made outside any message or timer (a fault, a user's action)."""
IN_FLIGHT, DROPPED = -1, -2
"""A message's arrival order (``MessageTable.arrived_seq``) while in flight, and once lost."""


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


@dataclass(slots=True)  # not frozen: made in bulk when a record is read
class LearnedBatch:
    """The states one message taught its receiver: rows of the message's own (immutable) deltas.

    It holds the deltas' columns an explanation reads, not the message: the
    metrics and sizes travelling with them would be kept alive for nothing
    (most of the record's memory at 1,000 nodes). Which rows were taken and
    what they replaced come from the receiver's merge as it happened
    (:class:`~emergent_lab.protocol.view.MergeResult`).
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
    rows: np.ndarray
    """Rows of the deltas the receiver took, in order."""
    before: np.ndarray
    """Per row taken: the version key the receiver held before."""
    beats: np.ndarray
    """Per row taken: the heartbeat the receiver held before."""

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
        taken: np.ndarray = self.idx[self.rows]
        return taken

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


Table = TypeVar("Table", bound="Columns")


class Columns:
    """A table kept as one list per field (its ``__slots__``), a row per entry."""

    __slots__: tuple[str, ...] = ()

    def copy(self: Table) -> Table:
        """A fork's table: the same entries, in lists of its own.

        Entries are never changed once recorded but a message's fate, which
        is a column the fork copies like the others, so sharing them is safe.
        """
        twin = type(self)()
        for name in self.__slots__:
            setattr(twin, name, list(getattr(self, name)))
        return twin


class MessageTable(Columns):
    """Every message as columns, row ``id - 1``: who sent it when, its cause, its fate."""

    __slots__ = ("arrived", "arrived_seq", "cause", "dst", "kind", "sent", "seq", "src")

    def __init__(self) -> None:
        self.kind: list[str] = []
        self.src: list[int] = []
        self.dst: list[int] = []
        self.sent: list[float] = []
        """Sorted (messages are sent in time order): ``messages(start, stop)`` bisects it."""
        self.cause: list[int] = []
        self.seq: list[int] = []
        self.arrived: list[float] = []
        self.arrived_seq: list[int] = []
        """The order of the arrival, or ``IN_FLIGHT`` / ``DROPPED``."""

    def __len__(self) -> int:
        return len(self.kind)

    def record(self, message_id: int) -> MessageRecord:
        """Message ``message_id`` (from 1) as a record."""
        k = message_id - 1
        record = MessageRecord(
            message_id,
            self.kind[k],
            self.src[k],
            self.dst[k],
            self.sent[k],
            self.cause[k],
            self.seq[k],
        )
        arrived_seq = self.arrived_seq[k]
        if arrived_seq >= 0:
            record.fate = "delivered"
            record.arrived, record.arrived_seq = self.arrived[k], arrived_seq
        elif arrived_seq == DROPPED:
            record.fate = "dropped"
        return record


class TimerTable(Columns):
    """Every timer firing as columns, row ``-1 - id``."""

    __slots__ = ("name", "node", "seq", "time")

    def __init__(self) -> None:
        self.time: list[float] = []
        self.node: list[int] = []
        self.name: list[str] = []
        self.seq: list[int] = []

    def __len__(self) -> int:
        return len(self.time)

    def record(self, timer_id: int) -> TimerRecord:
        """Firing ``timer_id`` (-1, -2, …) as a record."""
        k = -1 - timer_id
        return TimerRecord(timer_id, self.time[k], self.node[k], self.name[k], self.seq[k])


class LearnedTable(Columns):
    """What each message taught its receiver, as columns: a row per message that taught anything.

    The arrays are the message's deltas and the receiver's merge scratch
    (:class:`~emergent_lab.protocol.view.MergeResult`'s ``taken_at`` and
    ``previous``), kept as they are: a batch is sliced out of them when read.
    """

    __slots__ = (
        "batches",
        "cause",
        "heartbeat",
        "idx",
        "key",
        "node",
        "opinion",
        "previous",
        "score",
        "seq",
        "taken",
        "taken_at",
        "time",
    )

    def __init__(self) -> None:
        self.seq: list[int] = []
        self.time: list[float] = []
        """Sorted (deliveries happen in time order): ``learned_since`` bisects it."""
        self.node: list[int] = []
        self.cause: list[int] = []
        self.idx: list[np.ndarray] = []
        self.key: list[np.ndarray] = []
        self.heartbeat: list[np.ndarray] = []
        self.score: list[np.ndarray] = []
        self.opinion: list[np.ndarray] = []
        self.taken_at: list[np.ndarray] = []
        self.previous: list[np.ndarray] = []
        self.taken: list[int] = []
        self.batches: list[LearnedBatch] = []
        """The rows read so far, as batches (made on first read, then kept)."""

    def __len__(self) -> int:
        return len(self.seq)

    def read(self) -> list[LearnedBatch]:
        """Every row as a batch, in order (the list is the table's own: do not change it)."""
        batches = self.batches
        for k in range(len(batches), len(self.seq)):
            taken = self.taken[k]
            previous = self.previous[k]
            batches.append(
                LearnedBatch(
                    self.seq[k],
                    self.time[k],
                    self.node[k],
                    self.cause[k],
                    self.idx[k],
                    self.key[k],
                    self.heartbeat[k],
                    self.score[k],
                    self.opinion[k],
                    self.taken_at[k][:taken],
                    previous[0, :taken],
                    previous[1, :taken],
                )
            )
        return batches
