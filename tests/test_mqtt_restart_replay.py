"""Replay protection that survives a restart (``--state-dir``), on a real Mosquitto."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_mqtt_cluster import Watcher, require
from test_mqtt_hostile import publish_lines
from test_mqtt_security import KEY, start_device

from emergent_lab.mqtt.processes import FAST_TIMING, BrokerProcess, start_agents

RECORDED = 10


@pytest.fixture
def mosquitto() -> Iterator[BrokerProcess]:
    require("mosquitto", "mosquitto_pub", "mosquitto_sub")
    with BrokerProcess("mosquitto") as running:
        yield running


def test_a_restarted_agent_refuses_recorded_heartbeats_of_a_dead_device(
    mosquitto: BrokerProcess, tmp_path: Path
) -> None:
    name = f"r{mosquitto.port}"
    key_file = tmp_path / "cluster.key"
    key_file.write_bytes(KEY)
    topic = f"emergent/{name}/devices/d1/state"
    options = {**FAST_TIMING, "key-file": str(key_file)}
    watcher = Watcher(mosquitto.url, name, "--key-file", str(key_file))
    agents = start_agents(
        mosquitto.url, name, [{"cpu_free": 0.3}, {"cpu_free": 0.6}], options=options
    )
    for agent in agents:
        agent.options = {**options, "state-dir": str(tmp_path / agent.node_id)}
        agent.restart()
    recorder = subprocess.Popen(
        ["mosquitto_sub", "-p", str(mosquitto.port), "-t", topic, "-C", str(RECORDED)],
        stdout=subprocess.PIPE,
    )
    device = start_device(mosquitto, name, "d1", key_file, {"cpu_free": 0.1})
    try:
        watcher.wait_members({"n1", "n2", "d1"}, 20)
        recorded = recorder.communicate(timeout=10)[0].splitlines()
        assert len(recorded) == RECORDED
        device.kill()
        device.wait()
        watcher.wait_members({"n1", "n2"}, 15)  # the device is dead to everyone

        restarted = agents[0]
        restarted.restart()  # generation 3, the same state directory
        mark = watcher.mark()
        watcher.wait(
            lambda e: e["event"] == "join" and e["node"] == "n1" and e["generation"] == 3, 15
        )
        time.sleep(1.0)  # the restarted agent is serving (discovery over)
        publish_lines(mosquitto, topic, recorded)

        def refused(event: dict[str, object]) -> bool:
            nodes = event.get("nodes", {}) if event["event"] == "counters" else {}
            assert isinstance(nodes, dict)
            return int(nodes.get("n1", {}).get("replay", 0)) >= RECORDED

        watcher.wait(refused, 10, mark)
        time.sleep(1.0)
        events = watcher.events[mark:]
        revived = [e for e in events if e["event"] == "members" and "d1" in e["members"]]
        assert not revived, revived
    finally:
        for agent in agents:
            agent.kill()
        device.kill()
        recorder.kill()
        watcher.close()
