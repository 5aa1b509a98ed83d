"""The causal record's rows: messages, timer firings and node changes, each with its cause.

Kept apart from the recorder (``causality.py``), which fills them on the
engine's hot path: these are what explanations, exports and views read.
Messages, timer firings and what messages taught are kept as columns (a
list per field) and made into records only when read: an object (or a
tuple) per message was most of the recorder's cost, as each one is traced
by the garbage collector, while ints, floats, strings and numpy arrays are
not. The states messages taught are rows of the run's merge journal,
written by the compiled merge. Nothing is changed once recorded (but a
message's fate), so a forked run shares every entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from emergent_lab.protocol.journal import MergeJournal
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


@dataclass(frozen=True, slots=True)
class LearnedBatch:
    """The states one message taught its receiver: its rows of the run's merge journal.

    Each row is a state the receiver's merge took, as the compiled merge
    copied it (:data:`~emergent_lab.protocol.journal.JOURNAL_COLUMNS`: who,
    the new key, heartbeat and opinion, and the key and heartbeat held
    before), so of the message itself only the indices it carried are kept.
    """

    seq: int
    time: float
    node: int
    cause: int
    first: int
    """Its first row's number in the journal (the next batch's starts after its rows)."""
    rows: np.ndarray
    """One row per state taken, in the message's order (a read-only view of the journal)."""
    scores: np.ndarray
    """Per row: the score taken."""
    carried: np.ndarray
    """The node indices of every state the message carried, taken or not (the message's own)."""

    @property
    def mattered(self) -> np.ndarray:
        """Per row: whether more than heartbeats moved on.

        True for a new node or generation, or a version that advanced further
        than the heartbeat did (a score, opinion or status changed). Worked out
        when read, off the recorder's hot path.
        """
        rows = self.rows
        old, new = rows[:, 4], rows[:, 1]
        # Each heartbeat is one new version: a version that moved further than
        # the heartbeat carries another change too.
        moved: np.ndarray = ((old >> VERSION_BITS) != (new >> VERSION_BITS)) | (
            new - old > rows[:, 2] - rows[:, 5]
        )
        return moved

    @property
    def subjects(self) -> np.ndarray:
        """Indices of the nodes whose states were taken."""
        taken: np.ndarray = self.rows[:, 0]
        return taken

    def change(self, row: int) -> Change:
        """Row ``row`` as a ``"learned"`` change."""
        subject, key, heartbeat, opinion = self.rows[row, :4].tolist()
        generation, version = split_key(key)
        return Change(
            self.seq,
            self.time,
            self.node,
            "learned",
            self.cause,
            subject=subject,
            generation=generation,
            version=version,
            heartbeat=heartbeat,
            score=float(self.scores[row]),
            opinion=opinion,
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

    The states themselves are rows of the run's merge journal
    (:class:`~emergent_lab.protocol.journal.MergeJournal`), kept in the
    order of the messages, so a message's are found from how many each one
    before it kept (``taken``): a batch is sliced out of the journal when read.
    """

    __slots__ = ("batches", "carried", "cause", "node", "seq", "taken", "time")

    def __init__(self) -> None:
        self.seq: list[int] = []
        self.time: list[float] = []
        """Sorted (deliveries happen in time order): ``learned_since`` bisects it."""
        self.node: list[int] = []
        self.cause: list[int] = []
        self.taken: list[int] = []
        """How many journal rows (states taken) each message kept."""
        self.carried: list[np.ndarray] = []
        """The indices of every state each message carried (its deltas' own array, kept)."""
        self.batches: list[LearnedBatch] = []
        """The rows read so far, as batches (made on first read, then kept)."""

    def __len__(self) -> int:
        return len(self.seq)

    def read(self, journal: MergeJournal) -> list[LearnedBatch]:
        """Every row as a batch, in order (the list is the table's own: do not change it)."""
        batches = self.batches
        first = batches[-1].first + batches[-1].rows.shape[0] if batches else 0
        for k in range(len(batches), len(self.seq)):
            taken = self.taken[k]
            rows, scores = journal.rows(first, taken)
            rows.flags.writeable = scores.flags.writeable = False
            batches.append(
                LearnedBatch(
                    self.seq[k],
                    self.time[k],
                    self.node[k],
                    self.cause[k],
                    first,
                    rows,
                    scores,
                    self.carried[k],
                )
            )
            first += taken
        return batches
