"""Frames per second the browser actually draws, next to the kernel's cost per frame.

A dashboard of n nodes plays in a real JupyterLab in headless Chromium (network
blocked, as in the tests) at the default speed (2 virtual s/s, a frame every
0.1 s: the kernel aims at 10 frames/s). In the page, every Bokeh document patch
of the network view is counted, and so is every animation frame in which at
least one arrived: that count per second is the frame rate a learner sees.
After Pause, the lag is how far the drawn time was behind the kernel's when
Pause was pressed.

    python benchmarks/browser_fps.py            # 50 and 200 nodes
    python benchmarks/browser_fps.py 20 50 200
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser_lab import (
    button,
    jupyter_lab,
    offline_browser,
    offline_page,
    open_notebook,
    run_cell,
    write_notebook,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

PLAY_SECONDS = 10.0
AIM_FPS_AT_200 = 10.0
COUNT_JS = """() => {
  const docs = [...new Set(Object.values(Bokeh.index).map(v => v.model.document))];
  const target = docs.find(d => [...d._all_models.values()].some(m => m.name === 'network-nodes'));
  const D = Bokeh.require('document').Document;
  const original = D.prototype.apply_json_patch;
  window.__patches = 0; window.__drawn = 0; let fresh = false;
  D.prototype.apply_json_patch = function (...args) {
    if (this === target) { window.__patches++; fresh = true; }
    return original.apply(this, args);
  };
  const tick = () => {
    if (fresh) { window.__drawn++; fresh = false; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
TIME = re.compile(r"t = ([0-9.]+) s")


def _notebook(folder: Path, n: int) -> Path:
    code = (
        "from emergent_lab import ClusterConfig, SimCluster\n"
        "from emergent_lab.jupyter import Dashboard\n"
        f"cluster = SimCluster(ClusterConfig.create({n}, seed=1))\n"
        "cluster.run(12.0)\n"
        "dash = Dashboard(cluster)\ndash"
    )
    return write_notebook(folder, f"fps{n}", [code])


def _shown_time(page: Page) -> float:
    match = TIME.search(page.locator(".emergent-time").first.inner_text())
    if match is None:
        raise RuntimeError("no time readout on the page")
    return float(match.group(1))


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "nb").mkdir()
        path = _notebook(folder / "nb", n)
        (folder / "lab").mkdir()
        with jupyter_lab(folder / "lab", [path]) as lab, offline_browser() as browser:
            offline = offline_page(browser, width=1280, height=800)
            page = offline.page
            open_notebook(page, lab.url(path.name))
            run_cell(page, 0)
            page.wait_for_function("() => Object.keys(window.Bokeh?.index ?? {}).length >= 2")
            page.evaluate(COUNT_JS)
            start = _shown_time(page)
            button(page, "Play").click()
            page.wait_for_timeout(PLAY_SECONDS * 1000)
            drawn = page.evaluate("() => [window.__drawn, window.__patches]")
            shown_at_pause = _shown_time(page)
            button(page, "Pause").click()
            button(page, "Play").wait_for()
            page.wait_for_timeout(500)
            final = _shown_time(page)
            return {
                "nodes": n,
                "drawn_fps": drawn[0] / PLAY_SECONDS,
                "patches_per_s": drawn[1] / PLAY_SECONDS,
                "virtual_s": shown_at_pause - start,
                "lag_s": final - shown_at_pause,
            }


def main(sizes: list[int]) -> None:
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {PLAY_SECONDS:g} s of Play")
    print(f"{'nodes':>6} {'drawn fps':>10} {'patches/s':>10} {'virtual s':>10} {'lag s':>6}")
    for n in sizes:
        r = measure(n)
        print(
            f"{r['nodes']:>6} {r['drawn_fps']:>10.1f} {r['patches_per_s']:>10.1f} "
            f"{r['virtual_s']:>10.1f} {r['lag_s']:>6.1f}"
        )
        if n == 200:
            verdict = "meets" if r["drawn_fps"] >= AIM_FPS_AT_200 else "misses"
            print(f"200 nodes: {r['drawn_fps']:.1f} frames/s drawn; {verdict} the aim of 10")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 200])
