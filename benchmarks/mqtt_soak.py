"""Churn soak on a real Mosquitto: agents and devices crash and come back for ten minutes.

Five agents (``n1`` is never touched, so its memory tells whether anything
leaks) and two devices run at the lessons' fast timing (0.2 s heartbeats).
Every ``--every`` seconds one of ``n2``-``n5`` or a device, picked by a seeded
generator, is killed with SIGKILL and restarted under the next generation a
few seconds later. A ``mosquitto_sub`` records every retained leader
announcement. At the end the script prints the memory (RSS) of every agent at
the start and at the end, the leader changes on the topic, and the
*conflicting announcements*: an announcement naming another leader than one
published by a different agent less than ``CONFLICT_WINDOW`` seconds before
(two writers disagreeing, which issue 14 saw at start-up and after deaths).

    python benchmarks/mqtt_soak.py                      # ten minutes
    python benchmarks/mqtt_soak.py --seconds 90 --every 5
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from options import pop_option

from emergent_lab.mqtt.processes import AgentProcess, BrokerProcess

CONFLICT_WINDOW = 1.0
"""Seconds within which two announcers naming different leaders count as a conflict."""
CLUSTER = "soak"


def rss_mb(process: subprocess.Popen[bytes] | None) -> float:
    """Resident memory of a child process in MB (0 if it is gone)."""
    if process is None or process.poll() is not None:
        return 0.0
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return 0.0
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


class Device:
    """An ``emergent-lab device`` process that can crash and come back with a new generation."""

    def __init__(self, broker: str, device_id: str, cpu_free: float) -> None:
        self.broker, self.device_id, self.cpu_free = broker, device_id, cpu_free
        self.generation = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.generation += 1
        command = [sys.executable, "-m", "emergent_lab.cli", "device", "--broker", self.broker]
        command += ["--cluster", CLUSTER, "--id", self.device_id, "--interval", "0.2"]
        command += ["--generation", str(self.generation), "--metric", f"cpu_free={self.cpu_free}"]
        self.process = subprocess.Popen(command, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class LeaderLog:
    """Every announcement on the leader topic, with its arrival time."""

    def __init__(self, port: int) -> None:
        command = ["mosquitto_sub", "-p", str(port), "-t", f"emergent/{CLUSTER}/leader"]
        self.process = subprocess.Popen([*command, "-F", "%U %p"], stdout=subprocess.PIPE)
        self.announcements: list[tuple[float, dict[str, object]]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            stamp, _, payload = line.rstrip(b"\n").partition(b" ")
            if payload:
                self.announcements.append((float(stamp), json.loads(payload)))

    def figures(self) -> tuple[int, int, list[str]]:
        """Leader changes, conflicting announcements and a description of each conflict.

        A conflict is a change reverted within ``CONFLICT_WINDOW`` by another announcer
        (leader A, then B, then A again): two writers disagreeing, as issue 14 saw at
        start-up (five self-announcements within 0.2 s) and after deaths (a dead leader
        announced again). A handover (the outgoing leader refreshes its member count just
        before the new leader announces itself) is a change, not a conflict.
        """
        changes, conflicts, notes = 0, 0, []
        history: list[tuple[float, dict[str, object]]] = []
        for at, announcement in self.announcements:
            if history and announcement["leader"] != history[-1][1]["leader"]:
                changes += 1
                if len(history) >= 2:
                    (_, first), (middle_at, middle) = history[-2], history[-1]
                    reverted = first["leader"] == announcement["leader"] != middle["leader"]
                    if reverted and at - middle_at < CONFLICT_WINDOW:
                        conflicts += 1
                        notes.append(
                            f"{first['by']}: {first['leader']}, {middle['by']}: "
                            f"{middle['leader']}, {announcement['by']}: "
                            f"{announcement['leader']} {at - middle_at:.2f} s later"
                        )
            if not history or announcement["leader"] != history[-1][1]["leader"]:
                history.append((at, announcement))
        return changes, conflicts, notes


def main(seconds: float, every: float, seed: int) -> None:
    rng = random.Random(seed)
    with BrokerProcess("mosquitto") as broker:
        log = LeaderLog(broker.port)
        agents = {
            f"n{i}": AgentProcess(
                f"n{i}", broker.url, CLUSTER, {"cpu_free": 0.15 * i, "mem_free": 0.5}
            ).start()
            for i in range(1, 6)
        }
        devices = {"d1": Device(broker.url, "d1", 0.05), "d2": Device(broker.url, "d2", 0.1)}
        time.sleep(10)  # warm up: everyone joined, memory settled
        start = {name: rss_mb(agent.process) for name, agent in agents.items()}
        began = time.monotonic()
        deaths = 0
        try:
            while time.monotonic() - began < seconds:
                victim = rng.choice(["n2", "n3", "n4", "n5", "d1", "d2"])
                if victim in agents:
                    agents[victim].kill()
                else:
                    devices[victim].kill()
                deaths += 1
                time.sleep(every / 2)
                if victim in agents:
                    agents[victim].generation += 1
                    agents[victim].start()
                else:
                    devices[victim].start()
                time.sleep(every / 2)
            time.sleep(3)
            end = {name: rss_mb(agent.process) for name, agent in agents.items()}
        finally:
            for agent in agents.values():
                agent.kill()
            for device in devices.values():
                device.kill()
            log.process.terminate()
    changes, conflicts, notes = log.figures()
    print(f"soak: {seconds:.0f} s, a crash and restart every {every:g} s ({deaths} crashes)")
    print("memory (RSS MB) at start -> end:")
    for name in agents:
        untouched = " (never restarted)" if name == "n1" else " (restarted)"
        print(f"  {name}: {start[name]:.1f} -> {end[name]:.1f}{untouched}")
    print(f"announcements on the leader topic: {len(log.announcements)}")
    print(f"leader changes: {changes}")
    print(f"conflicting announcements (a change reverted < {CONFLICT_WINDOW:g} s): {conflicts}")
    for note in notes:
        print(f"  {note}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(
        pop_option(arguments, "--seconds", 600.0, float),
        pop_option(arguments, "--every", 10.0, float),
        pop_option(arguments, "--seed", 1, int),
    )
