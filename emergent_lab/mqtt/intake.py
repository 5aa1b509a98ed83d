"""Between the broker and the message handler: bounded lanes, served in turn, newcomers rationed.

On an open broker anyone can publish on the device topics. The MQTT client
reads whatever the broker sends into one first-in-first-out queue, so a
client publishing heartbeats for thousands of invented devices once put a
real device's heartbeats minutes behind the flood: it was suspected and a
fake device led. An :class:`Intake` replaces that queue (``aiomqtt`` takes it
as its ``queue_type``). Each message is sorted, by its topic alone and before
it is decoded, into one of four lanes, each bounded (the oldest goes first
when it is full, as memberlist and Serf drop the oldest broadcasts):

- ``protocol``: gossip addressed to this node, the leader topic, statuses of
  ids it holds;
- ``established``: heartbeats of devices that showed a live heartbeat;
- ``provisional``: heartbeats of devices admitted but not established yet;
- ``newcomer``: heartbeats and statuses of ids not held at all. At most
  :data:`NEWCOMERS_PER_SECOND` of them (bursts of :data:`NEWCOMER_BURST`)
  get in; the rest are dropped unread.

A device lane keeps one message per topic: a later message replaces the
queued one (normally a newer heartbeat, which makes the queued one stale). The handler takes
one message from each non-empty lane in turn, so a real device's heartbeat
waits behind at most one message per established id whatever is flooded,
and nothing from the network makes a lane grow past its bound. Every
message dropped is counted by reason (:data:`DROP_REASONS`); the agent
publishes the counts with its rejection counters.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

Lane = Literal["protocol", "established", "provisional", "newcomer"]
LANES: tuple[Lane, ...] = ("protocol", "established", "provisional", "newcomer")
"""The lanes, in the order the handler serves them within a turn."""
NEWCOMERS_PER_SECOND = 50.0
"""Messages from ids not held that may enter per second: a cold start of 1,000 devices is
admitted within 20 s, and one-shot invented ids never hold more than about
``50 * (gc_after + detection)``, about 1,800 entries at the default 30 s, inside the 4,096 ids
one gossip digest may name."""
NEWCOMER_BURST = 200.0
"""Newcomer messages that may enter at once after a quiet spell."""
DROP_REASONS = ("superseded", "intake_full", "newcomer_rate")
"""Why the intake drops a message: a later message on the same device topic replaced it, its
lane was full (the oldest goes), or the newcomer ration was used up."""


@dataclass(frozen=True)
class LaneBound:
    """The most messages and payload bytes one lane holds."""

    messages: int
    payload_bytes: int


BOUNDS: dict[Lane, LaneBound] = {
    "protocol": LaneBound(1_000, 16 * 2**20),
    "established": LaneBound(10_000, 16 * 2**20),
    "provisional": LaneBound(1_000, 4 * 2**20),
    "newcomer": LaneBound(256, 2 * 2**20),
}
"""Lane bounds: the established lane has room for one heartbeat of every id an agent
holds; the others for a burst. 38 MiB at most in all."""


def _payload_size(message: Any) -> int:
    payload = getattr(message, "payload", b"")
    return len(payload) if isinstance(payload, (bytes, bytearray)) else 0


class _Queue:
    """One bounded lane; ``coalesce`` keeps one message per topic."""

    def __init__(self, bound: LaneBound, *, coalesce: bool) -> None:
        self.bound = bound
        self.coalesce = coalesce
        self.items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.payload_bytes = 0
        self._serial = itertools.count()

    def put(self, topic: str, message: Any, dropped: Counter[str]) -> None:
        key: Hashable = topic if self.coalesce else next(self._serial)
        size = _payload_size(message)
        replaced = self.items.pop(key, None)
        if replaced is not None:
            self.payload_bytes -= replaced[1]
            dropped["superseded"] += 1
        self.items[key] = (message, size)
        self.payload_bytes += size
        bound = self.bound
        while len(self.items) > bound.messages or self.payload_bytes > bound.payload_bytes:
            _, (_, oldest) = self.items.popitem(last=False)
            self.payload_bytes -= oldest
            dropped["intake_full"] += 1

    def get(self) -> Any:
        _, (message, size) = self.items.popitem(last=False)
        self.payload_bytes -= size
        return message


@dataclass
class Triage:
    """How one process sorts its incoming messages, and what it dropped (across reconnects).

    Args:
        lane: the lane of a message, from its topic.
        rate: newcomer messages let in per second.
        burst: newcomer messages let in at once.
        clock: monotonic seconds.
    """

    lane: Callable[[str], Lane]
    rate: float = NEWCOMERS_PER_SECOND
    burst: float = NEWCOMER_BURST
    clock: Callable[[], float] = time.monotonic
    dropped: Counter[str] = field(default_factory=Counter)
    _tokens: float = field(init=False, default=0.0)
    _filled_at: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._tokens = self.burst
        self._filled_at = self.clock()

    def newcomer_allowed(self) -> bool:
        """Take one newcomer token if there is one (the bucket refills at ``rate``)."""
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._filled_at) * self.rate)
        self._filled_at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def queue(self, maxsize: int = 0) -> Intake:
        """A fresh intake for one broker session (``aiomqtt`` passes ``maxsize``; unused)."""
        return Intake(self)


class Intake(asyncio.Queue[Any]):
    """The message queue of one broker session, in lanes (see the module docstring).

    Only ``put_nowait`` (the client's callback) and ``get`` (the handler) are used.
    """

    def __init__(self, triage: Triage) -> None:
        self.triage = triage
        super().__init__()

    def _init(self, maxsize: int) -> None:
        self.lanes = {
            lane: _Queue(BOUNDS[lane], coalesce=lane not in ("protocol",)) for lane in LANES
        }
        self._turn = itertools.cycle(LANES)

    def qsize(self) -> int:
        """Messages waiting in all lanes (``asyncio.Queue`` would count its own deque)."""
        return sum(len(lane.items) for lane in self.lanes.values())

    def empty(self) -> bool:
        """Whether no lane holds a message."""
        return self.qsize() == 0

    def _put(self, item: Any) -> None:
        topic = str(item.topic.value)
        lane = self.triage.lane(topic)
        if lane == "newcomer" and not self.triage.newcomer_allowed():
            self.triage.dropped["newcomer_rate"] += 1
            return
        self.lanes[lane].put(topic, item, self.triage.dropped)

    def _get(self) -> Any:
        while True:  # asyncio calls _get only when not empty(): some lane holds a message
            lane = self.lanes[next(self._turn)]
            if lane.items:
                return lane.get()
