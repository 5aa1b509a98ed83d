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
What a message taught is written by the receiver's compiled merge itself:
every view holds the recorder's merge journal
(:class:`~emergent_lab.protocol.journal.MergeJournal`), the merge copies
each state it takes there with the key and heartbeat it replaced, and the
recorder keeps those rows by count (``NodeListener.states_merged`` says how
many). It never draws a random number and never schedules anything of its
own, so a run with causality on is the same run, event for event (same
digest).

Its cost per message is a few list appends (``causal_records``' tables):
no view is read, no array made, and no object made for the garbage
collector to trace, which had cost more than the appends themselves.
"""

from __future__ import annotations

import copy
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Container, Sequence
from functools import partial
from typing import Any

import numpy as np

from emergent_lab.exact.causal_records import (
    DROPPED,
    IN_FLIGHT,
    NO_CAUSE,
    Change,
    LearnedBatch,
    LearnedTable,
    MessageRecord,
    MessageTable,
    TimerRecord,
    TimerTable,
    TrustBatch,
)
from emergent_lab.protocol.journal import NO_ROWS, MergeJournal
from emergent_lab.protocol.messages import Message, StateBatch
from emergent_lab.protocol.transport import Cancellable, NodeListener
from emergent_lab.protocol.view import MergeResult, View
from emergent_lab.sim.scheduler import Scheduler


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
        """Suspicions and decisions (trust and states learned are kept apart: ``all_changes``)."""
        self.current = NO_CAUSE
        """The message (id > 0) or timer (id < 0) being handled now; ``NO_CAUSE`` between."""
        # Columns, appended to on the hot path (a few list appends per message, no
        # object the garbage collector traces); records are made when read.
        self._messages = MessageTable()
        self._timers = TimerTable()
        self._learned = LearnedTable()
        self._seq = 0
        self._trust_batches: list[TrustBatch] = []
        self._by_node: dict[int, tuple[list[LearnedBatch], list[float]]] = {}
        """Learned batches per receiver with their times, caught up when read."""
        self._indexed = 0
        self._opinions: dict[int, int] = {}
        """Each node's last reported opinion (a decision records what it replaced)."""
        self.journal = MergeJournal()
        """Where every view's merge copies the states it takes (``watch``)."""
        self._taken = 0
        """States the receiver's merge of the message being delivered took, once reported."""
        self._carried: np.ndarray = NO_ROWS[:, 0]
        """The indices of the states that message carried."""

    def __deepcopy__(self, memo: dict[int, Any]) -> CausalRecorder:
        """A fork's recorder: the records so far shared, the lists and indices its own.

        Every entry is immutable once made (a message's fate is a column the
        fork copies), so copying the lists (pointers) is enough; deep-copying
        millions of entries made each dashboard checkpoint cost more the
        longer the run had gone.
        """
        twin = copy.copy(self)
        memo[id(self)] = twin
        twin.listener = copy.deepcopy(self.listener, memo)
        twin.clock = copy.deepcopy(self.clock, memo)
        twin.changes = list(self.changes)
        twin._messages = self._messages.copy()
        twin._timers = self._timers.copy()
        twin._learned = self._learned.copy()
        twin.journal = copy.deepcopy(self.journal, memo)  # the fork's views share it
        twin._trust_batches = list(self._trust_batches)
        twin._by_node = {k: (list(b), list(t)) for k, (b, t) in self._by_node.items()}
        twin._opinions = dict(self._opinions)
        return twin

    def watch(self, node: object) -> None:
        """Have ``node``'s merges write what they take to the record's journal (before it starts).

        A node without a gossip view (a baseline's) merges nothing to record.
        """
        view = getattr(node, "view", None)
        if isinstance(view, View):
            view.journal = self.journal

    def _tick(self) -> int:
        self._seq += 1
        return self._seq

    # -- reading -------------------------------------------------------------------------

    @property
    def message_count(self) -> int:
        """How many messages were sent so far."""
        return len(self._messages)

    def message(self, message_id: int) -> MessageRecord:
        """The record of one message (ids run from 1 in the order they were sent)."""
        if not 1 <= message_id <= len(self._messages):
            raise KeyError(f"message: no message {message_id} (1..{len(self._messages)})")
        return self._messages.record(message_id)

    def messages(
        self, *, start: float = 0.0, stop: float = math.inf, nodes: Container[int] | None = None
    ) -> list[MessageRecord]:
        """The messages sent between ``start`` and ``stop`` (default: all), in the order sent.

        ``nodes``: only those sent or received by one of these node indices
        (chosen from the columns, so the records built are only those kept).
        """
        m = self._messages
        first, last = bisect_left(m.sent, start), bisect_right(m.sent, stop)
        rows: Sequence[int] = range(first, last)
        if nodes is not None:
            src, dst = m.src, m.dst
            rows = [k for k in rows if src[k] in nodes or dst[k] in nodes]
        return [m.record(k + 1) for k in rows]

    def learned_by(self, node: int) -> tuple[list[LearnedBatch], list[float]]:
        """What messages taught ``node``, in order, and their times (read-only)."""
        batches = self._learned.read(self.journal)
        if self._indexed < len(batches):
            by_node = self._by_node
            for batch in batches[self._indexed :]:
                entry = by_node.get(batch.node)
                if entry is None:
                    entry = by_node[batch.node] = ([], [])
                entry[0].append(batch)
                entry[1].append(batch.time)
            self._indexed = len(batches)
        return self._by_node.get(node, ([], []))

    def learned_since(self, start: float) -> list[LearnedBatch]:
        """What each message that arrived at or after ``start`` taught its receiver, in order."""
        return self._learned.read(self.journal)[bisect_left(self._learned.time, start) :]

    def timers(self) -> list[TimerRecord]:
        """Every timer firing so far, in order."""
        return [self._timers.record(-1 - k) for k in range(len(self._timers))]

    def learned(self) -> list[LearnedBatch]:
        """What each message taught its receiver, in order (one batch per message)."""
        return list(self._learned.read(self.journal))

    def timer(self, timer_id: int) -> TimerRecord:
        """The record of one timer firing (ids are negative: -1, -2, … in firing order)."""
        if not 1 <= -timer_id <= len(self._timers):
            raise KeyError(f"timer: no timer firing {timer_id}")
        return self._timers.record(timer_id)

    # -- the network's side (sim.network.Tracer) -------------------------------------

    def sent(self, now: float, src: int, dst: int, kind: str) -> int:
        """Give a message its id and remember what was being handled when it left."""
        self._seq += 1
        m = self._messages
        m.kind.append(kind)
        m.src.append(src)
        m.dst.append(dst)
        m.sent.append(now)
        m.cause.append(self.current)
        m.seq.append(self._seq)
        m.arrived.append(math.nan)
        m.arrived_seq.append(IN_FLIGHT)
        return len(m.kind)

    def dropped(self, message_id: int) -> None:
        """The message never reached its receiver."""
        self._messages.arrived_seq[message_id - 1] = DROPPED

    def deliver(
        self, message_id: int, dst: int, message: Message, receive: Callable[[Message], Any]
    ) -> None:
        """Hand a message over as the current cause; keep what its receiver's merge took.

        The receiver reports its merge (``states_merged``) while handling the
        message; the batch is numbered after everything the message caused,
        as it always was, so nothing here reads the receiver's view.
        """
        now = self.clock.now()
        self._seq += 1
        m = self._messages
        m.arrived[message_id - 1] = now
        m.arrived_seq[message_id - 1] = self._seq
        self.current = message_id
        try:
            receive(message)
        finally:
            self.current = NO_CAUSE
        taken = self._taken
        if taken:
            self._taken = 0
            self.journal.end += taken  # MergeJournal.keep, inline (once per message)
            self._seq += 1
            t = self._learned
            t.seq.append(self._seq)
            t.time.append(now)
            t.node.append(dst)
            t.cause.append(message_id)
            t.taken.append(taken)
            t.carried.append(self._carried)

    def trusts(self) -> list[Change]:
        """Every ``"trusted"`` change so far, in order."""
        return [c for batch in self._trust_batches for c in batch.changes()]

    def trusted_between(self, node: int, subject: int, *, after: int, until: float) -> bool:
        """Whether ``node`` trusted ``subject`` after order ``after`` and by time ``until``."""
        for batch in reversed(self._trust_batches):
            if batch.seq <= after:
                return False
            if batch.node == node and batch.time <= until and subject in batch.subjects:
                return True
        return False

    def all_changes(self) -> list[Change]:
        """Every change so far, trust and states learned included, in the order they happened."""
        learned = [c for batch in self._learned.read(self.journal) for c in batch.changes()]
        return sorted([*self.changes, *self.trusts(), *learned], key=lambda c: c.seq)

    # -- the clock's side ------------------------------------------------------------------

    def fire(self, callback: Callable[[], Any]) -> None:
        """Run a node's timer as the current cause (its node and name read from the callback).

        Nodes schedule partials of their own methods (so forks copy them): a
        periodic tick is ``partial(node._timer_fired, name, action)``, anything
        else of a node's (a message held over a pause) is the node resuming.
        Read inline: this runs for every timer of the run.
        """
        func = getattr(callback, "func", None)
        index = getattr(getattr(func, "__self__", None), "index", None)
        if index is None:  # not a node's (a scenario's action)
            callback()
            return
        args: tuple[Any, ...] = getattr(callback, "args", ())
        tick = bool(args) and getattr(func, "__name__", "") == "_timer_fired"
        t = self._timers
        timer_id = -1 - len(t.time)
        self._seq += 1
        t.time.append(self.clock.now())
        t.node.append(index)
        t.name.append(str(args[0]) if tick else "resume")
        t.seq.append(self._seq)
        self.current = timer_id
        try:
            callback()
        finally:
            self.current = NO_CAUSE

    # -- the nodes' side (protocol.transport.NodeListener) -------------------------------------

    def states_merged(self, node: Any, deltas: StateBatch, result: MergeResult) -> None:
        """Note how many states a merge made while a message is handled took, for ``deliver``.

        The merge wrote them to the journal; ``deliver`` keeps them. A merge
        under a timer (a message held over a pause, taken when the node
        resumes) is not recorded: the record keeps what messages taught when
        they were delivered, and the next merge writes over its rows.
        """
        if self.current > 0:
            self._taken, self._carried = result.accepted.shape[0], deltas.idx

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
        if restored.size:
            self._trust_batches.append(TrustBatch(self._tick(), now, index, self.current, restored))
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


__all__ = [
    "NO_CAUSE",
    "CausalRecorder",
    "Change",
    "LearnedBatch",
    "MessageRecord",
    "TimerRecord",
    "TracingClock",
    "TrustBatch",
]
