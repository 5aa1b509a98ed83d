"""Cost of one frame of the message-sequence view at 50 and 200 nodes (and of its pieces).

A cluster recording causality runs 30 s, loses its leader, and runs to 45 s.
Then, timed side by side in this one process (CPU seconds): reading the
whole causal record into arrows, marks and causal pasts (``sequence_data``),
building the Bokeh view (default lanes, first frame laid out in Python),
serialising it as the standalone page, and the dashboard's frame (the 6 s
window up to now read again and laid out, ``SequenceView.redraw``).

Then the dashboard itself, causality off (no panel) against on (the default:
the panel and "why?"), side by side: a cluster converges (12 s, not timed),
then each frame advances it 0.2 s (speed 2, 0.1 s frames) and draws; the
CPU milliseconds of the advance, of the frame without the panel, and of the
panel's redraw are the medians of 40 frames. While playing the panel is
redrawn at most once a real second; a paused step redraws it every time.
Prints the load average with the figures.

    python benchmarks/sequence_view.py            # 50 and 200 nodes
    python benchmarks/sequence_view.py 50 100 200
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from bokeh.embed import file_html
from bokeh.resources import INLINE

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.exact.lamport import sequence_data
from emergent_lab.jupyter import Dashboard
from emergent_lab.jupyter.sequence import SequenceView

FRAMES = 40
ADVANCE = 0.2


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


def dashboard_frames(n: int, *, causality: bool) -> dict[str, float]:
    """Median CPU ms per frame: advancing the cluster, drawing the frame, redrawing the panel."""
    cluster = SimCluster(ClusterConfig.create(n, seed=1, causality=causality))
    board = Dashboard(cluster)
    cluster.run(12.0)
    board.render()
    board.select("n1")
    advance, frame, panel = [], [], []
    for _ in range(FRAMES):
        t0 = time.process_time()
        cluster.run_for(ADVANCE)
        t1 = time.process_time()
        board.render(flock_seconds=ADVANCE, messages=False)
        t2 = time.process_time()
        board._follow_messages(board.source)
        t3 = time.process_time()
        advance.append(t1 - t0)
        frame.append(t2 - t1)
        panel.append(t3 - t2)
    board.close()
    return {
        "advance_ms": 1000 * statistics.median(advance),
        "frame_ms": 1000 * statistics.median(frame),
        "panel_ms": 1000 * statistics.median(panel),
    }


def main_dashboard(sizes: list[int]) -> None:
    print(f"load average before: {os.getloadavg()}")
    print(
        f"{'nodes':>6} {'causality':>9} {'advance ms':>10} {'frame ms':>9} {'panel ms':>9}"
        f" {'advance on/off':>14}"
    )
    for n in sizes:
        off = dashboard_frames(n, causality=False)
        on = dashboard_frames(n, causality=True)
        for name, r in (("off", off), ("on", on)):
            ratio = f"{on['advance_ms'] / off['advance_ms']:.2f}" if name == "on" else ""
            print(
                f"{n:>6} {name:>9} {r['advance_ms']:>10.1f} {r['frame_ms']:>9.1f} "
                f"{r['panel_ms']:>9.1f} {ratio:>14}"
            )
    print(f"load average after: {os.getloadavg()}")


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
    chosen = [int(a) for a in sys.argv[1:]] or [50, 200]
    main(chosen)
    main_dashboard(chosen)
