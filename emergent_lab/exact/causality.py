"""Causality, recorded on demand: which message or timer made each node change its mind.

With ``ClusterConfig(..., causality=True)`` (scenario ``[run] causality = true``)
the cluster gives every message an id and remembers the event that sent it,
and every change of a node (a state learned, a suspicion, an opinion, a
recognition) remembers the message or timer being handled when it happened.
That is what explanations, the message-sequence view and the ShiViz export
read.

The recorder sits outside the protocol, so the node is unchanged: the
network hands it each delivery (``SimNetwork.tracer``), a clock wrapper
hands it each timer, and it listens to the nodes in front of the observer.
It never draws a random number and never schedules anything of its own, so
a run with causality on is the same run, event for event (same digest).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from emergent_lab.protocol.messages import VERSION_BITS, Message, StateBatch, split_key
from emergent_lab.protocol.transport import Cancellable, NodeListener
from emergent_lab.sim.scheduler import Scheduler

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
    """The states one message taught its receiver: rows of the message's own (immutable) deltas."""

    seq: int
    time: float
    node: int
    cause: int
    deltas: StateBatch
    rows: np.ndarray
    """Rows of ``deltas`` the receiver took."""
    before: np.ndarray
    """Per row of ``deltas``: the version key the receiver held before."""
    beats: np.ndarray
    """Per row of ``deltas``: the heartbeat the receiver held before."""

    @property
    def mattered(self) -> np.ndarray:
        """Per row taken: whether more than heartbeats moved on.

        True for a new node or generation, or a version that advanced further
        than the heartbeat did (a score, opinion or status changed). Worked out
        when read, off the recorder's hot path.
        """
        rows = self.rows
        old, new = self.before[rows], self.deltas.key[rows]
        # Each heartbeat is one new version: a version that moved further than
        # the heartbeat carries another change too.
        moved: np.ndarray = ((old >> VERSION_BITS) != (new >> VERSION_BITS)) | (
            new - old > self.deltas.heartbeat[rows] - self.beats[rows]
        )
        return moved

    @property
    def subjects(self) -> np.ndarray:
        """Indices of the nodes whose states were taken."""
        taken: np.ndarray = self.deltas.idx[self.rows]
        return taken

    def change(self, row: int) -> Change:
        """Row ``row`` of ``rows`` as a ``"learned"`` change."""
        d = self.deltas
        k = int(self.rows[row])
        generation, version = split_key(int(d.key[k]))
        return Change(
            self.seq,
            self.time,
            self.node,
            "learned",
            self.cause,
            subject=int(d.idx[k]),
            generation=generation,
            version=version,
            heartbeat=int(d.heartbeat[k]),
            score=float(d.score[k]),
            opinion=int(d.opinion[k]),
        )

    def changes(self) -> list[Change]:
        """The batch as ``"learned"`` changes (they share the message's place in the order)."""
        return [self.change(row) for row in range(self.rows.shape[0])]


class CausalRecorder:
    """Keeps every message, timer firing and node change of a run, each with its cause.

    Args:
        listener: the cluster's observer; every node report passes through to it unchanged.
        clock: the run's scheduler (the time of deliveries and timers).
    """

    def __init__(self, listener: NodeListener, *, clock: Scheduler) -> None:
        self.listener = listener
        self.clock = clock
        self.changes: list[Change] = []
        """Suspicions and decisions (states learned are kept apart, see ``all_changes``)."""
        self.current = NO_CAUSE
        """The message (id > 0) or timer (id < 0) being handled now; ``NO_CAUSE`` between."""
        # Plain tuples and lists: one entry per message is the recorder's hot path.
        self._sent: list[tuple[str, int, int, float, int, int]] = []
        """Per message id - 1: kind, src, dst, time sent, cause, seq."""
        self._arrived: dict[int, tuple[float, int]] = {}
        self._dropped: set[int] = set()
        self._timers: list[tuple[float, int, str, int]] = []
        """Per timer id -1 - k: time, node, name, seq."""
        self._seq = 0
        self._learned_batches: list[LearnedBatch] = []
        self._opinions: dict[int, int] = {}
        """Each node's last reported opinion (a decision records what it replaced)."""

    def _tick(self) -> int:
        self._seq += 1
        return self._seq

    # -- reading -------------------------------------------------------------------------

    @property
    def message_count(self) -> int:
        """How many messages were sent so far."""
        return len(self._sent)

    def message(self, message_id: int) -> MessageRecord:
        """The record of one message (ids run from 1 in the order they were sent)."""
        if not 1 <= message_id <= len(self._sent):
            raise KeyError(f"message: no message {message_id} (1..{len(self._sent)})")
        kind, src, dst, sent, cause, seq = self._sent[message_id - 1]
        record = MessageRecord(message_id, kind, src, dst, sent, cause, seq)
        if message_id in self._arrived:
            record.fate = "delivered"
            record.arrived, record.arrived_seq = self._arrived[message_id]
        elif message_id in self._dropped:
            record.fate = "dropped"
        return record

    def messages(self, *, start: float = 0.0, stop: float = math.inf) -> list[MessageRecord]:
        """The messages sent between ``start`` and ``stop`` (default: all), in the order sent."""
        first = bisect_left(self._sent, start, key=lambda sent: sent[3])
        last = bisect_right(self._sent, stop, key=lambda sent: sent[3])
        return [self.message(k) for k in range(first + 1, last + 1)]

    def timers(self) -> list[TimerRecord]:
        """Every timer firing so far, in order."""
        return [self.timer(-1 - k) for k in range(len(self._timers))]

    def learned(self) -> list[LearnedBatch]:
        """What each message taught its receiver, in order (one batch per message)."""
        return list(self._learned_batches)

    def timer(self, timer_id: int) -> TimerRecord:
        """The record of one timer firing (ids are negative: -1, -2, … in firing order)."""
        if not 1 <= -timer_id <= len(self._timers):
            raise KeyError(f"timer: no timer firing {timer_id}")
        return TimerRecord(timer_id, *self._timers[-timer_id - 1])

    # -- the network's side (sim.network.Tracer) -------------------------------------

    def sent(self, now: float, src: int, dst: int, kind: str) -> int:
        """Give a message its id and remember what was being handled when it left."""
        self._seq += 1
        self._sent.append((kind, src, dst, now, self.current, self._seq))
        return len(self._sent)

    def dropped(self, message_id: int) -> None:
        """The message never reached its receiver."""
        self._dropped.add(message_id)

    def deliver(
        self, message_id: int, dst: int, message: Message, receive: Callable[[Message], Any]
    ) -> None:
        """Hand a message over as the current cause; note the states it taught the receiver."""
        now = self.clock.now()
        self._seq += 1
        self._arrived[message_id] = (now, self._seq)
        deltas = getattr(message, "deltas", None)
        node = getattr(receive, "__self__", None)
        view = getattr(node, "view", None)
        if view is None or deltas is None or not deltas.idx.shape[0]:  # a digest teaches nothing
            self.current = message_id
            try:
                receive(message)
            finally:
                self.current = NO_CAUSE
            return
        idx, ids = deltas.idx, len(node.ids)  # type: ignore[union-attr]
        before = _keys(view.key, idx, ids)
        beats = _keys(view.heartbeat, idx, ids)
        self.current = message_id
        try:
            receive(message)
        finally:
            self.current = NO_CAUSE
        # After a merge, key == the delta's key exactly where the delta was taken.
        taken = _keys(view.key, idx, ids) == deltas.key
        taken &= before != deltas.key
        rows = taken.nonzero()[0]
        if rows.shape[0]:
            self._seq += 1
            batch = LearnedBatch(self._seq, now, dst, message_id, deltas, rows, before, beats)
            self._learned_batches.append(batch)

    def all_changes(self) -> list[Change]:
        """Every change so far, states learned included, in the order they happened."""
        learned = [c for batch in self._learned_batches for c in batch.changes()]
        return sorted([*self.changes, *learned], key=lambda c: c.seq)

    # -- the clock's side ------------------------------------------------------------------

    def fire(self, callback: Callable[[], Any]) -> None:
        """Run a node's timer as the current cause (its name read from the callback)."""
        owner, name = _timer_of(callback)
        if owner is None:
            callback()
            return
        timer_id = -1 - len(self._timers)
        self._seq += 1
        self._timers.append((self.clock.now(), owner.index, name, self._seq))
        self.current = timer_id
        try:
            callback()
        finally:
            self.current = NO_CAUSE

    # -- the nodes' side (protocol.transport.NodeListener) -------------------------------------

    def node_changed(self, node: Any, now: float) -> None:
        """Remember the decision and its cause, then tell the observer."""
        previous = self._opinions.get(int(node.index), -1)
        self._opinions[int(node.index)] = int(node.opinion)
        self.changes.append(
            Change(
                self._tick(),
                now,
                int(node.index),
                "decided",
                self.current,
                opinion=int(node.opinion),
                previous=previous,
                recognised=int(node.recognised),
                acting=bool(node.acting),
            )
        )
        self.listener.node_changed(node, now)

    def suspicions_changed(
        self, node: Any, suspected: np.ndarray, restored: np.ndarray, now: float
    ) -> None:
        """Remember each suspicion with the phi that crossed the threshold; tell the observer."""
        detector = node.view.detector
        index = int(node.index)
        if suspected.size:
            phi = detector.phi(now, suspected).tolist()
            deadline = detector.suspect_at[suspected].tolist()
            last = detector.last_heartbeat[suspected].tolist()
            for k, subject in enumerate(suspected.tolist()):
                self.changes.append(
                    Change(
                        self._tick(),
                        now,
                        index,
                        "suspected",
                        self.current,
                        subject=int(subject),
                        phi=float(phi[k]),
                        deadline=float(deadline[k]),
                        last_heard=float(last[k]),
                    )
                )
        for subject in restored.tolist():
            self.changes.append(
                Change(self._tick(), now, index, "trusted", self.current, subject=int(subject))
            )
        self.listener.suspicions_changed(node, suspected, restored, now)


class TracingClock:
    """The scheduler as a node's clock, with each timer run as a known cause."""

    def __init__(self, scheduler: Scheduler, recorder: CausalRecorder) -> None:
        self.scheduler = scheduler
        self.recorder = recorder
        self.now: Callable[[], float] = scheduler.now
        """The scheduler's virtual time (its own method: nodes read it constantly)."""

    def call_later(self, delay: float, callback: Callable[[], Any]) -> Cancellable:
        """Schedule ``callback`` (in the same place of the queue as without tracing)."""
        return self.scheduler.schedule(delay, partial(self.recorder.fire, callback))


def _keys(key: np.ndarray, idx: np.ndarray, ids: int) -> np.ndarray:
    """``key[idx]``, with 0 for indices beyond the view (``ids``: how many ids exist)."""
    if key.shape[0] < ids and int(idx.max()) >= key.shape[0]:
        out = np.zeros(idx.shape[0], dtype=np.int64)
        inside = idx < key.shape[0]
        out[inside] = key[idx[inside]]
        return out
    taken: np.ndarray = key[idx]
    return taken


def _timer_of(callback: Callable[[], Any]) -> tuple[Any, str]:
    """The node that scheduled ``callback`` and the timer's name, from the partial's parts.

    Nodes schedule partials of their own methods (so forks copy them): a
    periodic tick is ``partial(node._timer_fired, name, action)``, anything
    else (a message held over a pause) is the node resuming.
    """
    if not isinstance(callback, partial):
        return None, ""
    owner = getattr(callback.func, "__self__", None)
    if owner is None or not hasattr(owner, "index"):
        return None, ""
    if getattr(callback.func, "__name__", "") == "_timer_fired" and callback.args:
        return owner, str(callback.args[0])
    return owner, "resume"
