"""An agent's intake of device heartbeats under a flood of invented ids, against an earlier commit.

A hostile client on an open cluster published heartbeats of 15,000 invented
devices; each agent took in about 110 a second and the real device's
heartbeats queued behind the flood for minutes. This drives one agent's
message handler directly, with no broker (what the broker costs is the same
on both trees): ``n`` heartbeats of new ids, then ten heartbeats of each of
300 of them, and reports the CPU time per message of each part
(``time.process_time``: on a machine shared with other jobs, wall time mostly
measures the others), for this tree and for ``--before``, each in a fresh
process, alternating, ``--repeat`` times; then the medians, their ratios and
the load average.

    python benchmarks/mqtt_intake.py                     # 12,000 new ids, 3 runs each
    python benchmarks/mqtt_intake.py 4000 --repeat 5 --before cf70849
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

from before import fresh_row, load, tree
from options import pop_option

BEFORE = "cf70849"
"""The last commit before the intake's fixes (a full re-sort of the ids per new id)."""
ALIVE, BEATS = 300, 10


def _payload(node: str, heartbeat: int) -> bytes:
    body = {"v": 1, "node": node, "generation": 1, "heartbeat": heartbeat}
    return json.dumps({**body, "metrics": {"cpu_free": 0.1, "mem_free": 0.5}}).encode()


async def _drive(n: int) -> dict[str, float]:
    from emergent_lab.mqtt.agent import Agent
    from emergent_lab.mqtt.agent_config import AgentConfig
    from emergent_lab.mqtt.processes import FAST_PARAMS
    from emergent_lab.mqtt.settings import BrokerSettings

    config = AgentConfig("n1", "bench", {"cpu_free": 0.3, "mem_free": 0.5}, params=FAST_PARAMS)
    agent = Agent(config, BrokerSettings("127.0.0.1", 1))  # never connects: sends are dropped
    agent._start_node(asyncio.get_running_loop())
    handle = agent._on_message
    flood = [(f"emergent/bench/devices/fake{i}/state", _payload(f"fake{i}", 1)) for i in range(n)]
    start = time.process_time()
    for topic, payload in flood:
        handle(topic, payload)
    new_ids = time.process_time() - start
    alive = [f"fake{i}" for i in range(n - ALIVE, n)]
    beats = [
        (f"emergent/bench/devices/{node}/state", _payload(node, beat))
        for beat in range(2, 2 + BEATS)
        for node in alive
    ]
    start = time.process_time()
    for topic, payload in beats:
        handle(topic, payload)
    known = time.process_time() - start
    return {"new_id_ms": 1e3 * new_ids / n, "known_ms": 1e3 * known / len(beats)}


def one(n: int) -> dict[str, Any]:
    """CPU milliseconds per message: of new ids, then of heartbeats of ids already held."""
    return asyncio.run(_drive(n))


def main(n: int, repeat: int, before: str) -> None:
    old_tree = tree(before)
    rows: dict[str, list[dict[str, Any]]] = {"before": [], "now": []}
    for _ in range(repeat):
        rows["before"].append(fresh_row(__file__, n, old_tree))
        rows["now"].append(fresh_row(__file__, n, None))
    print(f"{n} heartbeats of new device ids, then {BEATS} of each of {ALIVE} of them")
    print(f"CPU ms per message, median of {repeat} fresh processes each:")
    for key, label in (("new_id_ms", "new id"), ("known_ms", "id held")):
        old = statistics.median(r[key] for r in rows["before"])
        now = statistics.median(r[key] for r in rows["now"])
        print(
            f"  {label:8} before ({before}) {old:8.3f}   now {now:8.3f}   "
            f"before/now {old / now:6.1f}x   ({1e3 / now:,.0f} messages/s now)"
        )
    print(load())


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--one"]:
        print(json.dumps(one(int(arguments[1]))))
    else:
        repeats = pop_option(arguments, "--repeat", 3, int)
        rev = pop_option(arguments, "--before", BEFORE, str)
        main(int(arguments[0]) if arguments else 12_000, repeats, rev)
