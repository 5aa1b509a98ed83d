"""Dissemination against epidemic theory: rounds until every node follows the one best node.

Array engine, top-k view (k = 8): a fresh cluster where every node scores
the same but one, promoted before the first round. Median over seeds of the
rounds until every node follows it, divided by the bound for the exchange
used: push-pull log_{1+2f} n + ln ln n / log2(1+f) (log3 n + ln ln n at
f = 1), push log_{1+f} n + ln n / f (log2 n + ln n at f = 1). Goal: ratio
<= 1.15. The detector tolerates 30 s of silence so that only the spreading
is measured (``--strict``: the default detector, which with push and fanout
1 suspects live nodes, whose heartbeats spread too slowly, and top-k lists
then evict them).

    python benchmarks/dissemination.py                      # n = 100, 1000, 10000; 3 seeds
    python benchmarks/dissemination.py 100000 --seeds 1     # chosen sizes
    python benchmarks/dissemination.py 1000 --strict        # with the default detector
"""

from __future__ import annotations

import sys
import time

import numpy as np
from options import pop_option

from emergent_lab.analysis import push_pull_rounds, push_rounds
from emergent_lab.analysis.measure import rounds_to_follow


def main(sizes: list[int], seeds: int, pause: float) -> None:
    print(
        f"{'n':>8} {'exchange':>9} {'fanout':>6} {'rounds':>7} {'theory':>7} "
        f"{'ratio':>6} {'wall s':>7}"
    )
    worst = 0.0
    for n in sizes:
        for exchange, bound in (("push-pull", push_pull_rounds), ("push", push_rounds)):
            for fanout in (1, 2, 3):
                start = time.perf_counter()
                runs = [
                    rounds_to_follow(n, seed=s, fanout=fanout, exchange=exchange, pause=pause)
                    for s in range(seeds)
                ]
                median = float(np.median([np.inf if r is None else r for r in runs]))
                theory = bound(n, fanout)
                worst = max(worst, median / theory)
                print(
                    f"{n:>8} {exchange:>9} {fanout:>6} {median:>7.2f} {theory:>7.2f} "
                    f"{median / theory:>6.2f} {time.perf_counter() - start:>7.1f}",
                    flush=True,
                )
    print(f"worst ratio {worst:.2f} (goal <= 1.15: {'met' if worst <= 1.15 else 'MISSED'})")


if __name__ == "__main__":
    args = sys.argv[1:]
    count = pop_option(args, "--seeds", 3, int)
    pause = 30.0
    if "--strict" in args:
        args.remove("--strict")
        pause = 0.0
    main([int(a) for a in args] or [100, 1000, 10000], count, pause)
