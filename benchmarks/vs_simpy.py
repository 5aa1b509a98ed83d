"""Wall and CPU time of one scenario on SimPy (as a user writes it), the exact and array engines.

Scenario: n nodes, fanout 3, gossip and heartbeat every 1 s, the leader
crashes at half time. Ratios printed: SimPy / exact at n = 100 (goal >= 25)
and 1,000 (goal >= 100), for this tree's exact engine and for the one before
it was compiled (``--before``, a git worktree of 83cb514, see ``before.py``),
so the speed-up of the exact engine is measured in the same run too; exact /
array (full and top-k views) at n = 2,000 (goal >= 50). Each run is in its own
process, measured side by side in this one invocation. Runs of a few seconds
are repeated (``--repeat``, alternating the engines) and their medians
compared: on this shared machine one run of a second varies by a third; the
long reference runs (SimPy at 1,000, exact at 2,000) run once. Ratios are
given in wall time and in CPU time (which does not count waiting for a core),
with the load average before and after.

    python benchmarks/vs_simpy.py                 # the three comparisons, 20 s virtual
    python benchmarks/vs_simpy.py --seconds 10    # shorter runs
    python benchmarks/vs_simpy.py array simpy-100 # only these parts (also: simpy, simpy-1000)
    python benchmarks/vs_simpy.py --repeat 9      # more repetitions of the short runs
    python benchmarks/vs_simpy.py --before none   # without the earlier exact engine
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from before import BEFORE, load, python_env, tree, warm
from options import pop_option

GOALS = {100: 25.0, 1000: 100.0}
"""Issue 16: SimPy / exact engine at n = 100 and 1,000."""
EARLIER = "exact-before"
"""The exact engine of the ``--before`` commit (this tree's engine is ``exact``)."""


def one(engine: str, n: int, seconds: float) -> dict[str, object]:
    from emergent_lab import ClusterConfig, SimCluster

    config = ClusterConfig.create(n, seed=1, fanout=3)
    start, cpu = time.perf_counter(), time.process_time()
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
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"engine": engine, "n": n, "wall_s": wall, "cpu_s": cpu, "leader": final}


def measure(engine: str, n: int, seconds: float, before: Path | None) -> tuple[float, float]:
    """Wall and CPU seconds of one run, in a fresh process (``exact-before`` on ``before``)."""
    earlier = engine == EARLIER
    out = subprocess.run(
        [sys.executable, __file__, "--one", "exact" if earlier else engine, str(n), str(seconds)],
        check=True,
        capture_output=True,
        text=True,
        env=python_env(before if earlier else None),
    ).stdout
    result = json.loads(out)
    wall, cpu = float(result["wall_s"]), float(result["cpu_s"])
    print(
        f"  {engine:>12} n={n:<5} {wall:8.2f} s wall {cpu:8.2f} s CPU  "
        f"final leader {result['leader']}",
        flush=True,
    )
    return wall, cpu


def medians(
    engines: list[str], n: int, seconds: float, repeat: int, before: Path | None
) -> list[tuple[float, float]]:
    """Median (wall, CPU) seconds of each engine over ``repeat`` runs, the engines taking turns."""
    times: list[list[tuple[float, float]]] = [[] for _ in engines]
    for _ in range(repeat):
        for runs, engine in zip(times, engines, strict=True):
            runs.append(measure(engine, n, seconds, before))
    return [
        (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for runs in times
    ]


def main(seconds: float, parts: list[str], repeat: int, before: str) -> None:
    checkout = None if before == "none" else tree(before)
    for compiled in {None, checkout}:
        warm(compiled)
    print(f"scenario: fanout 3, {seconds:g} s virtual, leader crash at {seconds / 2:g} s")
    print(f"exact-before: {before if checkout else '-'}; {load()}")
    rows: list[tuple[str, tuple[float, float], float | None]] = []
    simpy_sizes = [n for n, part in ((100, "simpy-100"), (1000, "simpy-1000")) if part in parts]
    if "simpy" in parts:
        simpy_sizes = [100, 1000]
    for n in simpy_sizes:
        runs = repeat if n <= 100 else 1
        engines = ["simpy", "exact"] + ([EARLIER] if checkout else [])
        simpy, exact, *earlier = medians(engines, n, seconds, runs, checkout)
        rows.append((f"SimPy / exact n={n}", _ratio(simpy, exact), GOALS[n]))
        if earlier:
            rows.append((f"SimPy / exact-before n={n}", _ratio(simpy, earlier[0]), None))
            rows.append((f"exact-before / exact n={n}", _ratio(earlier[0], exact), None))
    if "array" in parts:
        exact = measure("exact", 2000, seconds, checkout)
        arrays = medians(["full", "topk"], 2000, seconds, repeat, checkout)
        for view, times in zip(("full", "topk"), arrays, strict=True):
            rows.append((f"exact / array {view} n=2000", _ratio(exact, times), 50.0))
    for label, (wall, cpu), goal in rows:
        verdict = ""
        if goal is not None:
            verdict = f"   goal >= {goal:g}: {'met' if min(wall, cpu) >= goal else 'MISSED'}"
        print(f"{label:<30} wall x{wall:7.1f}  CPU x{cpu:7.1f}{verdict}")
    print(f"after: {load()}")


def _ratio(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """``a / b`` in wall time and in CPU time."""
    return a[0] / b[0], a[1] / b[1]


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))))
    else:
        args = sys.argv[1:]
        seconds = pop_option(args, "--seconds", 20.0, float)
        repeat = pop_option(args, "--repeat", 5, int)
        before = pop_option(args, "--before", BEFORE, str)
        main(seconds, args or ["simpy", "array"], repeat, before)
