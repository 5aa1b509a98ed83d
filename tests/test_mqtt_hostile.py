"""An open cluster on a real Mosquitto under hostile input: names that would break a topic,
floods of invented ids. Every attack starts from a recognised leader and must leave it,
the membership and every agent's broker session as they were."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_mqtt_cluster import ShellDevice, Watcher, require
from test_mqtt_security import publish

from emergent_lab.mqtt.inbox import MAX_IDS
from emergent_lab.mqtt.processes import AgentProcess, BrokerProcess, start_agents
from emergent_lab.mqtt.wire import MAX_ENTRIES, dump_json

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


def publish_lines(broker: BrokerProcess, topic: str, payloads: list[bytes]) -> None:
    """Many payloads through one ``mosquitto_pub -l`` (one message per line)."""
    command = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic, "-l"]
    subprocess.run(command, input=b"\n".join(payloads) + b"\n", check=True, timeout=60)


def rss_mb(agent: AgentProcess) -> float:
    assert agent.process is not None
    status = Path(f"/proc/{agent.process.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def retained_statuses(broker: BrokerProcess, name: str, count: int) -> dict[str, Any]:
    command = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-W", "5"]
    command += ["-t", f"emergent/{name}/nodes/+/status", "-C", str(count)]
    lines = subprocess.run(command, capture_output=True, check=True, timeout=10).stdout.splitlines()
    statuses = [json.loads(line) for line in lines]
    return {s["node"]: s for s in statuses}


FLOOD_SYN_SIZES = [MAX_ENTRIES - 1] * 2 + [2**k - 1 for k in range(11, -1, -1)] + [4095] * 20
"""Digest sizes of syns naming invented ids (and an invented sender each): the powers of two
first fill a table that interns every id named to its last slot, the rest bring the ids
named to about 10^5 per agent."""
RECOVERY = 30.0
"""Seconds for every agent to recognise the newcomer: the flooded agent first chews through
the flood (about 7 MB of JSON on two shared cores) and waits for the invented members to be
suspected."""
FLOOD_SENDERS = 160
"""Forged senders, each handing over the states of 200 invented ids (more than the table)."""


def test_a_flood_of_invented_ids_never_keeps_a_real_member_out(
    mosquitto: BrokerProcess, cluster: tuple[str, Watcher, list[AgentProcess]]
) -> None:
    name, watcher, agents = cluster
    rss_before = {a.node_id: rss_mb(a) for a in agents}
    syns = [
        gossip("syn", f"f{k}", a.node_id, digest={f"x{k}-{i}": [1, 1] for i in range(size)})
        for k, size in enumerate(FLOOD_SYN_SIZES)
        for a in agents
    ]
    for agent in agents:
        mine = [p for p in syns if f'"to":"{agent.node_id}"'.encode() in p]
        publish_lines(mosquitto, f"emergent/{name}/nodes/{agent.node_id}/gossip", mine)
    junk = [
        gossip(
            "ack2",
            f"s{k}",
            "n1",
            states=[{**state(f"y{k}-{i}"), "score": 0.0} for i in range(200)],
        )
        for k in range(FLOOD_SENDERS)
    ]
    publish_lines(mosquitto, f"emergent/{name}/nodes/n1/gossip", junk)
    named = (sum(FLOOD_SYN_SIZES) + len(FLOOD_SYN_SIZES)) * len(agents) + FLOOD_SENDERS * 201
    assert named >= 10**5

    mark = watcher.mark()
    device = ShellDevice(mosquitto.port, name, "d1", 0.95)  # the best score: it must lead
    started = time.monotonic()
    try:
        watcher.wait(lambda e: e["event"] == "leader" and e["leader"] == "d1", RECOVERY, mark)
        deadline = started + RECOVERY
        while True:
            statuses = retained_statuses(mosquitto, name, len(agents))
            if all(s.get("recognised") == "d1" for s in statuses.values()):
                break
            assert time.monotonic() < deadline, {
                n: s.get("recognised") for n, s in statuses.items()
            }
            time.sleep(0.5)
    finally:
        device.close()
    recovered = time.monotonic() - started
    rss_after = {a.node_id: rss_mb(a) for a in agents}
    print(f"flood of {named} named ids: RSS MB before {rss_before}, after {rss_after}")
    print(f"d1 recognised by every agent {recovered:.1f} s after it appeared")
    for agent in agents:
        assert len(statuses[agent.node_id]["peers"]) <= MAX_IDS
        assert rss_after[agent.node_id] - rss_before[agent.node_id] < 60, (rss_before, rss_after)
    events = watcher.events[mark:]
    assert not [e for e in events if e["event"] == "leave"], events
