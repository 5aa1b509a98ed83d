"""The simulated network: latency, loss, partitions, cut links and an optional graph.

It implements the protocol's ``Transport``: each message is counted with its
size, then dropped (partition, cut link, unreachable in the graph, random
loss) or delivered after a delay drawn from the latency model with the run's
generator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, Protocol

import networkx as nx
import numpy as np

from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.messages import Message
from emergent_lab.sim.eventlog import EventLog
from emergent_lab.sim.latency import ConstantLatency, LatencyModel, sample_many
from emergent_lab.sim.scheduler import Scheduler

GOSSIP_KINDS = ("syn", "ack", "ack2")
SENT, DELIVERED, DROPPED = 0, 1, 2


def kind_codes(kinds: Iterable[str]) -> dict[str, int]:
    """Log codes of the message kinds a network carries: gossip's, then ``kinds`` in order.

    Each network holds its own table, built from what its node class declares
    (a baseline's ELECTION…), so a run's event log and its digest depend on
    neither which message happens to go first nor what else ran in the
    process before it.
    """
    codes = {kind: code for code, kind in enumerate(GOSSIP_KINDS)}
    for kind in kinds:
        codes.setdefault(kind, len(codes) + 1)
    return codes


class Tracer(Protocol):
    """Told of every message's fate, and hands each delivery to its receiver.

    Set as ``SimNetwork.tracer`` when a run records causality; ``None`` (the
    default) costs one attribute test per message.
    """

    def sent(self, now: float, src: int, dst: int, kind: str) -> int:
        """A message left ``src``; return its id (never 0)."""
        ...

    def dropped(self, message_id: int) -> None:
        """The message was lost on the way (loss, partition, cut link, down receiver)."""
        ...

    def deliver(
        self, message_id: int, dst: int, message: Message, receive: Callable[[Message], Any]
    ) -> None:
        """Hand the message to ``receive``, knowing which message is being handled."""
        ...


class SimNetwork:
    """Carries messages between simulated nodes in virtual time.

    Args:
        scheduler: the run's clock and event queue.
        rng: the run's generator (loss and latency draws).
        ids: the id table the nodes share.
        latency: per-message one-way delay model.
        loss: probability that any one message is lost.
        graph: if given, nodes (by id) can only reach nodes connected to them,
            and the delay of a message is the latency draw times its hop count.
        log: the run's event log.
        kinds: the message kinds of the protocol beside gossip's (its node
            class's ``message_kinds``), for the event log's codes.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        rng: np.random.Generator,
        ids: IdTable,
        *,
        latency: LatencyModel | None = None,
        loss: float = 0.0,
        graph: nx.Graph | None = None,
        log: EventLog | None = None,
        kinds: Iterable[str] = (),
    ) -> None:
        self.scheduler = scheduler
        self.kind_codes = kind_codes(kinds)
        self.rng = rng
        self.ids = ids
        self.latency: LatencyModel = latency or ConstantLatency()
        self.loss = 0.0
        self.set_loss(loss)
        self.log = log or EventLog()
        self.receivers: dict[int, Callable[[Message], Any]] = {}
        self.group: dict[int, int] = {}
        self.cuts: set[frozenset[int]] = set()
        self.graph: nx.Graph | None = None
        self._hops: dict[int, dict[int, int]] = {}
        if graph is not None:
            self.set_graph(graph)
        self.messages_sent = 0
        self.bytes_sent = 0
        self.messages_delivered = 0
        self.messages_dropped = 0
        self.sent_by_kind = dict.fromkeys(self.kind_codes, 0)
        self.bytes_by_kind = dict.fromkeys(self.kind_codes, 0)
        self.on_send: list[Callable[[float, int, int, str, int], None]] = []
        self.tracer: Tracer | None = None
        """Records each message and its cause when the run records causality."""
        # The last message sent and its size: a gossip tick sends one digest to
        # every target, and a message (so its size) never changes.
        self._sized: Message | None = None
        self._size = 0

    # -- wiring -------------------------------------------------------------------

    def attach(self, index: int, receive: Callable[[Message], Any]) -> None:
        """Deliver messages addressed to ``index`` to ``receive``."""
        self.receivers[index] = receive

    def detach(self, index: int) -> None:
        """Stop delivering to ``index`` (messages in flight to it are lost)."""
        self.receivers.pop(index, None)

    # -- faults -----------------------------------------------------------------------

    def set_loss(self, loss: float) -> None:
        """Set the probability that a message is lost (0 to 1)."""
        from emergent_lab.core.checks import check_number

        self.loss = check_number("network.loss", loss, low=0, high=1)

    def set_latency(self, latency: LatencyModel) -> None:
        """Use another latency model from now on."""
        self.latency = latency

    def partition(self, groups: Sequence[Iterable[int]]) -> None:
        """Split the network: messages cross no group boundary until ``heal``.

        Nodes not named in any group form one more group together.
        """
        self.group = {}
        for number, members in enumerate(groups, start=1):
            for index in members:
                self.group[index] = number

    def heal(self) -> None:
        """End every partition and restore every cut link."""
        self.group = {}
        self.cuts = set()

    def cut(self, a: int, b: int) -> None:
        """Cut the link between two nodes, both ways."""
        self.cuts.add(frozenset((a, b)))

    def set_graph(self, graph: nx.Graph) -> None:
        """Restrict who reaches whom to ``graph`` (nodes named by id)."""
        self.graph = graph
        hops = dict(nx.all_pairs_shortest_path_length(graph))
        index = self.ids.intern
        self._hops = {
            index(str(a)): {index(str(b)): int(h) for b, h in row.items()}
            for a, row in hops.items()
        }

    def reachable(self, src: int, dst: int) -> bool:
        """Whether a message from src could reach dst right now (ignoring loss)."""
        if self.group.get(src, 0) != self.group.get(dst, 0):
            return False
        if self.cuts and frozenset((src, dst)) in self.cuts:
            return False
        return not self._hops or dst in self._hops.get(src, {})

    # -- transport --------------------------------------------------------------------

    def send(self, src: int, dst: int, message: Message) -> None:
        """Count the message, then drop it or schedule its delivery."""
        now = self.scheduler.now()
        if message is not self._sized:
            self._sized, self._size = message, message.wire_bytes(self.ids)
        size = self._size
        kind = message.kind
        self.messages_sent += 1
        self.bytes_sent += size
        self.sent_by_kind[kind] = self.sent_by_kind.get(kind, 0) + 1
        self.bytes_by_kind[kind] = self.bytes_by_kind.get(kind, 0) + size
        self.log.message(now, src, dst, self.kind_codes[kind], size)
        for hook in self.on_send:
            hook(now, src, dst, kind, size)
        if self.tracer is not None or self.loss or self.group or self.cuts or self._hops:
            self._route(now, src, dst, message, size)
            return
        # The common case, kept short: it runs once per message of a run.
        # A partial of a method, not a closure: a scheduled delivery is then
        # copied with the cluster when the dashboard forks a run.
        self.scheduler.post(
            self.latency.sample(src, dst, self.rng), partial(self._deliver, dst, message)
        )

    def send_all(self, src: int, dsts: Sequence[int], message: Message) -> None:
        """Send ``message`` from ``src`` to each of ``dsts``: ``send`` for each, in one go.

        The run is the one ``len(dsts)`` calls of ``send`` make, event for
        event: the messages are counted and logged in order, their delays are
        drawn in order (all at once, see :mod:`emergent_lab.sim.latency`),
        and each delivery keeps the counter its own ``send`` would have taken.
        What is saved is the per-message work: one log update, one draw, one
        sort, and one queue entry for the batch at a time instead of one per
        message in flight (a failover of the Bully at n = 1,000 has hundreds
        of thousands in flight). A traced, lossy or restricted network (a
        loss draw between two delays, a drop) sends them one by one.
        Hooks in ``on_send`` hear of every message before any is scheduled,
        so they must not schedule events or draw from the run's generator
        (none does: they count).
        """
        count = len(dsts)
        checked = self.tracer is not None or self.loss or self.group or self.cuts or self._hops
        if count < _BATCH_FROM or checked:
            for dst in dsts:
                self.send(src, dst, message)
            return
        now = self.scheduler.now()
        if message is not self._sized:
            self._sized, self._size = message, message.wire_bytes(self.ids)
        size = self._size
        kind = message.kind
        self.messages_sent += count
        self.bytes_sent += count * size
        self.sent_by_kind[kind] = self.sent_by_kind.get(kind, 0) + count
        self.bytes_by_kind[kind] = self.bytes_by_kind.get(kind, 0) + count * size
        targets = np.asarray(dsts, dtype=np.int64)
        self.log.messages(now, src, targets, self.kind_codes[kind], size)
        hooks = self.on_send
        if hooks:
            for dst in targets.tolist():
                for hook in hooks:
                    hook(now, src, dst, kind, size)
        delays = sample_many(self.latency, src, targets, self.rng)
        if not (np.all(delays >= 0.0) and np.all(np.isfinite(delays))):
            raise ValueError(f"delay: must be a finite number >= 0 (got {delays.min()!r})")
        first = self.scheduler.reserve(count)
        whens = now + delays
        order = np.argsort(whens, kind="stable")
        batch = _Batch(
            self, message, whens[order].tolist(), (first + order).tolist(), targets[order].tolist()
        )
        self.scheduler.post_keyed(batch.whens[0], batch.counters[0], batch)

    def _route(self, now: float, src: int, dst: int, message: Message, size: int) -> None:
        """The full path of a counted message: tracer, reachability and loss, then delivery."""
        tracer = self.tracer
        traced = tracer.sent(now, src, dst, message.kind) if tracer is not None else 0
        restricted = self.group or self.cuts or self._hops
        if (restricted and not self.reachable(src, dst)) or (
            self.loss and self.rng.random() < self.loss
        ):
            self.messages_dropped += 1
            self.log.message(now, src, dst, DROPPED, size)
            if tracer is not None:
                tracer.dropped(traced)
            return
        delay = self.latency.sample(src, dst, self.rng)
        if self._hops:
            delay *= max(1, self._hops[src][dst])
        if traced:
            self.scheduler.post(delay, partial(self._deliver_traced, traced, dst, message))
        else:
            self.scheduler.post(delay, partial(self._deliver, dst, message))

    def _deliver(self, dst: int, message: Message) -> None:
        receive = self.receivers.get(dst)
        if receive is None:
            self.messages_dropped += 1
            return
        self.messages_delivered += 1
        receive(message)

    def _deliver_traced(self, message_id: int, dst: int, message: Message) -> None:
        receive = self.receivers.get(dst)
        tracer = self.tracer
        if receive is None or tracer is None:
            if tracer is not None:
                tracer.dropped(message_id)
            self._deliver(dst, message)
            return
        self.messages_delivered += 1
        tracer.deliver(message_id, dst, message, receive)


_BATCH_FROM = 8
"""Fewer messages than this are sent one by one: below it, the batch's numpy calls cost more."""


class _Batch:
    """The deliveries of one ``send_all``, in time order: one queue entry at a time.

    Each delivery is due at its own time under its own counter (``whens``,
    ``counters``: sorted by both, ties in sending order); the batch queues its
    next delivery only when the one before is made, so the scheduler's heap
    holds one entry per batch in flight instead of one per message.
    """

    __slots__ = ("counters", "dsts", "message", "network", "next", "whens")

    def __init__(
        self,
        network: SimNetwork,
        message: Message,
        whens: list[float],
        counters: list[int],
        dsts: list[int],
    ) -> None:
        self.network = network
        self.message = message
        self.whens = whens
        self.counters = counters
        self.dsts = dsts
        self.next = 0

    def __call__(self) -> None:
        """Deliver the message due now, and queue the next one."""
        index = self.next
        network = self.network
        following = index + 1
        if following < len(self.dsts):
            self.next = following
            network.scheduler.post_keyed(self.whens[following], self.counters[following], self)
        network._deliver(self.dsts[index], self.message)
