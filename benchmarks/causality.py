"""Causality overhead: the same run with ``causality`` off and on, measured side by side.

The goal (issue 17): recording causes costs at most 25 % more CPU time.

Each run is a fresh process (``--one``), so one run's garbage, heap and
caches never land on the next; runs alternate off/on, so a burst of load
from the other users of the machine hits both. Per size it prints the least
CPU time of each (the least disturbed run of each), their ratio, and the
median of the ratios of adjacent off/on pairs (robust to load that drifts
during the benchmark), the peak memory of each, whether every run had the
same event-log digest (recording must not change the run), and the load
average before and after.

The run: ``n`` nodes (fanout 3, seed 1) for ``seconds`` of virtual time,
the leader crashed halfway, so the record holds a failover too.

    python benchmarks/causality.py                      # 50, 200 and 1,000 nodes
    python benchmarks/causality.py --sizes 200 --repeat 7
    python benchmarks/causality.py --one 200 30 on      # one run, as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

SECONDS = {50: 60.0, 200: 30.0, 1000: 10.0}
"""Virtual seconds per size: enough for the failover; 1,000 nodes hold ~1 GB of record in 10 s."""
GOAL = 1.25


def one(n: int, seconds: float, *, causality: bool) -> dict[str, float | str]:
    """CPU seconds of one run (building excluded), its digest and the process's peak memory.

    CPU time, not wall time: the machine is shared, and waiting for a core is
    no cost of the recorder's. User and system time both count: page faults
    of a growing record are part of its cost.
    """
    from emergent_lab import ClusterConfig, SimCluster

    cluster = SimCluster(ClusterConfig.create(n, seed=1, fanout=3, causality=causality))
    cluster.at(seconds / 2, "crash", node="leader")
    start = time.process_time()
    cluster.run(seconds)
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"cpu": cpu, "digest": cluster.log.hexdigest(), "peak_mb": peak}


def measured(n: int, seconds: float, *, causality: bool) -> dict[str, float | str]:
    """:func:`one` in a fresh interpreter."""
    flag = "on" if causality else "off"
    command = [sys.executable, __file__, "--one", str(n), str(seconds), flag]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float | str] = json.loads(out.splitlines()[-1])
    return result


def compare(n: int, seconds: float, repeat: int) -> None:
    """Alternate off/on runs ``repeat`` times and print one row."""
    load = os.getloadavg()
    off: list[float] = []
    on: list[float] = []
    peaks: dict[bool, float] = {False: 0.0, True: 0.0}
    digests = set()
    for _ in range(repeat):
        for flag, times in ((False, off), (True, on)):
            result = measured(n, seconds, causality=flag)
            times.append(float(result["cpu"]))
            peaks[flag] = max(peaks[flag], float(result["peak_mb"]))
            digests.add(result["digest"])
    pairs = sorted(b / a for a, b in zip(off, on, strict=True))
    ratio = min(on) / min(off)
    worst = max(ratio, statistics.median(pairs))
    print(
        f"{n:>6} {seconds:>5.0f} {repeat:>3} {min(off):>9.2f} {min(on):>9.2f} {ratio:>7.2f} "
        f"{statistics.median(pairs):>11.2f} {peaks[False]:>7.0f} {peaks[True]:>7.0f} "
        f"{len(digests) == 1!s:>5}  {'yes' if worst <= GOAL else 'NO'}"
        f"   load {load[0]:.2f} -> {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[50, 200, 1000])
    parser.add_argument("--seconds", type=float, help="virtual seconds (default: per size)")
    parser.add_argument("--repeat", type=int, default=5, help="off/on pairs per size")
    parser.add_argument(
        "--one", nargs=3, metavar=("N", "SECONDS", "on|off"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        n, seconds, flag = args.one
        if flag not in ("on", "off"):
            parser.error(f"--one: causality must be on or off (got {flag!r})")
        print(json.dumps(one(int(n), float(seconds), causality=flag == "on")))
        return
    if args.repeat < 1:
        parser.error(f"--repeat: at least 1 (got {args.repeat})")
    print(f"load average before: {os.getloadavg()}")
    print(
        f"{'nodes':>6} {'vsec':>5} {'rep':>3} {'off cpu s':>9} {'on cpu s':>9} {'min/min':>7} "
        f"{'median pair':>11} {'off MB':>7} {'on MB':>7} {'same':>5}  ≤{GOAL}"
    )
    for n in args.sizes:
        seconds = args.seconds if args.seconds is not None else SECONDS.get(n, 30.0)
        compare(n, seconds, args.repeat)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
