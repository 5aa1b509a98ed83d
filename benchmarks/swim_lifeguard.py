"""False positives per node-hour on slow members, SWIM with and without Lifeguard.

The case Lifeguard was built for: some members are slow (CPU-starved: each
message they receive is handled after an exponential delay of the given
mean, their timers fire on time). A false positive is a member declaring
dead a member that is up. Both variants run the same seeds, side by side in
one run, on memberlist's LAN defaults, 20 members of which two are slow, 1 %
loss, 20 ms latency; the figures are per observing member per hour of
virtual time, all members and healthy (not slow) subjects only.

    python benchmarks/swim_lifeguard.py             # 1 virtual hour, slowness 0.5/1/2 s, 2 seeds
    python benchmarks/swim_lifeguard.py --hours 0.25 --seeds 1
"""

from __future__ import annotations

import os
import sys
import time

from options import pop_option

from emergent_lab.baselines.swim_cluster import SwimCluster
from emergent_lab.detector.lifeguard import SwimParams
from emergent_lab.sim.latency import ConstantLatency

N = 20
SLOW = (0, 1)
LOSS = 0.01


def one(lifeguard: bool, slowness: float, seed: int, hours: float) -> tuple[float, float, float]:
    """(false per node-hour, of which healthy subjects, wall s) for one run."""
    start = time.perf_counter()
    cluster = SwimCluster(
        N,
        seed=seed,
        params=SwimParams(lifeguard=lifeguard),
        latency=ConstantLatency(0.02),
        loss=LOSS,
        slow=dict.fromkeys(SLOW, slowness),
    )
    cluster.run(hours * 3600.0)
    return (
        cluster.false_positives_per_node_hour(),
        cluster.false_positives_per_node_hour(healthy_only=True),
        time.perf_counter() - start,
    )


def main(argv: list[str]) -> None:
    hours = pop_option(argv, "--hours", 1.0, float)
    seeds = pop_option(argv, "--seeds", 2, int)
    print(f"SWIM, {N} members ({len(SLOW)} slow), loss {LOSS:.0%}, {hours:g} h, {seeds} seed(s)")
    print(f"{'slow mean s':>11} {'variant':>14} {'FP/node-h':>10} {'healthy':>8} {'wall s':>7}")
    for slowness in (0.5, 1.0, 2.0):
        rows = {}
        for lifeguard in (False, True):
            runs = [one(lifeguard, slowness, seed, hours) for seed in range(seeds)]
            fp = sum(r[0] for r in runs) / seeds
            healthy = sum(r[1] for r in runs) / seeds
            wall = sum(r[2] for r in runs)
            rows[lifeguard] = fp
            name = "with Lifeguard" if lifeguard else "plain SWIM"
            print(f"{slowness:>11g} {name:>14} {fp:>10.2f} {healthy:>8.2f} {wall:>7.1f}")
        ratio = rows[False] / rows[True] if rows[True] else float("inf")
        print(f"{'':>11} {'ratio':>14} {ratio:>10.1f}")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main(sys.argv[1:])
