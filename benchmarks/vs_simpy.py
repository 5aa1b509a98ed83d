"""Wall time of one scenario on SimPy (as a user would write it), the exact and the array engine.

Scenario: n nodes, fanout 3, gossip and heartbeat every 1 s, the leader
crashes at half time. Ratios printed: SimPy / exact at n = 100 and 1,000
(goal >= 5), exact / array (full and top-k views) at n = 2,000 (goal >= 50). Each run
is in its own process, measured side by side in this one invocation. Runs of a few
seconds are repeated (``--repeat``, alternating the engines) and their medians
compared: on this shared machine one run of a second varies by a third; the long
reference runs (SimPy at 1,000, exact at 2,000) run once.

    python benchmarks/vs_simpy.py                 # the three comparisons, 20 s virtual
    python benchmarks/vs_simpy.py --seconds 10    # shorter runs
    python benchmarks/vs_simpy.py array simpy-100 # only these parts (also: simpy, simpy-1000)
    python benchmarks/vs_simpy.py --repeat 9      # more repetitions of the short runs
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from options import pop_option

sys.path.insert(0, str(Path(__file__).resolve().parent))


def one(engine: str, n: int, seconds: float) -> dict[str, object]:
    from emergent_lab import ClusterConfig, SimCluster

    config = ClusterConfig.create(n, seed=1, fanout=3)
    start = time.perf_counter()
    if engine == "simpy":
        from baselines.simpy_gossip import SimpyCluster

        scores = [config.score.score(m) for m in config.metrics]
        sim = SimpyCluster(scores, seed=1)
        sim.run(seconds / 2)
        leader = sim.leader()
        if leader is not None:
            sim.crash(leader)
        sim.run(seconds)
        final = sim.leader()
    else:
        from emergent_lab.array import ArrayCluster

        cluster = SimCluster(config) if engine == "exact" else ArrayCluster(config, view=engine)
        cluster.at(seconds / 2, "crash", node="leader")
        cluster.run(seconds)
        final = cluster.leader()
    return {"engine": engine, "n": n, "wall_s": time.perf_counter() - start, "leader": final}


def measure(engine: str, n: int, seconds: float) -> float:
    """Wall seconds of one run, in a fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", engine, str(n), str(seconds)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out)
    wall = float(result["wall_s"])
    print(f"  {engine:>6} n={n:<5} {wall:8.2f} s wall  final leader {result['leader']}", flush=True)
    return wall


def medians(engines: list[str], n: int, seconds: float, repeat: int) -> list[float]:
    """Median wall seconds of each engine over ``repeat`` runs, the engines taking turns."""
    walls: list[list[float]] = [[] for _ in engines]
    for _ in range(repeat):
        for runs, engine in zip(walls, engines, strict=True):
            runs.append(measure(engine, n, seconds))
    return [statistics.median(runs) for runs in walls]


def main(seconds: float, parts: list[str], repeat: int) -> None:
    print(f"scenario: fanout 3, {seconds:g} s virtual, leader crash at {seconds / 2:g} s")
    rows = []
    simpy_sizes = [n for n, part in ((100, "simpy-100"), (1000, "simpy-1000")) if part in parts]
    if "simpy" in parts:
        simpy_sizes = [100, 1000]
    if simpy_sizes:
        for n in simpy_sizes:
            runs = repeat if n <= 100 else 1
            simpy_wall, exact_wall = medians(["simpy", "exact"], n, seconds, runs)
            rows.append((f"SimPy / exact at n={n}", simpy_wall / exact_wall, 5.0))
    if "array" in parts:
        exact_wall = measure("exact", 2000, seconds)
        array_walls = medians(["full", "topk"], 2000, seconds, repeat)
        for view, wall in zip(("full", "topk"), array_walls, strict=True):
            rows.append((f"exact / array {view} n=2000", exact_wall / wall, 50.0))
    for label, ratio, goal in rows:
        print(
            f"{label:<26} x{ratio:7.1f}   goal >= {goal:g}: {'met' if ratio >= goal else 'MISSED'}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))))
    else:
        args = sys.argv[1:]
        seconds = pop_option(args, "--seconds", 20.0, float)
        repeat = pop_option(args, "--repeat", 5, int)
        main(seconds, args or ["simpy", "array"], repeat)
