"""A recorded run as one standalone HTML file, with its own time slider, viewable without a kernel.

Frames are precomputed from the observer's record at evenly spaced times and
embedded in the page; a small CustomJS callback swaps them in as the slider
moves. Bokeh's JavaScript is inlined, so the file opens offline.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
from bokeh.embed import file_html
from bokeh.layouts import column
from bokeh.models import CustomJS
from bokeh.models.widgets import Div, Slider
from bokeh.resources import INLINE

from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.checks import check_number
from emergent_lab.exact import SimCluster
from emergent_lab.live.exact import SimClusterSource
from emergent_lab.run.source import ClusterSource

from .flock import Flock
from .frame import cluster_status, recorded_frame
from .layout import extend_positions, node_positions
from .views import DashboardViews

MAX_FLOCK_STEPS = 3000
"""Flock integration steps over the whole run at most (long runs integrate coarser)."""

_SWAP = """
const i = slider.value;
nodes.data = node_frames[i];
birds.data = bird_frames[i];
for (const c of cursors) { c.location = times[i]; c.visible = true; }
readout.text = labels[i];
"""


def save_run_html(
    source: ClusterSource,
    path: str | Path,
    *,
    positions: FloatArray | None = None,
    frames: int = 120,
    title: str = "emergent-lab run",
) -> Path:
    """Write the recorded run of ``source`` to ``path`` as standalone HTML.

    Args:
        source: the cluster whose record is exported (it is not advanced).
        path: where to write the file.
        positions: network-view positions (the dashboard passes its own).
        frames: how many evenly spaced times the slider offers.
        title: the page's title.
    """
    check_number("frames", frames, low=2, integer=True)
    ids = list(source.node_ids())
    if positions is None:
        positions = node_positions(ids, None, source.seed)
    views = DashboardViews(extend_positions(positions, len(ids)), title=title)
    scores = np.array([s.score for s in source.nodes()], dtype=float)
    end = source.time
    times = np.linspace(0.0, end, int(frames))
    node_frames, bird_frames, labels = [], [], []
    flock = Flock(len(ids), source.seed)
    steps = max(1, min(MAX_FLOCK_STEPS, int(np.ceil(end / flock.rules.step))))
    clock = 0.0
    for t in times.tolist():
        while clock < t:
            dt = min(end / steps, t - clock)
            frame = recorded_frame(source, clock, scores)
            flock.advance(dt, frame.follows, frame.up)
            clock += dt
        frame = recorded_frame(source, t, scores)
        node_frames.append(_plain(views.node_columns(frame)))
        bird_frames.append(_plain(views.bird_columns(frame, flock.position)))
        labels.append(f"<b>t = {t:.1f} s</b> · {html.escape(cluster_status(frame).text)}")
    points = list(source.timeline())
    plots = views.plots
    plots.stream_timeline(points)
    plots.set_tail(points[-1:], end)
    marks = list(source.marks())
    plots.stream_marks(marks)
    plots.set_strips(marks, end)
    plots.show_window(end, replaying=True)
    views.nodes.data = node_frames[-1]
    views.birds.data = bird_frames[-1]
    views.phi_plot.visible = False
    views.traffic_plot.visible = False
    readout = Div(text=labels[-1])
    slider = Slider(
        start=0,
        end=len(times) - 1,
        value=len(times) - 1,
        step=1,
        title="frame (drag to replay the run)",
        width=840,
    )
    slider.js_on_change(
        "value",
        CustomJS(
            args={
                "slider": slider,
                "nodes": views.nodes,
                "birds": views.birds,
                "node_frames": node_frames,
                "bird_frames": bird_frames,
                "cursors": views.cursors,
                "times": times.tolist(),
                "labels": labels,
                "readout": readout,
            },
            code=_SWAP,
        ),
    )
    parts = [readout, slider, views.layout, views.time_layout]
    if isinstance(source, SimClusterSource) and source.cluster.causality is not None:
        parts.append(_sequence(source.cluster, slider, times.tolist()))
    layout = column(*parts)
    page = file_html(layout, resources=INLINE, title=title)
    target = Path(path)
    target.write_text(page, encoding="utf-8")
    return target


def save_cluster_html(cluster: SimCluster, path: str | Path, *, title: str) -> Path:
    """Export a simulated cluster's run, laid out from its graph (the CLI's ``--html``)."""
    source = SimClusterSource(cluster)
    ids = list(source.node_ids())
    positions = node_positions(ids, cluster.config.graph, cluster.config.seed)
    return save_run_html(source, path, positions=positions, title=title)


def _sequence(cluster: SimCluster, slider: Slider, times: list[float]) -> Any:
    """The message-sequence view of a run that recorded causality, moved by the page's slider."""
    from .sequence import SequenceView

    view = SequenceView(cluster)
    follow = "seq.value = Math.min(Math.max(times[cb_obj.value], seq.start), seq.end);"
    slider.js_on_change("value", CustomJS(args={"seq": view.slider, "times": times}, code=follow))
    return view.layout


def _plain(columns: dict[str, Any]) -> dict[str, Any]:
    """Plain lists, so every frame embeds as JSON the browser can assign as data."""
    return {k: (v.tolist() if isinstance(v, np.ndarray) else list(v)) for k, v in columns.items()}
