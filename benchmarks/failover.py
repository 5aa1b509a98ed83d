"""Failover against its bound: leader crash -> one recognised leader, on both engines.

Bound = the detector's expected detection time at its threshold (the silence
after the last heartbeat at which phi reaches it, from the detectors' own
learned mean and deviation, averaged over the survivors just before the
crash) + log3 n gossip intervals for the new opinions to spread. Ratio =
median failover / bound; goal <= 1.3. The exact engine (full and top-k
views: ``exact``, ``exact-topk``) and the array engine (``full``, ``topk``)
run the same seeds, so their medians are also compared side by side.

    python benchmarks/failover.py                # n = 100 (5 seeds) and 1000 (2 seeds)
    python benchmarks/failover.py 300 --seeds 3  # chosen sizes
    python benchmarks/failover.py 1000 --engines exact-topk,topk   # chosen engines
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from options import pop_option

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.analysis import failover_bound
from emergent_lab.analysis.measure import failover_time, leader_silence
from emergent_lab.array import ArrayCluster

ENGINES = ("exact", "exact-topk", "full", "topk")


def one(engine: str, n: int, seed: int) -> tuple[float, float, float]:
    """(failover s, bound s, wall s) for one run: converge, crash the leader, reconverge."""
    exact_view = {"exact": "full", "exact-topk": "topk"}.get(engine)
    config = ClusterConfig.create(n, seed=seed, view=exact_view or "full")
    start = time.perf_counter()
    cluster = SimCluster(config) if exact_view else ArrayCluster(config, view=engine)
    crash_at = 15.0 if n <= 300 else 25.0
    cluster.run(crash_at - 0.01)
    bound = failover_bound(leader_silence(cluster), n, config.params.gossip_interval)
    failover = failover_time(cluster, at=crash_at, within=25)
    return (np.nan if failover is None else failover), bound, time.perf_counter() - start


def main(sizes: list[int], seeds: int | None, engines: list[str]) -> None:
    print(f"load average at start: {os.getloadavg()}")
    print(
        f"{'n':>6} {'engine':>10} {'failover s':>10} {'bound s':>8} {'ratio':>6} "
        f"{'wall s':>7}  seeds"
    )
    medians: dict[tuple[int, str], float] = {}
    for n in sizes:
        count = seeds if seeds is not None else (5 if n <= 300 else 2)
        for engine in engines:
            runs = np.array([one(engine, n, seed) for seed in range(count)])
            failover, bound = float(np.median(runs[:, 0])), float(np.median(runs[:, 1]))
            medians[n, engine] = failover
            ratio = failover / bound
            print(
                f"{n:>6} {engine:>10} {failover:>10.2f} {bound:>8.2f} {ratio:>6.2f} "
                f"{runs[:, 2].sum():>7.1f}  {count}  "
                f"(goal <= 1.3: {'met' if ratio <= 1.3 else 'MISSED'})",
                flush=True,
            )
    print(f"load average at end: {os.getloadavg()}")
    for n in sizes:
        ratios = [
            f"{a} / {b} x{medians[n, a] / medians[n, b]:.2f}"
            for a, b in (("full", "exact"), ("topk", "exact"), ("topk", "exact-topk"))
            if (n, a) in medians and (n, b) in medians
        ]
        print(f"n={n}: " + ", ".join(ratios))


if __name__ == "__main__":
    args = sys.argv[1:]
    chosen: int | None = pop_option(args, "--seeds", None, int)
    engines = pop_option(args, "--engines", ",".join(ENGINES), str).split(",")
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        allowed = ", ".join(ENGINES)
        raise SystemExit(f"--engines: unknown engine {unknown[0]!r} (expected: {allowed})")
    main([int(a) for a in args] or [100, 1000], chosen, engines)
