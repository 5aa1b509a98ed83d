"""Bully failover benchmark: the run lesson 06 makes, on this tree and an earlier commit.

The run is one sweep point exactly as lesson 06 and ``emergent-lab sweep``
make it: the built-in ``leader-crash`` scenario (the leader crashes at 30 s)
with the ``lowest-id`` score, n nodes, no loss, 45 s, the Bully protocol,
seed 0, its traffic counted in time bins. Each size runs in fresh processes,
on an earlier commit (``--before``, by default the simulator before batched
sends and its calendar queue, issue 16) and on this tree, the two taking turns
``--runs`` times, so the speed-up is a ratio of medians measured side by side
in this invocation. Prints wall and CPU seconds, messages, CPU microseconds per
message, the failover's election messages against n(n - 1) (Garcia-Molina's
worst case, which this scenario meets: every follower suspects the
coordinator within the same second and starts its own election), peak
memory, and whether both runs logged the same events (event-log digest); the
load average before and after. CPU time is the fairer figure on a shared
machine: it does not count the time the process waited for a core.

    python benchmarks/bully.py                   # 200 and 1000 nodes
    python benchmarks/bully.py 100 500           # chosen sizes
    python benchmarks/bully.py --before HEAD~3   # against another commit
    python benchmarks/bully.py --before none     # this tree only
    python benchmarks/bully.py 200 --runs 5      # five turns each (default 3, 1 at n >= 1000)
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from before import compared, fresh_row, load, tree, warm
from options import pop_option

Row = dict[str, Any]
"""One run's figures, as its process printed them in JSON."""
BEFORE = "03b7511"
"""The simulator before batched sends, handle-free deliveries and the calendar queue (issue 16)."""


def one(n: int) -> Row:
    from emergent_lab.scenario import load_scenario
    from emergent_lab.sweep import plan, run_one

    grid = {
        "score.preset": ["lowest-id"],
        "cluster.nodes": [n],
        "network.loss": [0.0],
        "run.until": [45],
    }
    (run,) = plan(load_scenario("leader-crash"), grid, [0], protocol="bully")
    start, cpu = time.perf_counter(), time.process_time()
    row = run_one(run)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "nodes": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "messages": row["messages"],
        "election": row["failover_election_messages"],
        "failover_s": row["event0.reconverged_after_s"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "digest": row["event_log_sha256"][:16],
    }


def measure(n: int, checkout: Path | None) -> Row:
    """One size in a fresh process, on ``checkout`` (None: this tree)."""
    return fresh_row(__file__, n, checkout)


def show(label: str, r: Row) -> None:
    n = int(r["nodes"])
    print(
        f"{label:>7} {n:>6} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} {r['messages']:>9} "
        f"{1e6 * r['cpu_s'] / r['messages']:>9.1f} {r['election']:>9} "
        f"{r['election'] / (n * (n - 1)):>8.3f} {r['failover_s']:>10.2f} "
        f"{r['peak_rss_mib']:>9.0f} {r['digest']}",
        flush=True,
    )


def main(sizes: list[int], before: str, runs: int | None) -> None:
    checkout = None if before == "none" else tree(before)
    for compiled in {None, checkout}:
        warm(compiled)
    print(f"before: {before if checkout else '-'}; {load()}")
    print(
        f"{'tree':>7} {'nodes':>6} {'wall s':>8} {'CPU s':>8} {'messages':>9} {'CPU us/msg':>9} "
        f"{'election':>9} {'/n(n-1)':>8} {'failover s':>10} {'peak MiB':>9} digest"
    )
    ratios = []
    for n in sizes:
        turns: dict[str, list[Row]] = {"before": [], "now": []}
        for _ in range(runs if runs is not None else (1 if n >= 1000 else 3)):
            if checkout:
                turns["before"].append(measure(n, checkout))
                show("before", turns["before"][-1])
            turns["now"].append(measure(n, None))
            show("now", turns["now"][-1])
        if checkout:
            ratios.append((n, turns["before"], turns["now"]))
    for n, old, now in ratios:
        wall, cpu, same = compared(old, now)
        print(
            f"{n} nodes, medians of {len(now)}: before/now wall x{wall:.2f}, CPU x{cpu:.2f}, {same}"
        )
    print(f"after: {load()}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))))
    else:
        args = sys.argv[1:]
        before = pop_option(args, "--before", BEFORE, str)
        runs: int | None = pop_option(args, "--runs", None, int)
        main([int(a) for a in args] or [200, 1000], before, runs)
