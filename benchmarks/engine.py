"""Engine benchmark: n nodes, fanout 3, gossip every 1 s, 120 s virtual, leader crash at 60 s.

Each size runs in its own process, once on this tree and once on an earlier
commit (``--before``, by default the exact engine before it was compiled),
the two taking turns, so the speed-up is a ratio measured side by side in this
one invocation. Prints, for each: wall and CPU seconds, scheduler events per
CPU-second, messages, peak memory (max RSS) and failover; then the speed-up
(before / now) in wall and CPU time, whether both runs logged the same events
(event-log digest), and the load average before and after. CPU time is the
fairer figure on a shared machine: it does not count the time the process
waited for a core.

    python benchmarks/engine.py                    # 100, 300, 1000 nodes
    python benchmarks/engine.py 100 300            # chosen sizes
    python benchmarks/engine.py --before HEAD~3    # against another commit
    python benchmarks/engine.py --before none      # this tree only
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from before import BEFORE, compared, fresh_row, load, tree, warm
from options import pop_option

Row = dict[str, Any]
"""One run's figures, as its process printed them in JSON."""
GOAL = 10.0
"""Issue 16: the compiled exact engine is at least 10x faster at 1,000 nodes."""


def one(n: int) -> Row:
    from emergent_lab import ClusterConfig, SimCluster, build_report

    config = ClusterConfig.create(n, seed=1, fanout=3, gossip_interval=1.0, heartbeat_interval=1.0)
    start, cpu = time.perf_counter(), time.process_time()
    cluster = SimCluster(config)
    cluster.at(60.0, "crash", node="leader")
    cluster.run(120.0)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    report = build_report(cluster)
    return {
        "nodes": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "events": cluster.scheduler.processed,
        "events_per_cpu_s": cluster.scheduler.processed / cpu,
        "messages": report.messages,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reconverged_after_s": report.events[0].reconverged_after_s or float("nan"),
        "converged": report.converged,
        "digest": report.event_log_sha256[:16],
    }


def measure(n: int, checkout: Path | None) -> Row:
    """One size in a fresh process, on ``checkout`` (None: this tree)."""
    return fresh_row(__file__, n, checkout)


def show(label: str, r: Row) -> None:
    print(
        f"{label:>7} {r['nodes']:>6} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} {r['events']:>9} "
        f"{r['events_per_cpu_s']:>11.0f} {r['messages']:>9} {r['peak_rss_mib']:>9.0f} "
        f"{r['reconverged_after_s']:>10.2f} {r['converged']!s:>9} {r['digest']}",
        flush=True,
    )


def main(sizes: list[int], before: str) -> None:
    checkout = None if before == "none" else tree(before)
    for compiled in {None, checkout}:
        warm(compiled)
    print(f"before: {before if checkout else '-'}; {load()}")
    print(
        f"{'tree':>7} {'nodes':>6} {'wall s':>8} {'CPU s':>8} {'events':>9} {'events/CPU s':>11} "
        f"{'messages':>9} {'peak MiB':>9} {'failover s':>10} {'converged':>9} digest"
    )
    rows: list[tuple[Row, Row | None]] = []
    for n in sizes:
        old = measure(n, checkout) if checkout else None
        if old:
            show("before", old)
        now = measure(n, None)
        show("now", now)
        rows.append((now, old))
    for now, old in rows:
        if old is None:
            continue
        wall, cpu, same = compared([old], [now])
        verdict = ""
        if now["nodes"] == 1000:
            verdict = f"   goal >= {GOAL:g}x: {'met' if min(wall, cpu) >= GOAL else 'MISSED'}"
        print(f"{now['nodes']} nodes: before/now wall x{wall:.2f}, CPU x{cpu:.2f}, {same}{verdict}")
    base = rows[0][0]
    for now, _ in rows[1:]:
        print(
            f"{now['nodes']}/{base['nodes']} nodes (now): "
            f"CPU x{float(now['cpu_s']) / float(base['cpu_s']):.1f}, "
            f"messages x{int(now['messages']) / int(base['messages']):.1f}"
        )
    print(f"after: {load()}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))))
    else:
        args = sys.argv[1:]
        before = pop_option(args, "--before", BEFORE, str)
        main([int(a) for a in args] or [100, 300, 1000], before)
