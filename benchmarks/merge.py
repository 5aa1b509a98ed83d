"""The array engine's top-k merge and look, per transfer, against an earlier commit, side by side.

At n nodes a round is 6n transfers (fanout 3, push-pull) merged one by one,
then a look (the leader rule) at every node whose view changed: at 10^6 the
merges were 71 % of a run. This times both on a top-k cluster after three
warm-up rounds (lists full), over three rounds, in CPU seconds of the
measuring process (``time.process_time``: on a machine shared with other
jobs, wall time mostly measures the others), for this tree and for
``--before`` (default: the commit before the merge's speed-ups), each size
and tree in a fresh process, alternating. It prints nanoseconds of merge per
transfer and seconds of look per round, their ratios (after / before), and
the load average. Small n fits in the CPU's caches, large n does not: the
difference is memory.

    python benchmarks/merge.py                      # 10^4 and 3·10^5
    python benchmarks/merge.py 1000000 --before f80e2e3
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from before import fresh_row, load, tree

BEFORE = "f80e2e3"
"""The last commit before the top-k merge's speed-ups (ids in bulk, packed own state, inlining)."""
WARM_ROUNDS, TIMED_ROUNDS = 3, 3


def one(n: int) -> dict[str, float]:
    """CPU time of merges and looks over TIMED_ROUNDS rounds of an n-node top-k cluster."""
    from emergent_lab import ClusterConfig
    from emergent_lab.array import ArrayCluster

    cluster = ArrayCluster(ClusterConfig.create(n, seed=1), view="topk", k=8)
    view = cluster.view
    spent = {"merge": 0.0, "look": 0.0, "transfers": 0.0}
    merge, look = view.merge, view.evaluate

    def timed_merge(transfers: Any, now: float) -> int:
        start = time.process_time()
        taken = merge(transfers, now)
        spent["merge"] += time.process_time() - start
        spent["transfers"] += transfers.dst.size
        return taken

    def timed_look(nodes: Any, now: float, state: Any) -> Any:
        start = time.process_time()
        result = look(nodes, now, state)
        spent["look"] += time.process_time() - start
        return result

    view.merge, view.evaluate = timed_merge, timed_look  # type: ignore[method-assign]
    for _ in range(WARM_ROUNDS):
        cluster.step_round()
    spent.update(merge=0.0, look=0.0, transfers=0.0)
    for _ in range(TIMED_ROUNDS):
        cluster.step_round()
    return {
        "merge_ns": spent["merge"] / spent["transfers"] * 1e9,
        "look_s": spent["look"] / TIMED_ROUNDS,
        "digest": int(cluster.log.hexdigest()[:12], 16),
    }


def measure(n: int, checkout: Path | None) -> dict[str, Any]:
    """One size in a fresh process, on ``checkout`` (None: this tree)."""
    return fresh_row(__file__, n, checkout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 300_000])
    parser.add_argument("--before", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    old = tree(args.before)  # its kernels compile in the warm-up rounds, untimed
    print(f"top-k merge and look, CPU time; before = {args.before}; {load()}")
    print(
        f"{'n':>9} {'merge ns/transfer':>18} {'before':>8} {'ratio':>6} "
        f"{'look s/round':>13} {'before':>8} {'ratio':>6} {'same run':>8}"
    )
    for n in args.sizes:
        before = measure(n, old)
        after = measure(n, None)
        print(
            f"{n:>9} {after['merge_ns']:>18.0f} {before['merge_ns']:>8.0f} "
            f"{after['merge_ns'] / before['merge_ns']:>6.2f} {after['look_s']:>13.3f} "
            f"{before['look_s']:>8.3f} {after['look_s'] / before['look_s']:>6.2f} "
            f"{'yes' if after['digest'] == before['digest'] else 'NO':>8}",
            flush=True,
        )
    print(f"at end: {load()}")


if __name__ == "__main__":
    main()
