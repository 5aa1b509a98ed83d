"""A whole MQTT cluster on this machine for a lesson: a broker, agents, devices, and its watcher."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from emergent_lab.mqtt.live import MqttCluster
from emergent_lab.mqtt.processes import FAST_TIMING, BrokerProcess, start_agents
from emergent_lab.mqtt.settings import BrokerSettings


@dataclass
class Lesson:
    """A broker, agents and simulated devices on this machine, and the cluster watching them."""

    broker: BrokerProcess
    cluster: MqttCluster
    devices: list[subprocess.Popen[bytes]]

    def close(self) -> None:
        """Stop everything this lesson started."""
        self.cluster.shutdown()
        for device in self.devices:
            device.terminate()
            device.wait(5)
        self.broker.__exit__(None, None, None)


def start_lesson(
    agent_metrics: Sequence[Mapping[str, float]],
    *,
    devices: Mapping[str, Mapping[str, float]] | None = None,
    cluster: str = "lesson",
    broker: str = "amqtt",
) -> Lesson:
    """Start a broker, one agent per metrics mapping (``n1``…) and simulated devices.

    Args:
        agent_metrics: each agent's metrics, for the ``capacity`` score.
        devices: device id -> metrics; each publishes a heartbeat every 0.2 s.
        cluster: the cluster name.
        broker: ``"amqtt"`` (embedded, the default) or ``"mosquitto"``.
    """
    running = BrokerProcess(broker).start()
    agents = start_agents(running.url, cluster, agent_metrics)
    simulated = []
    for device_id, metrics in (devices or {}).items():
        command = [sys.executable, "-m", "emergent_lab.cli", "device", "--broker", running.url]
        command += ["--cluster", cluster, "--id", device_id]
        command += ["--interval", str(FAST_TIMING["heartbeat-interval"])]
        for name, value in metrics.items():
            command += ["--metric", f"{name}={value}"]
        simulated.append(subprocess.Popen(command))
    watcher = MqttCluster(BrokerSettings.from_url(running.url), cluster, agents=agents)
    return Lesson(running, watcher.start(), simulated)
