"""A keyed cluster on a real broker: spoofed and replayed messages change nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_mqtt_cluster import Watcher, require

from emergent_lab.mqtt.auth import Signer, seal
from emergent_lab.mqtt.processes import FAST_TIMING, BrokerProcess, start_agents
from emergent_lab.mqtt.reports import DeviceReport
from emergent_lab.mqtt.wire import dump_json

KEY = b"0123456789abcdef-cluster-key-for-tests"
BEST_METRICS = {"cpu_free": 1.0, "mem_free": 1.0, "uptime": 720.0}


@pytest.fixture(params=["amqtt", "mosquitto"])
def broker(request: pytest.FixtureRequest) -> Iterator[BrokerProcess]:
    require("mosquitto_pub")
    if request.param == "mosquitto":
        require("mosquitto")
    with BrokerProcess(request.param) as running:
        yield running


def publish(broker: BrokerProcess, topic: str, payload: bytes, *, retain: bool = False) -> None:
    command = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic]
    command += (["-r"] if retain else []) + (["-s"] if payload else ["-n"])
    subprocess.run(command, input=payload, check=True, timeout=10)


def start_device(
    broker: BrokerProcess, cluster: str, device_id: str, key_file: Path, metrics: dict[str, float]
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "emergent_lab.cli", "device", "--broker", broker.url]
    command += ["--cluster", cluster, "--id", device_id, "--key-file", str(key_file)]
    command += ["--interval", str(FAST_TIMING["heartbeat-interval"])]
    for name, value in metrics.items():
        command += ["--metric", f"{name}={value}"]
    return subprocess.Popen(command)


def test_spoofed_and_replayed_messages_are_refused_and_counted(
    broker: BrokerProcess, tmp_path: Path
) -> None:
    cluster = f"k{broker.port}"
    key_file = tmp_path / "cluster.key"
    key_file.write_bytes(KEY + b"\n")
    options = {**FAST_TIMING, "key-file": str(key_file)}
    watcher = Watcher(broker.url, cluster, "--key-file", str(key_file))
    agents = start_agents(
        broker.url,
        cluster,
        [{"cpu_free": cpu, "mem_free": 0.5} for cpu in (0.3, 0.45, 0.6)],
        options=options,
    )
    devices = [start_device(broker, cluster, "d1", key_file, {"cpu_free": 0.1})]
    agent_ids = {a.node_id for a in agents}
    try:
        watcher.wait_members(agent_ids | {"d1"}, 20)
        watcher.wait_stable_leader("n3", 15)

        # A spoofed device with the best possible metrics: unsigned, then badly signed.
        topic = f"emergent/{cluster}/devices/evil/state"
        for heartbeat in range(1, 6):
            spoof = DeviceReport("evil", 1, heartbeat, BEST_METRICS).to_wire()
            publish(broker, topic, dump_json(spoof))
            publish(broker, topic, dump_json({**spoof, "sig": "0" * 64}))
        # A genuine signed heartbeat of d1, replayed long after it was first sent.
        old = seal(DeviceReport("d1", 1, 1, {"cpu_free": 0.1}).to_wire(), Signer(KEY))
        for _ in range(3):
            publish(broker, f"emergent/{cluster}/devices/d1/state", old)

        def all_counted(event: dict[str, object]) -> bool:
            if event["event"] != "counters":
                return False
            nodes = event["nodes"]
            assert isinstance(nodes, dict)
            return all(
                nodes.get(a, {}).get("unsigned", 0) >= 5
                and nodes.get(a, {}).get("bad_signature", 0) >= 5
                and nodes.get(a, {}).get("replay", 0) >= 3
                for a in agent_ids
            )

        counted = watcher.wait(all_counted, 15)
        assert counted["observer"].get("unsigned", 0) >= 5
        time.sleep(1.0)
        assert watcher.latest("leader")["leader"] == "n3"  # type: ignore[index]
        events = watcher.events[:]
        assert not any(e["event"] == "members" and "evil" in e["members"] for e in events)
        assert not any(e["event"] == "leader" and e["leader"] == "evil" for e in events)

        # Control: the same metrics, correctly signed and fresh, do take the lead.
        devices.append(start_device(broker, cluster, "boss", key_file, BEST_METRICS))
        watcher.wait(lambda e: e["event"] == "leader" and e["leader"] == "boss", 15)
    finally:
        for agent in agents:
            agent.kill()
        for device in devices:
            device.kill()
            device.wait()
        watcher.close()
