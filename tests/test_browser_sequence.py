"""The message-sequence view in real (offline) Chromium: lanes, arrows, a causal past on click.

The page is the standalone HTML the CLI writes (``emergent-lab explain … --html``),
so everything checked here runs without a kernel. The mark is clicked with the
mouse at the pixel Bokeh drew it at.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_lab import offline_browser, offline_page, painted_pixels

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FIND_PLOT = """() => {
  const find = (v) => {
    if (v.model && v.model.name === 'sequence') return v;
    for (const c of (v.child_views ?? [])) { const r = find(c); if (r) return r; }
    return null;
  };
  for (const v of Bokeh.index.roots) { const r = find(v); if (r) return r; }
  return null;
}"""

MARK_PIXEL = """([find, node, kind, after]) => {
  const view = eval(find)();
  const marks = view.model.renderers.find((r) => r.name === 'marks').data_source.data;
  let k = -1;
  for (let i = 0; i < marks.node.length; i++)
    if (marks.node[i] === node && marks.kind[i] === kind && marks.time[i] > after) k = i;
  const box = view.el.getBoundingClientRect();
  return [box.left + view.frame.x_scale.compute(marks.time[k]),
          box.top + view.frame.y_scale.compute(marks.y[k])];
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with offline_browser() as b:
        yield b


def test_lanes_arrows_and_a_clicked_marks_causal_past(browser: Browser, tmp_path: Path) -> None:
    from emergent_lab.jupyter import save_sequence_html
    from emergent_lab.scenario import load_scenario
    from emergent_lab.scenario.runner import build_cluster

    scenario = load_scenario("leader-crash")
    config = dataclasses.replace(scenario.config, causality=True)
    cluster = build_cluster(dataclasses.replace(scenario, config=config))
    cluster.run(40.0)
    page_path = save_sequence_html(cluster, tmp_path / "sequence.html", node="n12", at=36.0)
    # Screenshots for a person to look at: EMERGENT_LAB_SHOTS=folder keeps them.
    shots = Path(os.environ.get("EMERGENT_LAB_SHOTS", str(tmp_path)))
    shots.mkdir(parents=True, exist_ok=True)
    offline = offline_page(browser, width=1000, height=900, timeout_ms=30_000)
    page = offline.page
    try:
        page.goto(page_path.as_uri())
        page.get_by_text("messages drawn").wait_for()
        status = page.get_by_text("messages drawn").inner_text()
        assert status.startswith("t = 36.0 s · 5 lanes · ")
        drawn = int(status.split(" · ")[2].split()[0])
        assert drawn > 5
        assert painted_pixels(page) > 2000
        for lane in ("n12", "n13", "n3"):  # the node, the new and the crashed leader
            assert page.locator(".choices__item", has_text=lane).count() >= 1
        page.screenshot(path=str(shots / "sequence-before.png"))

        x, y = page.evaluate(MARK_PIXEL, [FIND_PLOT, "n12", "opinion", 30.0])
        page.mouse.click(x, y)
        page.get_by_text("in the causal past").first.wait_for()
        detail = page.get_by_text("messages in its causal past").inner_text()
        assert detail.startswith("n12 follows n13 at 33.72 s: 3 messages")
        lit = page.evaluate(f"() => ({FIND_PLOT})().model.tags")[1]
        assert lit == 3  # n13 → n18 → n17 → n12, every hop between drawn lanes

        page.get_by_role("button", name="why? (n12)").click()
        page.get_by_text("n12 follows n13 since 33.72 s").wait_for()
        page.screenshot(path=str(shots / "sequence-clicked.png"))

        # Remove a lane by clicking its ×: the view redraws with one lane fewer.
        page.locator(".choices__item", has_text="n3").locator("button").first.click()
        page.get_by_text("t = 36.0 s · 4 lanes").wait_for()
        assert offline.blocked == []
        assert not [c for c in offline.console if c.startswith(("error", "pageerror"))]
    finally:
        page.context.close()
