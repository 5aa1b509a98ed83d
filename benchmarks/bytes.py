"""Bytes per node per second against n: what steady gossip costs as the cluster grows.

The exact engine, a quiet cluster (no fault) with the default protocol
(fanout 3, one gossip and one heartbeat a second): after membership has
formed (every node knows every other) and a settling time, the bytes sent
during ``--seconds`` of virtual time, per node and per second, split by
message kind (SYN digests, ACK and ACK2 state deltas). With full membership
every digest names every node and every heartbeat is a new version of a
state that must reach everyone, so the cost per node grows like n; the
column ``B/node/s ÷ n`` shows the constant.

Each gossip mode is one entry of ``MODES``: a function from (n, seed) to a
cluster. ``topk`` is the bounded mode (``view = "topk"`` on the exact
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
from collections.abc import Callable

from options import pop_option

from emergent_lab import ClusterConfig, SimCluster

MODES: dict[str, Callable[[int, int], SimCluster]] = {
    "full": lambda n, seed: SimCluster(ClusterConfig.create(n, seed=seed)),
    "topk": lambda n, seed: SimCluster(ClusterConfig.create(n, seed=seed, view="topk")),
}
KINDS = ("syn", "ack", "ack2")
FORMING_LIMIT_S = 120.0
"""Virtual seconds to wait for membership to form before giving up on a size."""


def formed(cluster: SimCluster) -> bool:
    """Whether every running node knows every other (top-k: lists k, and a leader emerged)."""
    n = len(cluster.ids.ids)
    if cluster.config.view == "topk":
        k = min(cluster.config.k, n - 1)
        lists = (node.peers_held().peer.size for node in cluster.nodes.values())
        return all(size == k for size in lists) and cluster.leader() is not None
    return all(node.peers_held().peer.size == n - 1 for node in cluster.nodes.values())


def measure(mode: str, n: int, seconds: float, settle: float) -> dict[str, float]:
    """Steady bytes per node per second of one cluster, by message kind."""
    start = time.perf_counter()
    cluster = MODES[mode](n, 1)
    while not formed(cluster):
        if cluster.time >= FORMING_LIMIT_S:
            raise SystemExit(f"n = {n}: membership had not formed after {FORMING_LIMIT_S} s")
        cluster.run_for(1.0)
    formed_at = cluster.time
    cluster.run_for(settle)
    before = dict(cluster.network.bytes_by_kind)
    cluster.run_for(seconds)
    after = cluster.network.bytes_by_kind
    per = {k: (after.get(k, 0) - before.get(k, 0)) / n / seconds for k in KINDS}
    return {
        "formed_s": formed_at,
        **per,
        "total": sum(per.values()),
        "wall_s": time.perf_counter() - start,
    }


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
    modes = pop_option(args, "--modes", ",".join(MODES), str).split(",")
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise SystemExit(f"--modes: unknown mode {unknown[0]!r} (expected: {', '.join(MODES)})")
    main([int(a) for a in args] or [100, 1000], seconds, settle, modes)
