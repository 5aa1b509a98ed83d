"""Watching a live cluster from outside: membership, leader changes, rejection counters.

An observer speaks no gossip. It reads what the cluster publishes for
everyone: the retained leader, each agent's retained status (presence, its
view, its rejection counters) and the device heartbeats. :class:`Observation`
turns that stream into events (plain dicts, one JSON line each in ``--json``
mode); :func:`observe` connects and feeds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import IdTable, node_sort_key
from emergent_lab.mqtt.auth import Signer
from emergent_lab.mqtt.inbox import MAX_IDS, Inbox
from emergent_lab.mqtt.leader import Stamps
from emergent_lab.mqtt.reports import DeviceReport, NodeStatus
from emergent_lab.mqtt.settings import BrokerSettings
from emergent_lab.mqtt.topics import ClusterTopics
from emergent_lab.mqtt.transport import Connection
from emergent_lab.mqtt.wire import MIN_INTERVAL_S, REASONS

Event = dict[str, Any]


@dataclass
class Observation:
    """The cluster as seen from its public topics, and the events that change it.

    Args:
        topics: the cluster's topics.
        signer: the cluster key's signer, to check signatures (and refuse
            unsigned payloads) when the cluster has a key.
        wall_clock: unix time stamped on events.
    """

    topics: ClusterTopics
    signer: Signer | None = None
    wall_clock: Callable[[], float] = time.time
    inbox: Inbox = field(init=False)
    statuses: dict[str, NodeStatus] = field(default_factory=dict)
    devices: dict[str, DeviceReport] = field(default_factory=dict)
    """The last heartbeat heard from each device (at most ``MAX_IDS`` devices)."""
    leader: str | None = None
    members: tuple[str, ...] = ()
    stamps: Stamps = field(default_factory=Stamps)
    """Newest stamp per announcer: a replayed announcement is stale and ignored."""
    stale: int = 0
    _counters: Event | None = None

    def __post_init__(self) -> None:
        self.inbox = Inbox(IdTable(), signer=self.signer)

    def feed(self, topic: str, payload: bytes) -> list[Event]:
        """Take one message; return the events it caused (often none)."""
        events: list[Event] = []
        topics = self.topics
        if topic == topics.leader:
            announcement = self.inbox.leader(payload)
            if announcement is not None and not self.stamps.fresh(announcement):
                self.stale += 1
            elif announcement is not None:
                self.leader = announcement.leader
                events.append(
                    self._event(
                        "leader",
                        leader=announcement.leader,
                        since=announcement.since,
                        members=announcement.members,
                    )
                )
            return events
        topic_id = topics.topic_node(topic)
        if topic_id is None:
            return events
        if topic == topics.device_state(topic_id):
            report = self.inbox.device(payload, topic_id=topic_id, admit=False)
            known = report is not None and report.node in self.devices
            if report is not None and (known or len(self.devices) < MAX_IDS):
                before = self.devices.get(report.node)
                self.devices[report.node] = report
                if before is None or before.generation < report.generation:
                    events.append(
                        self._event("device", node=report.node, generation=report.generation)
                    )
        elif topic == topics.status(topic_id):
            status = self.inbox.status(payload, topic_id=topic_id)
            if status is not None:
                events.extend(self._status(status))
        return events

    def _status(self, status: NodeStatus) -> list[Event]:
        events: list[Event] = []
        before = self.statuses.get(status.node)
        changed = before is None or (before.online, before.generation) != (
            status.online,
            status.generation,
        )
        self.statuses[status.node] = status
        if changed:
            kind = "join" if status.online else "leave"
            events.append(self._event(kind, node=status.node, generation=status.generation))
        members = self.current_members()
        if members != self.members:
            self.members = members
            events.append(self._event("members", members=list(members)))
        return events

    def current_members(self) -> tuple[str, ...]:
        """Online agents and every node that some online agent believes alive."""
        alive: set[str] = set()
        for status in self.statuses.values():
            if status.online:
                alive.add(status.node)
                alive.update(p.node for p in status.peers if p.alive)
        return tuple(sorted(alive, key=node_sort_key))

    def counters(self) -> Event | None:
        """A ``counters`` event if any rejection count changed since the last one."""
        nodes = {
            s.node: dict(s.rejected) for s in self.statuses.values() if s.online and s.rejected
        }
        snapshot: Event = {"observer": dict(self.inbox.rejected), "nodes": nodes}
        if snapshot == self._counters:
            return None
        self._counters = snapshot
        return self._event("counters", **snapshot)

    def _event(self, kind: str, **fields: Any) -> Event:
        return {"event": kind, "time": round(self.wall_clock(), 3), **fields}


def _counts(counts: dict[str, int]) -> str:
    return " ".join(f"{r}={counts[r]}" for r in REASONS if counts.get(r)) or "none"


def format_event(event: Event) -> str:
    """One human-readable line for an event."""
    stamp = time.strftime("%H:%M:%S", time.localtime(event["time"]))
    kind = event["event"]
    if kind == "leader":
        who = event["leader"] or "none (leadership emerging)"
        return f"{stamp} leader   {who} ({event['members']} members)"
    if kind in ("join", "leave", "device"):
        return f"{stamp} {kind:8} {event['node']} (generation {event['generation']})"
    if kind == "members":
        return f"{stamp} members  {len(event['members'])}: {' '.join(event['members'])}"
    per_node = "; ".join(f"{n}: {_counts(c)}" for n, c in sorted(event["nodes"].items()))
    return f"{stamp} rejected observer: {_counts(event['observer'])}" + (
        f"; {per_node}" if per_node else ""
    )


async def observe(
    settings: BrokerSettings,
    topics: ClusterTopics,
    emit: Callable[[Event], None],
    *,
    signer: Signer | None = None,
    duration: float | None = None,
    counters_every: float = 5.0,
    stop: asyncio.Event | None = None,
) -> Observation:
    """Watch the cluster, calling ``emit`` for every event, until ``stop`` or ``duration``."""
    check_number("--counters-every", counters_every, low=MIN_INTERVAL_S)
    if duration is not None:
        check_number("--duration", duration, low=0, low_open=True)
    stop = stop if stop is not None else asyncio.Event()
    observation = Observation(topics, signer)

    def on_message(topic: str, payload: bytes) -> None:
        for event in observation.feed(topic, payload):
            emit(event)

    connection = Connection(
        settings,
        client_id=f"emergent-{topics.cluster}-observer-{time.monotonic_ns()}",
        subscriptions=[topics.leader, topics.all_status, topics.all_devices],
        on_message=on_message,
    )
    session = asyncio.create_task(connection.run())

    async def report_counters() -> None:
        while True:
            await asyncio.sleep(counters_every)
            event = observation.counters()
            if event is not None:
                emit(event)

    reporter = asyncio.create_task(report_counters())
    try:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), duration)
    finally:
        for task in (reporter, session):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return observation
