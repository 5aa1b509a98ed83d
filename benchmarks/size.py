"""Size: a top-k cluster through a leader crash and reconvergence, wall time and peak memory.

Each size runs in its own process (so its peak RSS is its own): build the
config, run until a leader is recognised, crash it, run until one leader is
recognised again. Printed per size: wall time, peak RSS and peak RSS per
node (everything the process held, config and interpreter included), the
engine's own state per node, and the reconvergence time after the crash.
The goals are judged on measured runs only (at 10^6: under 60 s and under
4 GiB; at 10^7: under 10 minutes and 16 GiB; the largest n measured within
10 minutes). Wall time
and peak memory are also fitted as power laws of n (memory as a + b·n) and
extrapolated, to size a run: small clusters fit in the CPU's caches, so the
extrapolation is optimistic.

With ``--before <commit>`` each size also runs on that commit (in a fresh
process on a checkout of it, before this tree's run, the two taking turns),
and the speed-up before/now is printed in wall and CPU time, with whether
both runs logged the same events: a ratio measured side by side in one
invocation, the load average printed before and after. CPU time is the
fairer figure on a shared machine.

    python benchmarks/size.py                     # 10^4, 3·10^4, 10^5
    python benchmarks/size.py 1000000             # run 10^6 for real
    python benchmarks/size.py 1000000 --before 7d81337   # side by side with 7d81337
    python benchmarks/size.py 5000000 6000000     # the largest n within 10 minutes
    python benchmarks/size.py 10000000            # issue 16's goal: 10 minutes, 16 GiB
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from before import compared, fresh_row, load, tree
from options import pop_option

GOAL_S, GOAL_GIB, BUDGET_S = 60.0, 4.0, 600.0
GOAL_10M_GIB = 16.0


Row = dict[str, Any]
"""One size's figures, as its process printed them in JSON."""


def one(n: int) -> Row:
    from emergent_lab import ClusterConfig
    from emergent_lab.array import ArrayCluster
    from emergent_lab.run import build_report

    start, cpu = time.perf_counter(), time.process_time()
    config = ClusterConfig.create(n, seed=1)
    # The config holds a metrics dict per node: its share of the peak is not the engine's.
    config_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    config_s = time.perf_counter() - start
    cluster = ArrayCluster(config, view="topk", k=8)
    built = time.perf_counter() - start
    while cluster.leader() is None and cluster.time < 60:
        cluster.step_round()
    converged_at = cluster.time
    leader = cluster.leader()
    cluster.crash("leader")
    crash_at = cluster.time
    while (cluster.leader() is None or cluster.leader() == leader) and cluster.time < crash_at + 60:
        cluster.step_slot()
    report = build_report(cluster)
    return {
        "n": n,
        "wall_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,
        "build_s": built,
        "config_s": config_s,
        "config_mib": config_mib,
        "rounds": cluster.round,
        "converged_s": converged_at,
        "failover_s": report.events[0].reconverged_after_s or math.nan,
        "leader_is_best": bool(report.final_leader_is_best),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "state_bytes_per_node": cluster.state_bytes_per_node(),
        "digest": cluster.log.hexdigest()[:16],
    }


def fit(ns: list[float], values: list[float]) -> tuple[float, float]:
    """(a, b) of values ~ a · n**b, least squares in log-log."""
    b, log_a = np.polyfit(np.log(ns), np.log(values), 1)
    return float(math.exp(log_a)), float(b)


def linear(ns: list[float], values: list[float]) -> tuple[float, float]:
    """(a, b) of values ~ a + b · n: memory is O(n) plus the interpreter's fixed share."""
    b, a = np.polyfit(ns, values, 1)
    return float(a), float(b)


def show(label: str, r: Row) -> None:
    print(
        f"{label:>6} {r['n']:>9} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['build_s']:>8.1f} "
        f"{r['config_s']:>8.1f} {r['rounds']:>6} {r['failover_s']:>10.2f} {r['peak_mib']:>9.0f} "
        f"{r['peak_mib'] * 2**20 / r['n']:>10.0f} "
        f"{r['config_mib']:>10.0f} {r['state_bytes_per_node']:>12.0f} {r['digest']}",
        flush=True,
    )


def main(sizes: list[int], before: str) -> None:
    checkout = None if before == "none" else tree(before)
    # Each tree's kernels compile on first use: a tiny run first, so no timed run pays it.
    for compiled in {None, checkout}:
        fresh_row(__file__, 1000, compiled)
    print(f"top-k view, k = 8; before: {before if checkout else '-'}; at start: {load()}")
    print(
        f"{'tree':>6} {'n':>9} {'wall s':>8} {'CPU s':>8} {'build s':>8} {'config s':>8} "
        f"{'rounds':>6} {'failover s':>10} {'peak MiB':>9} {'RSS B/node':>10} {'config MiB':>10} "
        f"{'state B/node':>12} digest"
    )
    rows: list[Row] = []
    pairs: list[tuple[Row, Row]] = []
    for n in sizes:
        old = fresh_row(__file__, n, checkout) if checkout else None
        if old:
            show("before", old)
        r = fresh_row(__file__, n, None)
        show("now", r)
        rows.append(r)
        if old:
            pairs.append((old, r))
    print(f"at end: {load()}")
    for old, r in pairs:
        wall, cpu, same = compared([old], [r])
        print(f"{r['n']} nodes: before/now wall x{wall:.2f}, CPU x{cpu:.2f}, {same}")
    for r in rows:
        if r["n"] == 1_000_000:
            gib = r["peak_mib"] / 1024
            print(
                f"10^6 nodes (measured): {r['wall_s']:.1f} s "
                f"(goal < {GOAL_S:g}: {'met' if r['wall_s'] < GOAL_S else 'MISSED'}), "
                f"{gib:.2f} GiB (goal < {GOAL_GIB:g}: {'met' if gib < GOAL_GIB else 'MISSED'})"
            )
        if r["n"] == 10_000_000:
            gib = r["peak_mib"] / 1024
            print(
                f"10^7 nodes (measured): {r['wall_s']:.1f} s "
                f"(goal < {BUDGET_S:g}: {'met' if r['wall_s'] < BUDGET_S else 'MISSED'}), "
                f"{gib:.2f} GiB (goal < {GOAL_10M_GIB:g}: "
                f"{'met' if gib < GOAL_10M_GIB else 'MISSED'})"
            )
    fits = [r["n"] for r in rows if r["wall_s"] <= BUDGET_S]
    if fits:
        print(f"largest n measured within {BUDGET_S:g} s: {max(fits):,}")
    if len(rows) < 2:
        return
    ns = [float(r["n"]) for r in rows]
    a_t, b_t = fit(ns, [r["wall_s"] for r in rows])
    a_m, b_m = linear(ns, [r["peak_mib"] for r in rows])
    wall, mib = a_t * 1e6**b_t, a_m + b_m * 1e6
    largest = (BUDGET_S / a_t) ** (1 / b_t)
    # Small clusters' lists fit in the CPU's caches and large ones do not, so a
    # fit over small sizes runs fast: an estimate to size a run, never a verdict.
    print(f"fit: wall ~ n^{b_t:.2f}, peak memory ~ {a_m:.0f} MiB + {b_m * 1024**2:.0f} B · n")
    print(
        f"extrapolated (optimistic below 10^6: caches): 10^6 nodes ~{wall:.0f} s, "
        f"{mib / 1024:.2f} GiB; n in {BUDGET_S:g} s ~{largest:,.0f}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))))
    else:
        args = sys.argv[1:]
        before = pop_option(args, "--before", "none", str)
        main([int(a) for a in args] or [10_000, 30_000, 100_000], before)
