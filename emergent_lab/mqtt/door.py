"""Two broker sessions for device heartbeats: a door for newcomers, a lane for known devices.

Anyone can publish on an open cluster's device topics, as fast as a broker
relays. A broker delivers a session's messages in order, so whatever an agent
cannot read yet queues in the broker and in the socket ahead of the next real
heartbeat: a flood at 7,500 messages a second on two shared cores held a
real device's heartbeats seconds behind it, however cheaply the agent dropped
the flood once read. Reading faster does not help when the flood is faster.

So the device wildcard (``devices/+/state``), where newcomers are heard, has a
session of its own, the *door*; a flood backs up there, in the broker and the
door's socket. The agent's main session subscribes to the exact
topic of each device it holds, so their heartbeats come through a queue the
flood never enters. The door still hears known devices too; a heartbeat read
twice is merged once (the second is not newer).

A held id could still flood the main session: a hostile client keeps a few
hundred invented devices alive, then republishes them as fast as it can. A
device heard more than :data:`MOST_PER_HEARTBEAT` times per heartbeat
interval is left to the door until it calms down.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Set

from emergent_lab.mqtt.topics import ClusterTopics
from emergent_lab.mqtt.transport import Connection

MOST_PER_HEARTBEAT = 4
"""Messages a device may be heard per heartbeat interval and keep its own subscription on the
main session; each heartbeat is heard twice (main session and door), so a device may send
twice per interval, the cluster's own timing jitter included."""


class DeviceDoor:
    """The door session and the per-device subscriptions of the main session.

    Args:
        door: a session subscribed to the device wildcard (not started yet).
        main: the agent's main session, which subscribes to each known device.
        topics: the cluster's topics.
        heartbeat_interval: the cluster's heartbeat interval, in seconds.
        clock: monotonic seconds.
    """

    def __init__(
        self,
        door: Connection,
        main: Connection,
        topics: ClusterTopics,
        *,
        heartbeat_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.door = door
        self.main = main
        self.topics = topics
        self.heartbeat_interval = heartbeat_interval
        self.clock = clock
        self.subscribed: set[str] = set()
        """Device ids whose own topic the main session subscribes to."""
        self._heard: Counter[str] = Counter()
        self._since = clock()
        self._session: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Open the door session (it reconnects on its own, like the main one)."""
        self._session = asyncio.create_task(self.door.run())

    async def close(self, timeout: float) -> None:
        """Close the door session, waiting at most ``timeout`` seconds."""
        session = self._session
        if session is not None:
            session.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(session, timeout)

    def heard(self, device: str) -> None:
        """Count one accepted heartbeat of a held device, from either session."""
        self._heard[device] += 1

    async def follow(self, devices: Set[str]) -> None:
        """Subscribe the main session to the topics of the calm ones of ``devices`` (those held).

        Calm: heard at most :data:`MOST_PER_HEARTBEAT` times per heartbeat
        interval since the last call.
        """
        now = self.clock()
        most = MOST_PER_HEARTBEAT * max(1.0, (now - self._since) / self.heartbeat_interval)
        devices = {d for d in devices if self._heard[d] <= most}
        self._heard.clear()
        self._since = now
        new = sorted(devices - self.subscribed)
        gone = sorted(self.subscribed - devices)
        self.subscribed = set(devices)
        await self.main.subscribe([self.topics.device_state(d) for d in new])
        await self.main.unsubscribe([self.topics.device_state(d) for d in gone])
