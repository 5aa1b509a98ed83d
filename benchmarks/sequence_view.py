"""Cost of one frame of the message-sequence view at 50 and 200 nodes (and of its pieces).

A cluster recording causality runs 30 s, loses its leader, and runs to 45 s.
Then, timed side by side in this one process (CPU seconds): reading the
whole causal record into arrows, marks and causal pasts (``sequence_data``),
building the Bokeh view (default lanes, first frame laid out in Python),
serialising it as the standalone page, and the dashboard's frame (the 6 s
window up to now read again and laid out, ``SequenceView.redraw``). Prints
the load average with the figures.

    python benchmarks/sequence_view.py            # 50 and 200 nodes
    python benchmarks/sequence_view.py 50 100 200
"""

from __future__ import annotations

import os
import sys
import time

from bokeh.embed import file_html
from bokeh.resources import INLINE

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.exact.lamport import sequence_data
from emergent_lab.jupyter.sequence import SequenceView


def one(n: int) -> dict[str, float]:
    cluster = SimCluster(ClusterConfig.create(n, seed=1, fanout=3, causality=True))
    cluster.at(30.0, "crash", node="leader")
    start = time.process_time()
    cluster.run(45.0)
    run = time.process_time() - start
    start = time.process_time()
    data = sequence_data(cluster)
    read = time.process_time() - start
    start = time.process_time()
    view = SequenceView(cluster, at=40.0, data=data)
    build = time.process_time() - start
    start = time.process_time()
    page = file_html(view.layout, resources=INLINE, title="bench")
    serialise = time.process_time() - start
    # The dashboard's frame: the 6 s window up to now read again and laid out.
    start = time.process_time()
    view.redraw(cluster, at=44.0)
    frame = time.process_time() - start
    return {
        "nodes": n,
        "run_s": run,
        "messages": len(data.arrows.id),
        "marks": len(data.marks.kind),
        "read_s": read,
        "build_s": build,
        "page_s": serialise,
        "page_mb": len(page) / 1e6,
        "frame_s": frame,
    }


def main(sizes: list[int]) -> None:
    print(f"load average before: {os.getloadavg()}")
    rows = [one(n) for n in sizes]
    print(
        f"{'nodes':>6} {'run cpu s':>9} {'messages':>9} {'marks':>6} {'read s':>7} "
        f"{'build s':>7} {'page s':>7} {'page MB':>7} {'frame s':>7}"
    )
    for r in rows:
        print(
            f"{r['nodes']:>6} {r['run_s']:>9.2f} {r['messages']:>9} {r['marks']:>6} "
            f"{r['read_s']:>7.2f} {r['build_s']:>7.2f} {r['page_s']:>7.2f} {r['page_mb']:>7.1f} "
            f"{r['frame_s']:>7.3f}"
        )
    base = rows[0]
    for r in rows[1:]:
        whole = r["read_s"] + r["build_s"]
        print(
            f"{r['nodes']}/{base['nodes']} nodes: whole-run view (read + build) "
            f"x{whole / (base['read_s'] + base['build_s']):.1f}, dashboard frame "
            f"x{r['frame_s'] / base['frame_s']:.1f}, messages "
            f"x{r['messages'] / base['messages']:.1f}"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 200])
