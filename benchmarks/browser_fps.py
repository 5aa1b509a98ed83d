"""Frames per second the browser actually draws, next to the kernel's cost per frame.

A dashboard of n nodes plays in a real JupyterLab in headless Chromium (network
blocked, as in the tests) at the default speed (2 virtual s/s, a frame every
0.1 s: the kernel aims at 10 frames/s). In the page, every Bokeh document patch
of the network view is counted, and so is every animation frame in which at
least one arrived: that count per second is the frame rate a learner sees.
After Pause, the lag is how far the drawn time was behind the kernel's when
Pause was pressed.

``--play N`` measures instead whether Play keeps to the wall clock at N nodes
(``Dashboard.from_scenario`` on ``leader-crash`` with N nodes, advanced to
10 s first, then played at ``--speed``, 1 by default): the virtual seconds
advanced per wall second of Play, the frames drawn per second, and how long
Pause took to answer (from the click to the Play button showing again),
and the CPU seconds per wall second of Play that Chromium's processes and the
kernel used (the two compete for this machine's cores).
Each case runs in its own fresh kernel, with causality on (the default of
``from_scenario``) and off (``messages=False``), under the player's rule now
and under the rule before it, in turns: every tick advanced speed × frame
interval, drew whenever the browser had the last frame, and slept
``max(0, interval - elapsed)`` (rebuilt in the kernel by a clock that does
that, see ``BEFORE``).

    python benchmarks/browser_fps.py            # 50 and 200 nodes
    python benchmarks/browser_fps.py 20 50 200
    python benchmarks/browser_fps.py --play 1000 [--speed 1] [--seconds 20]
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

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
from options import pop_option

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


BEFORE = """
import emergent_lab.jupyter.player as player


class FixedStep(player.PlayClock):
    \"\"\"The rule before: speed x interval a tick, drawn every tick the browser allows.\"\"\"

    def __init__(self, interval):
        super().__init__()
        self.interval = interval

    def due(self, now, speed):
        self._last = now
        return speed * self.interval

    def draw_due(self, now, interval, speed):
        return True


player.LEAST_YIELD_S = 0.0
dash.player.clock = FixedStep(float(dash.controls.interval.value))
"""
PACE = re.compile(r"([0-9.]+) s/s · ([0-9]+) fps")
COSTS = re.compile(r"costs ([0-9.]+) ([0-9.]+)")


def _play_notebook(folder: Path, n: int, speed: float, messages: bool, rule: str) -> Path:
    code = (
        "from emergent_lab.jupyter import Dashboard\n"
        "from emergent_lab.scenario import load_scenario, parse_scenario\n"
        "base = load_scenario('leader-crash')\n"
        f"cluster = {{**base.source['cluster'], 'nodes': {n}}}\n"
        "scenario = parse_scenario({**base.source, 'cluster': cluster}, name='play')\n"
        f"dash = Dashboard.from_scenario(scenario, speed={speed}, messages={messages})\n"
        "dash.advance(10.0)\n" + (BEFORE if rule == "before" else "") + "dash"
    )
    costs = (
        "clock = dash.player.clock\nprint(f'costs {clock.advance_cost:.3f} {clock.draw_cost:.3f}')"
    )
    name = f"play{n}-{'causes' if messages else 'plain'}-{rule}"
    return write_notebook(folder, name, [code, costs])


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by this process's Chromium descendants and by its kernels."""
    used = {"chromium": 0.0, "kernel": 0.0}
    for process in psutil.Process().children(recursive=True):
        try:
            command = " ".join(process.cmdline())
            times = process.cpu_times()
        except psutil.Error:  # ended meanwhile
            continue
        role = "chromium" if "chrom" in command else "kernel" if "ipykernel" in command else ""
        if role:
            used[role] += times.user + times.system
    return used


def measure_play(lab: object, browser: object, path: Path, seconds: float) -> dict[str, float]:
    """Play one notebook's dashboard for ``seconds``; what it achieved, and Pause's answer time."""
    offline = offline_page(browser, width=1280, height=800, timeout_ms=300_000)  # type: ignore[arg-type]
    page = offline.page
    try:
        open_notebook(page, lab.url(path.name))  # type: ignore[attr-defined]
        run_cell(page, 0)
        page.wait_for_function("() => Object.keys(window.Bokeh?.index ?? {}).length >= 2")
        page.evaluate(COUNT_JS)
        start = _shown_time(page)
        button(page, "Play").click()
        clicked, cpu_at_play = time.monotonic(), _cpu_seconds()
        page.wait_for_timeout(seconds * 1000)
        drawn = page.evaluate("() => window.__drawn")
        pace = PACE.search(page.locator(".emergent-pace").first.inner_text())
        page.screenshot(path=str(Path(tempfile.gettempdir()) / f"{path.stem}-playing.png"))
        cpu = _cpu_seconds()
        button(page, "Pause").click()
        paused = time.monotonic()
        button(page, "Play").wait_for(timeout=60_000)
        answered = time.monotonic() - paused
        page.wait_for_timeout(500)
        final = _shown_time(page)
        run_cell(page, 1)
        printed = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea-output")
        advance_cost, draw_cost = COSTS.findall(printed.first.inner_text())[0]
        shot = Path(tempfile.gettempdir()) / f"{path.stem}.png"
        page.screenshot(path=str(shot))
        return {
            "speed": (final - start) / (paused - clicked),
            "fps": drawn / seconds,
            "shown speed": float(pace.group(1)) if pace else float("nan"),
            "pause s": answered,
            "advance cost": float(advance_cost),
            "draw cost": float(draw_cost),
            "chromium cpu": (cpu["chromium"] - cpu_at_play["chromium"]) / (paused - clicked),
            "kernel cpu": (cpu["kernel"] - cpu_at_play["kernel"]) / (paused - clicked),
            "screenshot": str(shot),  # type: ignore[dict-item]
        }
    finally:
        page.context.close()


def play_main(n: int, speed: float, seconds: float) -> None:
    """Before and after, causality on and off, in turns, each in a fresh kernel."""
    # before, now, now, before: a load that drifts during the run weighs on both rules alike
    cases = [(m, r) for m in (True, False) for r in ("before", "now", "now", "before")]
    load = os.getloadavg()
    print(f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{n} nodes, leader-crash, speed {speed:g} asked, {seconds:g} s of Play from t = 10 s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "nb").mkdir()
        paths = [
            _play_notebook(folder / "nb", n, speed, m, r).rename(
                folder / "nb" / f"{k}-play{n}-{'causes' if m else 'plain'}-{r}.ipynb"
            )
            for k, (m, r) in enumerate(cases)
        ]
        (folder / "lab").mkdir()
        with jupyter_lab(folder / "lab", paths) as lab, offline_browser() as browser:
            print(
                f"{'causality':>9} {'rule':>6} {'virtual s/s':>11} {'÷ asked':>8} "
                f"{'frames/s':>9} {'readout s/s':>11} {'Pause s':>8} {'advance s/s':>11} "
                f"{'frame s':>8} {'Chromium':>8} {'kernel':>6}  load"
            )
            results: dict[tuple[bool, str], list[dict[str, float]]] = {}
            for (messages, rule), path in zip(cases, paths, strict=True):
                r = measure_play(lab, browser, path, seconds)
                results.setdefault((messages, rule), []).append(r)
                print(
                    f"{'on' if messages else 'off':>9} {rule:>6} {r['speed']:>11.2f} "
                    f"{r['speed'] / speed:>8.2f} {r['fps']:>9.1f} {r['shown speed']:>11.2f} "
                    f"{r['pause s']:>8.2f} {r['advance cost']:>11.2f} {r['draw cost']:>8.3f} "
                    f"{r['chromium cpu']:>8.2f} {r['kernel cpu']:>6.2f}  "
                    f"{os.getloadavg()[0]:.1f}   {r['screenshot']}",
                    flush=True,
                )
    print("advance s/s: wall seconds per virtual second the engine took (the player's average)")
    print("Chromium, kernel: CPU seconds per wall second of Play (all Chromium processes)")
    for messages in (True, False):
        now, before = (
            sum(r["speed"] for r in results[messages, rule]) / 2 for rule in ("now", "before")
        )
        print(
            f"causality {'on' if messages else 'off'}: mean {now:.2f} now, {before:.2f} before "
            f"virtual s/s: now ÷ before x{now / before:.2f}"
        )
    load = os.getloadavg()
    print(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    play = pop_option(args, "--play", 0, int)
    speed = pop_option(args, "--speed", 1.0, float)
    seconds = pop_option(args, "--seconds", 20.0, float)
    if play:
        play_main(play, speed, seconds)
    else:
        main([int(a) for a in args] or [50, 200])
