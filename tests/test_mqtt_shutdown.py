"""SIGTERM or SIGINT to agents and their broker together: every process exits within 1 s,
without a traceback."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from test_mqtt_cluster import Watcher, require

from emergent_lab.mqtt.processes import AgentProcess, BrokerProcess

LIMIT = 1.0


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Iterator[BrokerProcess]:
    kind = request.param
    if kind == "mosquitto":
        require("mosquitto")
    with BrokerProcess(kind) as running:
        yield running


@pytest.mark.parametrize(
    "broker, signum",
    [("mosquitto", signal.SIGTERM), ("amqtt", signal.SIGINT)],
    indirect=["broker"],
)
def test_agents_and_broker_stop_together_within_a_second(
    broker: BrokerProcess, signum: signal.Signals
) -> None:
    name = f"s{broker.port}"
    watcher = Watcher(broker.url, name)
    agents = [AgentProcess(f"n{i}", broker.url, name, {"cpu_free": 0.2 * i}) for i in (1, 2, 3)]
    processes = [
        subprocess.Popen(a.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for a in agents
    ]
    try:
        watcher.wait_members({"n1", "n2", "n3"}, 20)
        assert broker.process is not None
        started = time.monotonic()
        for process in [*processes, broker.process]:
            process.send_signal(signum)
        took = {}
        for agent, process in zip(agents, processes, strict=True):
            process.wait(5)
            took[agent.node_id] = time.monotonic() - started
        broker.process.wait(5)
        took["broker"] = time.monotonic() - started
        errors = {
            a.node_id: p.stderr.read().decode()
            for a, p in zip(agents, processes, strict=True)
            if p.stderr
        }
        print(f"{signum.name}: exited after (s) {took}")
        assert max(took.values()) <= LIMIT, took
        assert not [e for e in errors.values() if "Traceback" in e], errors
        assert all(p.returncode == 0 for p in processes), [p.returncode for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        watcher.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_agent_that_never_reached_its_broker_stops_within_a_second(
    signum: signal.Signals,
) -> None:
    """A wrong port: the agent waited for a first connection and ignored SIGTERM and SIGINT."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    agent = AgentProcess("n1", f"mqtt://127.0.0.1:{port}", "unreached", {"cpu_free": 0.5})
    process = subprocess.Popen(agent.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "agent n1 (generation 1) on ...": it is up and retrying
        time.sleep(1.0)
        started = time.monotonic()
        process.send_signal(signum)
        process.wait(5)
        took = time.monotonic() - started
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert process.stderr is not None and process.stderr.read() == b""
    assert took < LIMIT, f"{signum.name}: exited after {took:.2f} s"
