"""Causality overhead: the same run with ``causality`` off and on, measured side by side.

The goal (issue 17): recording causes costs at most 25 % more CPU time.

Each run is a fresh process (``--one``), so one run's garbage, heap and
caches never land on the next; runs alternate off/on (off first on even
turns, on first on odd ones), so a burst of load from the other users of
the machine hits both and neither always runs second. Per size it prints
the least CPU time of each (the least disturbed run of each), their ratio,
and the median of the ratios of adjacent off/on pairs (robust to load that
drifts during the benchmark), the peak memory of each, whether every run
had the same event-log digest (recording must not change the run), and the
load average before and after.

With ``--before REV`` the same off/on pairs also run on an earlier commit
(a ``git worktree``, see ``before.py``), taking turns with this tree's
(which goes first alternates), so
a change to the recorder (or to the engine under it) is judged by ratios
measured in one invocation: one row per tree and size.

The run: ``n`` nodes (fanout 3, seed 1) for ``seconds`` of virtual time,
the leader crashed halfway, so the record holds a failover too.

    python benchmarks/causality.py                      # 50, 200 and 1,000 nodes
    python benchmarks/causality.py --sizes 200 --repeat 7
    python benchmarks/causality.py --sizes 50 200 --before f80e2e3
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from before import load, python_env, tree, warm

Run = dict[str, float | str]
"""One run's figures, as its process printed them in JSON."""
SECONDS = {50: 60.0, 200: 30.0, 1000: 10.0}
"""Virtual seconds per size: enough for the failover; 1,000 nodes hold ~1 GB of record in 10 s."""
GOAL = 1.25


def one(n: int, seconds: float, *, causality: bool) -> Run:
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


def measured(n: int, seconds: float, *, causality: bool, checkout: Path | None) -> Run:
    """:func:`one` in a fresh interpreter, on ``checkout`` (None: this tree)."""
    flag = "on" if causality else "off"
    command = [sys.executable, __file__, "--one", str(n), str(seconds), flag]
    out = subprocess.run(
        command, check=True, capture_output=True, text=True, env=python_env(checkout)
    ).stdout
    result: Run = json.loads(out.splitlines()[-1])
    return result


class Tally:
    """One tree's runs of one size: CPU times off and on, peak memory, digests."""

    def __init__(self) -> None:
        self.cpu: dict[bool, list[float]] = {False: [], True: []}
        self.peak: dict[bool, float] = {False: 0.0, True: 0.0}
        self.digests: set[str] = set()

    def add(self, causality: bool, run: Run) -> None:
        """Count one run."""
        self.cpu[causality].append(float(run["cpu"]))
        self.peak[causality] = max(self.peak[causality], float(run["peak_mb"]))
        self.digests.add(str(run["digest"]))

    def row(self, label: str, n: int, seconds: float, load: float) -> str:
        """The printed row: least CPU off and on, their ratio, the median pair ratio, memory."""
        off, on = self.cpu[False], self.cpu[True]
        pairs = sorted(b / a for a, b in zip(off, on, strict=True))
        ratio, median = min(on) / min(off), statistics.median(pairs)
        return (
            f"{label:>7} {n:>6} {seconds:>5.0f} {len(off):>3} {min(off):>9.2f} {min(on):>9.2f} "
            f"{ratio:>7.2f} {median:>11.2f} {self.peak[False]:>7.0f} {self.peak[True]:>7.0f} "
            f"{len(self.digests) == 1!s:>5}  {'yes' if max(ratio, median) <= GOAL else 'NO'}"
            f"   load {load:.2f} -> {os.getloadavg()[0]:.2f}"
        )


def compare(n: int, seconds: float, repeat: int, checkout: Path | None) -> None:
    """Alternate off/on runs ``repeat`` times (on each tree in turn) and print a row per tree."""
    load = os.getloadavg()[0]
    trees: dict[str, Path | None] = {"now": None}
    if checkout is not None:
        trees = {"before": checkout, "now": None}
    tallies = {label: Tally() for label in trees}
    for turn in range(repeat):
        # Trees take turns going first: in a fixed order the second tree's off runs
        # came out ~10 % slower, a difference that vanished when the order alternated.
        order = list(trees.items())
        flags = (False, True) if turn % 2 == 0 else (True, False)
        for label, checked_out in order if turn % 2 == 0 else order[::-1]:
            for flag in flags:  # off/on order alternates too: no side always goes second
                tallies[label].add(flag, measured(n, seconds, causality=flag, checkout=checked_out))
    for label, tally in tallies.items():
        print(tally.row(label, n, seconds, load), flush=True)
    if checkout is not None:
        before, now = tallies["before"].cpu, tallies["now"].cpu
        same = tallies["before"].digests == tallies["now"].digests
        print(
            f"{'':>7} {n:>6} before/now least CPU: off x{min(before[False]) / min(now[False]):.2f}"
            f", on x{min(before[True]) / min(now[True]):.2f}; same digest on both trees: {same}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[50, 200, 1000])
    parser.add_argument("--seconds", type=float, help="virtual seconds (default: per size)")
    parser.add_argument("--repeat", type=int, default=5, help="off/on pairs per size")
    parser.add_argument(
        "--before", metavar="REV", help="also time an earlier commit, taking turns with this tree"
    )
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
    checkout = tree(args.before) if args.before else None
    for compiled in {None, checkout}:
        warm(compiled)  # numba's caches exist before any timed run
    print(f"before: {args.before or '-'}; {load()}")
    print(
        f"{'tree':>7} {'nodes':>6} {'vsec':>5} {'rep':>3} {'off cpu s':>9} {'on cpu s':>9} "
        f"{'min/min':>7} {'median pair':>11} {'off MB':>7} {'on MB':>7} {'same':>5}  ≤{GOAL}"
    )
    for n in args.sizes:
        seconds = args.seconds if args.seconds is not None else SECONDS.get(n, 30.0)
        compare(n, seconds, args.repeat, checkout)
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
