"""Bytes per node per second against n: what steady gossip costs as the cluster grows.

The exact engine, a quiet cluster (no fault) with the default protocol
(fanout 3, one gossip and one heartbeat a second): after membership has
formed (every node knows every other) and a settling time, the bytes sent
during ``--seconds`` of virtual time, per node and per second, split by
message kind (SYN digests, ACK and ACK2 state deltas). With full membership
every digest names every node and every heartbeat is a new version of a
state that must reach everyone, so the cost per node grows like n; the
column ``B/node/s ÷ n`` shows the constant.

The measurement is :func:`emergent_lab.analysis.bounded.steady_traffic`
(lesson 10 uses it too). ``topk`` is the bounded mode (``view = "topk"`` on the exact
engine, k = 8): a node gossips its k best candidates with their liveness and
its opinion, so its cost should grow only with the length of the ids (like
log n); it counts as formed once every node lists k candidates and one
leader is recognised. ``× n=first`` is each size's cost over the first size's.

    python benchmarks/bytes.py                       # n = 100, 1000, both modes
    python benchmarks/bytes.py 100 1000 10000 --modes topk   # 10^4: top-k only (full needs
                                                             # many GiB at 10^4)
    python benchmarks/bytes.py 300 --seconds 20 --settle 10
"""

from __future__ import annotations

import os
import sys
import time

from options import pop_option

from emergent_lab.analysis.bounded import VIEWS, steady_traffic


def measure(mode: str, n: int, seconds: float, settle: float) -> dict[str, float]:
    """Steady bytes per node per second of one cluster, by message kind, and its wall time."""
    start = time.perf_counter()
    try:
        measured = steady_traffic(mode, n, seconds=seconds, settle=settle)
    except RuntimeError as error:
        raise SystemExit(str(error)) from None
    return {**measured, "wall_s": time.perf_counter() - start}


def main(sizes: list[int], seconds: float, settle: float, modes: list[str]) -> None:
    print(f"load average at start: {os.getloadavg()}")
    print(
        f"{'mode':>5} {'n':>6} {'formed s':>8} {'SYN kB':>8} {'ACK kB':>8} {'ACK2 kB':>8} "
        f"{'kB/node/s':>10} {'÷ n (B)':>8} {'× n=first':>9} {'wall s':>7}"
    )
    for mode in modes:
        first = None
        for n in sizes:
            m = measure(mode, n, seconds, settle)
            first = first or m["total"]
            print(
                f"{mode:>5} {n:>6} {m['formed_s']:>8.0f} {m['syn'] / 1e3:>8.2f} "
                f"{m['ack'] / 1e3:>8.2f} {m['ack2'] / 1e3:>8.2f} {m['total'] / 1e3:>10.2f} "
                f"{m['total'] / n:>8.1f} {m['total'] / first:>9.2f} {m['wall_s']:>7.1f}",
                flush=True,
            )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    args = sys.argv[1:]
    seconds = pop_option(args, "--seconds", 10.0, float)
    settle = pop_option(args, "--settle", 10.0, float)
    modes = pop_option(args, "--modes", ",".join(VIEWS), str).split(",")
    unknown = sorted(set(modes) - set(VIEWS))
    if unknown:
        raise SystemExit(f"--modes: unknown mode {unknown[0]!r} (expected: {', '.join(VIEWS)})")
    main([int(a) for a in args] or [100, 1000], seconds, settle, modes)
