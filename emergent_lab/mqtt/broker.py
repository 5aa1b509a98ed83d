"""A zero-set-up MQTT broker for demos and lessons: amqtt, on loopback only.

Mosquitto or any other broker serves real deployments; this one exists so a
lesson needs nothing but ``pip install emergent-lab[mqtt]``. It binds to
127.0.0.1 and allows anonymous clients, which is safe only because nothing
off the machine can reach it.
"""

from __future__ import annotations

import logging
from typing import Any

from emergent_lab.core.checks import check_number

LOOPBACK = "127.0.0.1"


def _subscribed_retained_only() -> Any:
    """The amqtt Broker, fixed to send retained messages only to matching subscribers.

    amqtt 0.12 replays, to every client that connects, the retained messages
    matching *any* client's subscriptions (``Broker.client_connected`` loops
    over all of ``_subscriptions``), against MQTT 3.1.1 §3.3.1.3. With
    retained statuses that floods every short-lived publisher, such as a
    ``mosquitto_pub`` device. The override keeps the replay to the filters the
    session really holds; a new subscription is already registered when amqtt
    replays for it, so that path is unchanged.
    """
    from amqtt.broker import Broker

    class SubscribedRetainedOnly(Broker):  # type: ignore[misc]
        async def _publish_retained_messages_for_subscription(
            self, subscription: tuple[str, int], session: Any
        ) -> None:
            holders = self._subscriptions.get(subscription[0], [])
            if any(held is session for held, _ in holders):
                await super()._publish_retained_messages_for_subscription(subscription, session)

    return SubscribedRetainedOnly


class EmbeddedBroker:
    """An amqtt broker listening on ``127.0.0.1:port``.

    Args:
        port: the TCP port (1883 is MQTT's own).
    """

    def __init__(self, port: int = 1883) -> None:
        self.port = int(check_number("--port", port, low=1, high=65535, integer=True))
        self._broker: Any = None

    @property
    def url(self) -> str:
        """The URL clients connect to."""
        return f"mqtt://{LOOPBACK}:{self.port}"

    async def start(self) -> None:
        """Open the listener (amqtt is imported here, so the extra stays optional)."""
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._broker = _subscribed_retained_only()(
            {
                "listeners": {"default": {"type": "tcp", "bind": f"{LOOPBACK}:{self.port}"}},
                "plugins": {
                    "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
                },
            }
        )
        await self._broker.start()

    async def stop(self) -> None:
        """Close every session and the listener."""
        if self._broker is not None:
            await self._broker.shutdown()
            self._broker = None

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
