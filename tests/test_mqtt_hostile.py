"""An open cluster on a real Mosquitto under hostile input: names that would break a topic,
floods of invented ids. Every attack starts from a recognised leader and must leave it,
the membership and every agent's broker session as they were."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_mqtt_cluster import Watcher, require
from test_mqtt_security import publish

from emergent_lab.mqtt.codec import dump_json
from emergent_lab.mqtt.processes import AgentProcess, BrokerProcess, start_agents

AGENT_CPU = (0.3, 0.45, 0.6)
"""n3 scores best."""


@pytest.fixture
def mosquitto() -> Iterator[BrokerProcess]:
    require("mosquitto", "mosquitto_pub")
    with BrokerProcess("mosquitto") as running:
        yield running


@pytest.fixture
def cluster(mosquitto: BrokerProcess) -> Iterator[tuple[str, Watcher, list[AgentProcess]]]:
    name = f"h{mosquitto.port}"
    watcher = Watcher(mosquitto.url, name)
    agents = start_agents(
        mosquitto.url, name, [{"cpu_free": cpu, "mem_free": 0.5} for cpu in AGENT_CPU]
    )
    try:
        watcher.wait_members({"n1", "n2", "n3"}, 20)
        watcher.wait_stable_leader("n3", 15)
        yield name, watcher, agents
    finally:
        for agent in agents:
            agent.kill()
        watcher.close()


def gossip(kind: str, sender: str, to: str, **body: Any) -> bytes:
    return dump_json(
        {"v": 1, "type": kind, "from": sender, "to": to, "generation": 1, "seq": 1, **body}
    )


def state(node: str) -> dict[str, Any]:
    return {
        "node": node,
        "generation": 1,
        "version": 1,
        "heartbeat": 1,
        "score": 0.99,
        "opinion": None,
        "status": "up",
        "metrics": {},
    }


def counted(watcher: Watcher, reason: str, at_least: int, agents: set[str], start: int) -> None:
    """Wait until every agent in ``agents`` counted ``reason`` at least ``at_least`` times."""

    def enough(event: dict[str, Any]) -> bool:
        nodes = event.get("nodes", {}) if event["event"] == "counters" else {}
        return all(nodes.get(a, {}).get(reason, 0) >= at_least for a in agents)

    watcher.wait(enough, 10, start)


def test_names_with_a_trailing_newline_are_bad_ids_and_never_reach_the_broker(
    mosquitto: BrokerProcess, cluster: tuple[str, Watcher, list[AgentProcess]]
) -> None:
    name, watcher, _ = cluster
    mark = watcher.mark()
    inbox = f"emergent/{name}/nodes/n1/gossip"
    publish(mosquitto, inbox, gossip("syn", "zz\n", "n1", digest={}))
    publish(mosquitto, inbox, gossip("ack2", "n2", "n1", states=[state("zz\n")]))
    device = {"v": 1, "node": "d1\n", "generation": 1, "heartbeat": 1, "metrics": {"cpu": 0.5}}
    publish(mosquitto, f"emergent/{name}/devices/d1/state", dump_json(device))
    publish(
        mosquitto,
        inbox,
        gossip("ack2", "n2", "n1", states=[{**state("m1"), "metrics": {"cpu\n": 0.5}}]),
    )
    counted(watcher, "bad_id", 2, {"n1"}, mark)
    counted(watcher, "bad_id", 1, {"n2", "n3"}, mark)
    counted(watcher, "bad_metrics", 1, {"n1"}, mark)
    time.sleep(1.0)  # room for a forced disconnect to show as a will ("leave")
    events = watcher.events[mark:]
    assert not [e for e in events if e["event"] == "leave"], events
    assert watcher.latest("leader")["leader"] == "n3"  # type: ignore[index]
    assert set(watcher.latest("members")["members"]) == {"n1", "n2", "n3"}  # type: ignore[index]
