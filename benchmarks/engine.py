"""Engine benchmark: n nodes, fanout 3, gossip every 1 s, 120 s virtual, leader crash at 60 s.

Each size runs in its own process so its peak memory (max RSS) is its own.
Prints wall seconds, scheduler events per second, messages, and peak memory,
then the growth ratios against the smallest size measured in the same run.

    python benchmarks/engine.py            # 100, 300, 1000 nodes
    python benchmarks/engine.py 100 300    # chosen sizes
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def one(n: int) -> dict[str, float]:
    from emergent_lab import ClusterConfig, SimCluster, build_report

    config = ClusterConfig.create(n, seed=1, fanout=3, gossip_interval=1.0, heartbeat_interval=1.0)
    start = time.perf_counter()
    cluster = SimCluster(config)
    cluster.at(60.0, "crash", node="leader")
    cluster.run(120.0)
    wall = time.perf_counter() - start
    report = build_report(cluster)
    return {
        "nodes": n,
        "wall_s": wall,
        "events": cluster.scheduler.processed,
        "events_per_s": cluster.scheduler.processed / wall,
        "messages": report.messages,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reconverged_after_s": report.events[0].reconverged_after_s or float("nan"),
        "converged": report.converged,
    }


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        ).stdout
        rows.append(json.loads(out))
    print(
        f"{'nodes':>6} {'wall s':>8} {'events':>10} {'events/s':>10} {'messages':>10} "
        f"{'peak MiB':>9} {'failover s':>10} converged"
    )
    for r in rows:
        print(
            f"{r['nodes']:>6} {r['wall_s']:>8.2f} {r['events']:>10} {r['events_per_s']:>10.0f} "
            f"{r['messages']:>10} {r['peak_rss_mib']:>9.0f} {r['reconverged_after_s']:>10.2f} "
            f"{r['converged']}"
        )
    base = rows[0]
    for r in rows[1:]:
        print(
            f"{r['nodes']}/{base['nodes']} nodes: wall x{r['wall_s'] / base['wall_s']:.1f}, "
            f"messages x{r['messages'] / base['messages']:.1f}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [100, 300, 1000])
