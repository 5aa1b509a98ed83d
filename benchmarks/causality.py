"""Causality overhead: the same scenario with ``causality`` off and on, measured side by side.

Runs alternate off/on (so a burst of load from elsewhere hits both), each
scenario ``--repeat`` times. Two ratios: the least CPU time of each (the
least disturbed run of each), and the median of the ratios of adjacent
off/on pairs (robust to load that drifts during the benchmark). The load
average is printed with them.
The digests are printed too: recording causality must not change the run.

    python benchmarks/causality.py                       # leader-crash, partition-heal, gc-pause
    python benchmarks/causality.py leader-crash --repeat 7
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

from emergent_lab.scenario import load_scenario
from emergent_lab.scenario.runner import build_cluster


def timed(name: str, *, causality: bool) -> tuple[float, str]:
    """CPU seconds to run the scenario to its end, and the run's event-log digest.

    CPU time, not wall time: the machine is shared, and waiting for a core is
    no cost of the recorder's.
    """
    scenario = load_scenario(name)
    config = dataclasses.replace(scenario.config, causality=causality)
    cluster = build_cluster(dataclasses.replace(scenario, config=config))
    start = time.process_time()
    cluster.run(scenario.until)
    return time.process_time() - start, cluster.log.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenarios", nargs="*", default=["leader-crash", "partition-heal", "gc-pause"]
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    print(
        f"{'scenario':16} {'off cpu s':>9} {'on cpu s':>9} {'min/min':>7} {'median pair':>11}"
        "  same digest"
    )
    for name in args.scenarios:
        off: list[float] = []
        on: list[float] = []
        digests = set()
        for _ in range(args.repeat):
            for flag, times in ((False, off), (True, on)):
                seconds, digest = timed(name, causality=flag)
                times.append(seconds)
                digests.add(digest)
        pairs = sorted(b / a for a, b in zip(off, on, strict=True))
        print(
            f"{name:16} {min(off):9.3f} {min(on):9.3f} {min(on) / min(off):7.2f} "
            f"{statistics.median(pairs):11.2f}  {len(digests) == 1}"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
