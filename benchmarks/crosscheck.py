"""Cross-check of the two engines at sizes too slow for every commit: n = 1,000 and 2,000.

The same scenario and the same rules as ``tests/test_scale_crosscheck.py``
(:func:`~emergent_lab.analysis.measure.crosscheck_times`,
:func:`~emergent_lab.analysis.compare.agreement`): dissemination medians within
20 % and a KS test at 1 %; full-view failover the same, after a lag of at
most one round; top-k failover 0.95-1.35 times the exact engine's. Runs go
to a process pool, one per core.

    python benchmarks/crosscheck.py                  # n = 1000 and 2000, 6 seeds
    python benchmarks/crosscheck.py 500 --seeds 8
"""

from __future__ import annotations

import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from options import pop_option

from emergent_lab.analysis.compare import agreement, median_ratio
from emergent_lab.analysis.measure import CROSSCHECK_ENGINES, crosscheck_times

ROUND_LAG = 1.0


def main(sizes: list[int], seeds: int) -> None:
    start = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        jobs = {
            (engine, n, seed): pool.submit(crosscheck_times, engine, n, seed)
            for n in sizes
            for engine in CROSSCHECK_ENGINES
            for seed in range(seeds)
        }
        times = {key: job.result() for key, job in jobs.items()}
    print(f"{seeds} seeds per engine and size, {time.perf_counter() - start:.0f} s in all")
    for n in sizes:
        spread = {e: [times[e, n, s][0] for s in range(seeds)] for e in CROSSCHECK_ENGINES}
        back = {e: [times[e, n, s][1] for s in range(seeds)] for e in CROSSCHECK_ENGINES}
        for view in ("full", "topk"):
            a = agreement(spread[view], spread["exact"], tolerance=0.2)
            print(
                f"n={n:<5} dissemination {view:>4}/exact: median x{a.median_ratio:.2f}, "
                f"KS {a.ks:.2f} < {a.critical:.2f}, unfinished {a.unfinished}: "
                f"{'agree' if a.agrees else 'DIFFER'}"
            )
        a = agreement(back["full"], back["exact"], tolerance=0.2, lag=ROUND_LAG)
        print(
            f"n={n:<5} failover      full/exact: median x{a.median_ratio:.2f}, lag {a.lag:.2f} s, "
            f"KS {a.ks:.2f} < {a.critical:.2f}, unfinished {a.unfinished}: "
            f"{'agree' if a.agrees else 'DIFFER'}"
        )
        ratio = median_ratio(back["topk"], back["exact"])
        verdict = "within" if 0.95 <= ratio <= 1.35 else "OUTSIDE"
        late = sum(not math.isfinite(x) for x in back["topk"])
        print(
            f"n={n:<5} failover      topk/exact: median x{ratio:.2f} ({verdict} 0.95-1.35), "
            f"unfinished in 16 s: {late}"
        )
    print("samples (s):")
    for (engine, n, seed), (spread, back_s) in sorted(times.items()):
        print(
            f"  {engine:>5} n={n:<5} seed {seed}: dissemination {spread:.3f}, failover {back_s:.3f}"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    seeds = pop_option(args, "--seeds", 6, int)
    main([int(a) for a in args] or [1000, 2000], seeds)
