"""Gossip over a broker: a self-healing MQTT session and the protocol's Transport on it.

:class:`Connection` keeps one client session to the broker alive for as long
as the process runs: when the broker goes away it retries with exponential
backoff (with jitter, so a restarted broker is not hit by every client at
once), subscribes again and carries on; the caller's state is untouched, so
a node keeps its view across the outage and only messages in flight are
lost. :class:`MqttTransport` is what the protocol :class:`Node` sends
through: each message is encoded, signed when the cluster has a key, and
published to the receiver's own inbox topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emergent_lab.core.ids import IdTable
from emergent_lab.mqtt.auth import Signer, seal
from emergent_lab.mqtt.codec import encode_gossip
from emergent_lab.mqtt.settings import BrokerSettings
from emergent_lab.mqtt.topics import ClusterTopics
from emergent_lab.protocol.messages import Message

log = logging.getLogger(__name__)

OUTBOX_SIZE = 10_000
"""Publications queued while connected; beyond that they are dropped (gossip repeats)."""


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: ``initial`` doubling up to ``maximum``, each scaled by a jitter."""

    initial: float = 0.1
    maximum: float = 2.0

    def delay(self, attempt: int, jitter: float) -> float:
        """The wait before reconnect ``attempt`` (0-based), with ``jitter`` in [0, 1)."""
        return min(self.maximum, self.initial * 2.0**attempt) * (0.5 + 0.5 * jitter)


MessageHandler = Callable[[str, bytes], None]


class Connection:
    """One MQTT session that survives broker restarts.

    Args:
        settings: where the broker is and how to log in.
        client_id: the MQTT client identifier (unique per process incarnation).
        subscriptions: topic filters, subscribed again after every reconnect.
        on_message: called with ``(topic, payload)`` for every message; it
            must not raise (an exception is logged and the message dropped).
        on_connect: called after every (re)connection and subscription.
        will: ``(topic, payload)`` the broker publishes, retained, if this
            process vanishes without saying goodbye.
        rng: source of the backoff jitter.
        backoff: reconnect delays.
        keepalive: seconds of silence after which the broker (and we) declare
            the other side gone.
    """

    def __init__(
        self,
        settings: BrokerSettings,
        *,
        client_id: str,
        subscriptions: Sequence[str],
        on_message: MessageHandler,
        on_connect: Callable[[], None] | None = None,
        will: tuple[str, bytes] | None = None,
        rng: np.random.Generator | None = None,
        backoff: Backoff | None = None,
        keepalive: int = 5,
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.on_connect = on_connect
        self.will = will
        self.rng = rng if rng is not None else np.random.default_rng()
        self.backoff = backoff if backoff is not None else Backoff()
        self.keepalive = keepalive
        self.connected = asyncio.Event()
        self.connections = 0
        self.dropped = 0
        self._outbox: asyncio.Queue[tuple[str, bytes, bool]] = asyncio.Queue(OUTBOX_SIZE)
        self._client: Any = None

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        """Queue a publication; False (and counted as dropped) while disconnected or full."""
        if not self.connected.is_set():
            self.dropped += 1
            return False
        try:
            self._outbox.put_nowait((topic, payload, retain))
        except asyncio.QueueFull:
            self.dropped += 1
            return False
        return True

    async def publish_now(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        """Publish at once and wait for it to leave (used for the goodbye status)."""
        import aiomqtt

        client = self._client
        if client is None or not self.connected.is_set():
            return False
        try:
            await client.publish(topic, payload, qos=1, retain=retain)
        except aiomqtt.MqttError:
            return False
        return True

    def _client_for_session(self) -> Any:
        import aiomqtt

        will = None
        if self.will is not None:
            will = aiomqtt.Will(self.will[0], self.will[1], qos=1, retain=True)
        return aiomqtt.Client(
            identifier=self.client_id,
            will=will,
            keepalive=self.keepalive,
            **self.settings.client_options(),
        )

    async def run(self) -> None:
        """Connect, serve and reconnect until cancelled."""
        import aiomqtt

        attempt = 0
        while True:
            try:
                async with self._client_for_session() as client:
                    for topic in self.subscriptions:
                        await client.subscribe(topic, qos=0)
                    self._client = client
                    self.connections += 1
                    attempt = 0
                    self.connected.set()
                    log.info("%s connected to %s", self.client_id, self.settings.url)
                    if self.on_connect is not None:
                        self.on_connect()
                    await self._serve(client)
            except aiomqtt.MqttError as error:
                log.info("%s: broker connection lost (%s)", self.client_id, error)
            finally:
                self._client = None
                self.connected.clear()
                self._discard_outbox()
            await asyncio.sleep(self.backoff.delay(attempt, float(self.rng.random())))
            attempt += 1

    async def _serve(self, client: Any) -> None:
        sender = asyncio.create_task(self._drain(client))
        try:
            async for message in client.messages:
                payload = message.payload
                data = bytes(payload) if isinstance(payload, (bytes, bytearray)) else b""
                try:
                    self.on_message(message.topic.value, data)
                except Exception:
                    log.exception("message handler failed on %s", message.topic.value)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    async def _drain(self, client: Any) -> None:
        import aiomqtt

        while True:
            topic, payload, retain = await self._outbox.get()
            try:
                await client.publish(topic, payload, qos=0, retain=retain)
            except aiomqtt.MqttError:
                self.dropped += 1

    def _discard_outbox(self) -> None:
        while not self._outbox.empty():
            self._outbox.get_nowait()
            self.dropped += 1


class MqttTransport:
    """The protocol's :class:`~emergent_lab.protocol.transport.Transport` over a broker.

    Args:
        connection: the session messages are published on.
        topics: the cluster's topic names.
        ids: the process's id table (indices in, ids on the wire).
        generation: this process's incarnation, stamped on every message.
        signer: the cluster key's signer, or ``None``.
    """

    def __init__(
        self,
        connection: Connection,
        topics: ClusterTopics,
        ids: IdTable,
        *,
        generation: int,
        signer: Signer | None = None,
    ) -> None:
        self.connection = connection
        self.topics = topics
        self.ids = ids
        self.generation = generation
        self.signer = signer
        self.seq = 0
        self.sent = 0
        self.sent_bytes = 0
        self.devices: set[str] = set()
        """Members known to be devices: they have no inbox, so nothing is sent to them."""

    def send(self, src: int, dst: int, message: Message) -> None:
        """Publish ``message`` to the inbox of node ``dst``; lost if disconnected."""
        to = self.ids.ids[dst]
        if to in self.devices:
            return
        self.seq += 1
        obj = encode_gossip(message, self.ids, to=to, generation=self.generation, seq=self.seq)
        payload = seal(obj, self.signer)
        if self.connection.publish(self.topics.gossip(to), payload):
            self.sent += 1
            self.sent_bytes += len(payload)
