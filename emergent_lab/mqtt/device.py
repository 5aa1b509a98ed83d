"""A simulated device: what a small sensor does to take part without gossiping.

It publishes, every interval, one heartbeat ``{"v": 1, "node", "generation",
"heartbeat", "metrics"}`` to its state topic (signed when the cluster has a
key) and nothing else. Real devices do the same from C or MicroPython; this
one stands in for them in lessons and tests, and doubles as a reference for
the payload and the signature.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import validate_node_id
from emergent_lab.mqtt.auth import Signer, seal
from emergent_lab.mqtt.reports import DeviceReport
from emergent_lab.mqtt.settings import BrokerSettings
from emergent_lab.mqtt.topics import ClusterTopics
from emergent_lab.mqtt.transport import Connection
from emergent_lab.mqtt.wire import MAX_GENERATION, MIN_INTERVAL_S


async def run_device(
    settings: BrokerSettings,
    topics: ClusterTopics,
    device_id: str,
    metrics: Mapping[str, float],
    *,
    generation: int = 1,
    interval: float = 1.0,
    signer: Signer | None = None,
    duration: float | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Publish heartbeats until ``stop`` or ``duration``; return the last heartbeat sent.

    The arguments are checked before connecting (raising ValueError naming the
    option): a bad id or generation would have every heartbeat refused by the
    agents, counted there and never seen here.
    """
    validate_node_id(device_id, field="--id")
    check_number("--generation", generation, low=1, high=MAX_GENERATION, integer=True)
    check_number("--interval", interval, low=MIN_INTERVAL_S)
    for name, value in metrics.items():
        check_number(f"--metric {name}", value)
    if duration is not None:
        check_number("--duration", duration, low=0, low_open=True)
    stop = stop if stop is not None else asyncio.Event()
    connection = Connection(
        settings,
        client_id=f"emergent-{topics.cluster}-device-{device_id}-g{generation}",
        subscriptions=[],
        on_message=lambda topic, payload: None,
    )
    session = asyncio.create_task(connection.run())
    heartbeat = 0

    async def beat() -> None:
        nonlocal heartbeat
        while True:
            await connection.connected.wait()
            heartbeat += 1
            report = DeviceReport(device_id, generation, heartbeat, dict(metrics))
            connection.publish(topics.device_state(device_id), seal(report.to_wire(), signer))
            await asyncio.sleep(interval)

    beater = asyncio.create_task(beat())
    try:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), duration)
    finally:
        for task in (beater, session):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return heartbeat
