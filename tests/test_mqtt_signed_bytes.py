"""A device written in bash signs the exact bytes it sends with ``openssl``: its own number
formatting (``0.50``, ``1e+06``) is accepted by a keyed cluster on a real Mosquitto."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_mqtt_cluster import HEARTBEAT, Watcher, require
from test_mqtt_security import KEY

from emergent_lab.mqtt.processes import FAST_TIMING, BrokerProcess, start_agents

SIGNING_DEVICE = r"""
hb=0
while :; do
  hb=$((hb+1))
  format='{"v":1,"node":"%s","generation":1,"heartbeat":%d,'
  format="$format"'"metrics":{"cpu_free":0.50,"mem_free":5e-01,"uptime":1e+06}}'
  body=$(printf "$format" "$ID" "$hb")
  sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$(cat "$KEY_FILE")" | sed 's/^.* //')
  esc=$(printf '%s' "$body" | sed 's/\\/\\\\/g; s/"/\\"/g')
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -t "emergent/$CLUSTER/devices/$ID/state" \
    -m "{\"body\":\"$esc\",\"sig\":\"$sig\"}"
  sleep "$EVERY"
done
"""
"""The README's shell device, verbatim but for the environment it reads."""


@pytest.fixture
def mosquitto() -> Iterator[BrokerProcess]:
    require("mosquitto", "mosquitto_pub", "openssl")
    with BrokerProcess("mosquitto") as running:
        yield running


def test_a_bash_device_signing_its_own_bytes_with_openssl_joins_a_keyed_cluster(
    mosquitto: BrokerProcess, tmp_path: Path
) -> None:
    name = f"b{mosquitto.port}"
    key_file = tmp_path / "cluster.key"
    key_file.write_bytes(KEY + b"\n")
    watcher = Watcher(mosquitto.url, name, "--key-file", str(key_file))
    agents = start_agents(
        mosquitto.url,
        name,
        [{"cpu_free": 0.3}, {"cpu_free": 0.6}],
        options={**FAST_TIMING, "key-file": str(key_file)},
    )
    environment = dict(
        os.environ,
        ID="sensor1",
        KEY_FILE=str(key_file),
        PORT=str(mosquitto.port),
        CLUSTER=name,
        EVERY=str(HEARTBEAT),
    )
    device = subprocess.Popen(
        ["bash", "-c", SIGNING_DEVICE], env=environment, start_new_session=True
    )
    try:
        watcher.wait_members({"n1", "n2", "sensor1"}, 20)
        counters = watcher.latest("counters") or {"nodes": {}}
        assert not any(c.get("bad_signature") for c in counters["nodes"].values()), counters
    finally:
        os.killpg(device.pid, signal.SIGTERM)
        device.wait(5)
        for agent in agents:
            agent.kill()
        watcher.close()
