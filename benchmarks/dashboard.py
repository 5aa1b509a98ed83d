"""Dashboard benchmark: kernel-side time to compute and push one frame of every view.

For each size, a cluster converges first (12 s virtual, not timed); then the
dashboard renders frames, each after advancing the cluster 0.2 s (the time a
played frame covers at speed 2 and a 0.1 s frame interval). Timed separately:
the frame (read the cluster, step the flock, build and push every data source,
serialise the Bokeh patch) and the cluster's own advance. The patch goes to
ipywidgets' dummy comm outside a kernel, so its serialisation is counted and
the socket is not. Wall and CPU time are both printed: on a shared machine
the CPU time is the steadier of the two. Prints sizes side by side, then
ratios to the smallest.

    python benchmarks/dashboard.py            # 50, 200, 1000 nodes
    python benchmarks/dashboard.py 50 200     # chosen sizes

Then, when Chromium is installed, the frame rate a browser actually draws at
50 and 200 nodes (``browser_fps.py``), so kernel cost and drawn frames are
read side by side from one run.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

FRAMES = 40
ADVANCE = 0.2
AIM_MS_AT_200 = 10.0


def one(n: int) -> dict[str, float]:
    from emergent_lab.exact import SimCluster
    from emergent_lab.jupyter import Dashboard
    from emergent_lab.run.config import ClusterConfig

    cluster = SimCluster(ClusterConfig.create(n, seed=1))
    board = Dashboard(cluster)
    sent: list[int] = []
    send = board.figures.send

    def counting_send(content: Any, buffers: Any = None) -> None:
        payload = content.get("payload", "") if isinstance(content, dict) else ""
        sent.append(len(payload) + sum(len(b) for b in buffers or []))
        send(content, buffers)

    board.figures.send = counting_send
    cluster.run(12.0)
    board.render()
    board.select("n1")
    frame_ms, frame_cpu_ms, advance_ms = [], [], []
    sent.clear()
    for _ in range(FRAMES):
        start = time.perf_counter()
        cluster.run_for(ADVANCE)
        middle, middle_cpu = time.perf_counter(), time.process_time()
        board.render(flock_seconds=ADVANCE)
        end, end_cpu = time.perf_counter(), time.process_time()
        advance_ms.append((middle - start) * 1000)
        frame_ms.append((end - middle) * 1000)
        frame_cpu_ms.append((end_cpu - middle_cpu) * 1000)
    board.close()
    return {
        "nodes": n,
        "frame_ms": statistics.median(frame_ms),
        "frame_cpu_ms": statistics.median(frame_cpu_ms),
        "frame_p90_ms": sorted(frame_ms)[int(0.9 * FRAMES)],
        "advance_ms": statistics.median(advance_ms),
        "kb_per_frame": sum(sent) / FRAMES / 1000,
    }


def main(sizes: list[int]) -> None:
    rows = [one(n) for n in sizes]
    print(
        f"{'nodes':>6} {'frame ms':>9} {'frame CPU ms':>13} {'p90 ms':>8} {'kB/frame':>9} "
        f"{'cluster advance ms':>19}"
    )
    for r in rows:
        print(
            f"{r['nodes']:>6} {r['frame_ms']:>9.2f} {r['frame_cpu_ms']:>13.2f} "
            f"{r['frame_p90_ms']:>8.2f} {r['kb_per_frame']:>9.1f} {r['advance_ms']:>19.2f}"
        )
    base = rows[0]
    for r in rows[1:]:
        cost = r["frame_cpu_ms"] / base["frame_cpu_ms"]
        size = r["nodes"] / base["nodes"]
        print(f"{r['nodes']} vs {base['nodes']} nodes: frame CPU x{cost:.1f} for x{size:.0f} nodes")
    at_200 = next((r for r in rows if r["nodes"] == 200), None)
    if at_200 is not None:
        ms = at_200["frame_cpu_ms"]
        verdict = "within" if ms <= AIM_MS_AT_200 else "over"
        print(f"200 nodes: {ms:.2f} ms CPU per frame, {verdict} the {AIM_MS_AT_200:g} ms aim")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 200, 1000])
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import browser_fps

        browser_fps.main([50, 200])
    else:
        print("browser frame rate: skipped (no Chromium; apt-get install chromium)")
