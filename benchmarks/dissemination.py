"""Dissemination against the ideal process: engine rounds ÷ ideal asynchronous rumour spreading.

Array engine, top-k view (k = 8): a fresh cluster where every node scores
the same but one, promoted before the first round; the rounds until every
node follows it (``rounds_to_follow``). The reference is the ideal rumour
process with the engine's timing (:mod:`emergent_lab.analysis.rumour`, which
shares no code with the engine): every node calls ``fanout`` random others
at its own phase of each round, reported at its slot's middle as the
engine reports time. Goal: engine ÷ ideal asynchronous <= 1.05, i.e. the
protocol (versions, views, detectors, the leader rule) adds no rounds to
the spreading itself.

For context it also prints the synchronous phone-call model and its
asymptotic formula (``log_{1+2f} n + ln ln n / ln(1+f)`` for push-pull,
``log_{1+f} n + ln n / f`` for push): leading terms, not bounds, derived for
the synchronous model, which the asynchronous timing beats.

Means over seeds: the engine over ``--seeds`` runs (default: 40 at n = 100
down to 1 at 10^6), the ideal processes over more (they are cheap). The
detector tolerates 30 s of silence so that only the spreading is measured
(``--strict``: the default detector).

    python benchmarks/dissemination.py                        # n = 100 … 100,000
    python benchmarks/dissemination.py 1000000                # chosen sizes
    python benchmarks/dissemination.py 1000 --seeds 5 --strict
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from options import pop_option

from emergent_lab.analysis import push_pull_rounds, push_rounds
from emergent_lab.analysis.measure import rounds_to_follow
from emergent_lab.analysis.rumour import Exchange, async_rounds, sync_rounds

GOAL = 1.05
PHASES = 4
"""Slots per round of ``ArrayCluster`` (its default, which ``rounds_to_follow`` uses)."""


def engine_seeds(n: int) -> int:
    """Seeds for the engine at size ``n``: as many as keep a size under about a minute."""
    return 40 if n <= 100 else 20 if n <= 1_000 else 10 if n <= 10_000 else 3 if n <= 100_000 else 1


def ideal_seeds(n: int) -> int:
    """Seeds for the ideal processes: enough that their mean is steady to about 1 %."""
    return 200 if n <= 10_000 else 40 if n <= 100_000 else 10


def row(n: int, exchange: Exchange, fanout: int, seeds: int, pause: float) -> float:
    """Measure one case, print its row, return engine ÷ ideal asynchronous."""
    start = time.perf_counter()
    runs = [
        rounds_to_follow(n, seed=s, fanout=fanout, exchange=exchange, pause=pause)
        for s in range(seeds)
    ]
    engine = float(np.mean([np.inf if r is None else r for r in runs]))
    engine_s = time.perf_counter() - start
    count = ideal_seeds(n)
    ideal = float(
        np.mean(
            [
                async_rounds(
                    n,
                    fanout=fanout,
                    exchange=exchange,
                    rng=np.random.default_rng((7, s)),
                    slots=PHASES,
                )
                for s in range(count)
            ]
        )
    )
    sync = float(
        np.mean(
            [
                sync_rounds(n, fanout=fanout, exchange=exchange, rng=np.random.default_rng((8, s)))
                for s in range(count)
            ]
        )
    )
    formula = (push_pull_rounds if exchange == "push-pull" else push_rounds)(n, fanout)
    print(
        f"{n:>8} {exchange:>9} {fanout:>6} {seeds:>5} {engine:>7.2f} {ideal:>7.2f} "
        f"{engine / ideal:>6.3f} {sync:>6.2f} {formula:>7.2f} {engine_s:>7.1f}",
        flush=True,
    )
    return engine / ideal


def main(sizes: list[int], seeds: int | None, pause: float) -> None:
    print(f"load average at start: {os.getloadavg()}")
    print(
        f"{'n':>8} {'exchange':>9} {'fanout':>6} {'seeds':>5} {'engine':>7} {'ideal':>7} "
        f"{'ratio':>6} {'sync':>6} {'asympt':>7} {'wall s':>7}"
    )
    ratios = []
    for n in sizes:
        for exchange in ("push-pull", "push"):
            for fanout in (1, 2, 3):
                ratios.append(row(n, exchange, fanout, seeds or engine_seeds(n), pause))
    worst = max(ratios)
    print(
        f"engine ÷ ideal asynchronous: {min(ratios):.3f} … {worst:.3f} "
        f"(goal <= {GOAL}: {'met' if worst <= GOAL else 'MISSED'})"
    )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    args = sys.argv[1:]
    count = pop_option(args, "--seeds", 0, int)
    pause = 30.0
    if "--strict" in args:
        args.remove("--strict")
        pause = 0.0
    main([int(a) for a in args] or [100, 1000, 10_000, 100_000], count or None, pause)
