"""The dashboard's Bokeh figures and the data sources that feed them.

Figures are built once; afterwards only the ``ColumnDataSource`` data
changes (replaced for the node views, streamed for the time series), so
the browser patches what it shows instead of re-rendering. The same class
draws the live dashboard, replay and the exported HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from bokeh.layouts import column, row
from bokeh.models import (
    BoxSelectTool,
    ColumnDataSource,
    DataRange1d,
    HoverTool,
    LassoSelectTool,
    LayoutDOM,
    LinearAxis,
    Range1d,
    TapTool,
)
from bokeh.models.annotations import Span
from bokeh.palettes import Category20
from bokeh.plotting import figure

from emergent_lab.arrays import FloatArray
from emergent_lab.cluster.source import ClusterPoint, Mark, Message

from .frame import NodeFrame

PALETTE: tuple[str, ...] = tuple(Category20[20])
"""Colour of the leader a node follows: the colour belongs to the leader, not the node."""
NO_OPINION = "#c8c8c8"
DOWN = "#4a4a4a"
MARK_COLOURS: Mapping[str, str] = {
    "crash": "#d62728",
    "leave": "#d62728",
    "restart": "#2ca02c",
    "join": "#2ca02c",
    "partition": "#9467bd",
    "heal": "#17becf",
    "cut": "#9467bd",
    "set_loss": "#8c564b",
    "pause": "#7f7f7f",
    "set_weights": "#ff7f0e",
    "set_param": "#ff7f0e",
    "set_metric": "#bcbd22",
}
EDGE_FADE = 2.0
"""Gossip edges fade out over this many virtual seconds."""
TIME_COLUMNS = ("t", "agreement", "opinions", "acting")
PHI_HEADROOM = 2.5
"""The phi plot shows up to this multiple of the threshold; a dead node's phi is clipped there."""


def colours(frame: NodeFrame) -> list[str]:
    """Per node, the colour of the leader it follows (grey: none; dark: down)."""
    return [
        DOWN if not up else NO_OPINION if f < 0 else PALETTE[f % len(PALETTE)]
        for up, f in zip(frame.up.tolist(), frame.follows.tolist(), strict=True)
    ]


def markers(frame: NodeFrame) -> list[str]:
    """Star: recognised leader; diamond: acting leader; x: down; triangle: suspected."""
    leader = frame.leader
    return [
        "x"
        if not up
        else "star"
        if node_id == leader
        else "diamond"
        if acting
        else "triangle"
        if suspected
        else "circle"
        for node_id, up, acting, suspected in zip(
            frame.ids,
            frame.up.tolist(),
            frame.acting.tolist(),
            frame.suspected.tolist(),
            strict=True,
        )
    ]


def _followed(frame: NodeFrame) -> list[str]:
    return [frame.ids[f] if f >= 0 else "-" for f in frame.follows.tolist()]


def _base_size(n: int) -> float:
    """Smaller dots for big clusters, so a thousand nodes stay legible."""
    return 7.0 if n <= 100 else 5.0 if n <= 400 else 3.5


class DashboardViews:
    """Network view, flock view and the time-series plots, with their sources.

    Args:
        positions: where the network view draws each node (n x 2).
        title: shown above the network view.
    """

    def __init__(self, positions: FloatArray, title: str = "network") -> None:
        self.positions = positions
        self.nodes = ColumnDataSource(self.node_columns(_empty_frame()))
        self.edges = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": [], "alpha": []})
        self.birds = ColumnDataSource(self.bird_columns(_empty_frame(), np.zeros((0, 2))))
        self.series = ColumnDataSource({name: [] for name in TIME_COLUMNS})
        self.tail = ColumnDataSource({name: [] for name in TIME_COLUMNS})
        self.marks = ColumnDataSource({"x": [], "kind": [], "label": [], "colour": []})
        self.strips = ColumnDataSource({"x0": [], "x1": []})
        self.phi = ColumnDataSource({"t": [], "phi": []})
        self.traffic = ColumnDataSource({"t": [], "messages": [], "bytes": []})
        self.phi_threshold = 8.0
        self.threshold = Span(location=self.phi_threshold, dimension="width", line_color="#d62728")
        self.cursors: list[Span] = []
        self.network = self._network_figure(title)
        self.flock = self._flock_figure()
        self.agreement_plot = self._time_figure("agreement on the most common opinion", None)
        x_range = self.agreement_plot.x_range
        self.agreement_plot.y_range = Range1d(start=0, end=1.05)
        self._series_lines(self.agreement_plot, "agreement", "#1f77b4", "agreement")
        self.counts_plot = self._time_figure("distinct opinions · acting leaders", x_range)
        self._series_lines(self.counts_plot, "opinions", "#ff7f0e", "opinions")
        self._series_lines(self.counts_plot, "acting", "#d62728", "acting leaders")
        self.phi_plot = self._time_figure("phi of the selected node", x_range)
        self.phi_plot.y_range = Range1d(start=0, end=PHI_HEADROOM * self.phi_threshold)
        self.phi_plot.line("t", "phi", source=self.phi, line_width=2)
        self.phi_plot.add_layout(self.threshold)
        self.traffic_plot = self._time_figure("messages/s · kB/s", x_range)
        self._traffic_lines(self.traffic_plot)
        self.layout: LayoutDOM = column(
            row(self.network, self.flock),
            row(self.agreement_plot, self.counts_plot),
            row(self.phi_plot, self.traffic_plot),
        )

    # -- figures ---------------------------------------------------------------------

    def _network_figure(self, title: str) -> Any:
        fig = figure(
            title=title,
            width=420,
            height=380,
            x_range=Range1d(start=-1.3, end=1.3),
            y_range=Range1d(start=-1.3, end=1.3),
            tools="pan,wheel_zoom,reset",
            match_aspect=True,
        )
        fig.segment(
            "x0", "y0", "x1", "y1", source=self.edges, line_alpha="alpha", line_color="#888888"
        )
        dots = fig.scatter(
            "x",
            "y",
            source=self.nodes,
            size="size",
            marker="marker",
            fill_color="colour",
            line_color="line",
            line_width=1.5,
            nonselection_fill_alpha=0.7,
            nonselection_line_alpha=0.7,
            selection_line_color="#000000",
            selection_line_width=3,
        )
        fig.add_tools(
            TapTool(renderers=[dots]),
            BoxSelectTool(renderers=[dots]),
            LassoSelectTool(renderers=[dots]),
            HoverTool(
                renderers=[dots],
                tooltips=[("node", "@id"), ("follows", "@follows"), ("score", "@score{0.000}")],
            ),
        )
        _bare(fig)
        return fig

    def _flock_figure(self) -> Any:
        fig = figure(
            title="flock: each bird steers toward the leader it follows",
            width=420,
            height=380,
            x_range=Range1d(start=-1.4, end=1.4),
            y_range=Range1d(start=-1.4, end=1.4),
            tools="pan,wheel_zoom,reset",
            match_aspect=True,
        )
        fig.scatter(
            "x",
            "y",
            source=self.birds,
            size="size",
            marker="marker",
            fill_color="colour",
            line_color="line",
            fill_alpha="alpha",
        )
        _bare(fig)
        return fig

    def _time_figure(self, title: str, x_range: Any) -> Any:
        options: dict[str, Any] = {"x_range": x_range} if x_range is not None else {}
        fig = figure(
            title=title,
            width=420,
            height=200,
            tools="xpan,xwheel_zoom,reset",
            x_axis_label="virtual time (s)",
            **options,
        )
        fig.vstrip(x0="x0", x1="x1", source=self.strips, fill_color="#9467bd", fill_alpha=0.08)
        spans = fig.vspan(x="x", source=self.marks, line_color="colour", line_dash="dashed")
        fig.add_tools(HoverTool(renderers=[spans], tooltips=[("event", "@label")]))
        cursor = Span(location=0.0, dimension="height", line_color="black", visible=False)
        fig.add_layout(cursor)
        self.cursors.append(cursor)
        fig.toolbar.logo = None
        return fig

    def _series_lines(self, fig: Any, column_name: str, colour: str, label: str) -> None:
        fig.step(
            "t", column_name, source=self.series, mode="after", color=colour, legend_label=label
        )
        fig.line("t", column_name, source=self.tail, color=colour)
        fig.legend.location = "top_left"
        fig.legend.background_fill_alpha = 0.5

    def _traffic_lines(self, fig: Any) -> None:
        messages = fig.line(
            "t", "messages", source=self.traffic, color="#2ca02c", legend_label="messages/s"
        )
        fig.y_range = DataRange1d(start=0, renderers=[messages])
        kilobytes = DataRange1d(start=0)
        fig.extra_y_ranges = {"kb": kilobytes}
        fig.add_layout(LinearAxis(y_range_name="kb", axis_label="kB/s"), "right")
        kilobytes.renderers = [
            fig.line(
                "t",
                "bytes",
                source=self.traffic,
                color="#9467bd",
                y_range_name="kb",
                legend_label="kB/s",
            )
        ]
        fig.legend.location = "top_left"
        fig.legend.background_fill_alpha = 0.5

    # -- data -------------------------------------------------------------------------

    @staticmethod
    def update(source: ColumnDataSource, columns: dict[str, Any]) -> None:
        """Send only the columns that changed (all of them when the length changed).

        Most frames change positions and sizes but not who follows whom, so
        the string columns (ids, colours, markers) usually stay home: they are
        what costs most to serialise. Columns must be fresh arrays, not views
        of state that changes in place, or a change would compare equal to itself.
        """
        current = source.data
        lengths = {len(v) for v in columns.values()}
        if set(current) != set(columns) or lengths != {len(v) for v in current.values()}:
            source.data = columns
            return
        changed = {k: v for k, v in columns.items() if not _same(current[k], v)}
        if changed:
            source.data.update(changed)

    def node_columns(self, frame: NodeFrame) -> dict[str, Any]:
        """Columns of the network view's nodes for ``frame``."""
        n = len(frame.ids)
        xy = self.positions[:n]
        size = _base_size(n) + 10.0 * np.clip(frame.score, 0, 1)
        leader_mark = np.array([m in ("star", "diamond") for m in markers(frame)], dtype=bool)
        return {
            "x": xy[:, 0].copy(),
            "y": xy[:, 1].copy(),
            "id": list(frame.ids),
            "follows": _followed(frame),
            "score": frame.score,
            "size": np.where(leader_mark, size * 1.8, size),
            "marker": markers(frame),
            "colour": colours(frame),
            "line": _outlines(leader_mark, frame.up),
        }

    def bird_columns(self, frame: NodeFrame, position: FloatArray) -> dict[str, Any]:
        """Columns of the flock view's birds for ``frame`` at ``position``."""
        n = len(frame.ids)
        leader = frame.up & (frame.follows == np.arange(n))
        base = _base_size(n)
        return {
            "x": position[:n, 0].copy(),
            "y": position[:n, 1].copy(),
            "colour": colours(frame),
            "marker": [
                "x" if not u else "star" if lead else "circle"
                for u, lead in zip(frame.up.tolist(), leader.tolist(), strict=True)
            ],
            "size": np.where(leader, base * 2.6, base + 1.0),
            "line": _outlines(leader, frame.up),
            "alpha": np.where(frame.up, 0.9, 0.35),
        }

    def edge_columns(
        self, messages: Sequence[Message], now: float, where: Mapping[str, int]
    ) -> dict[str, Any]:
        """Recent gossip digests as segments whose opacity fades with age."""
        pairs = [
            (where[m.sender], where[m.receiver], m.time)
            for m in messages
            if m.sender in where and m.receiver in where
        ]
        src = np.array([p[0] for p in pairs], dtype=np.int64)
        dst = np.array([p[1] for p in pairs], dtype=np.int64)
        age = now - np.array([p[2] for p in pairs], dtype=float)
        xy = self.positions
        return {
            "x0": xy[src, 0],
            "y0": xy[src, 1],
            "x1": xy[dst, 0],
            "y1": xy[dst, 1],
            "alpha": np.clip(0.6 * (1 - age / EDGE_FADE), 0.0, 0.6),
        }

    def stream_timeline(self, points: Sequence[ClusterPoint]) -> None:
        """Append finished timeline points to the step lines."""
        if points:
            self.series.stream(_point_columns(points))

    def set_tail(self, points: Sequence[ClusterPoint], now: float) -> None:
        """Draw from the last finished point through the open one to ``now``."""
        if not points:
            self.tail.data = {name: [] for name in TIME_COLUMNS}
            return
        last = points[-1]
        ends = [
            *points,
            ClusterPoint(
                now,
                last.up,
                last.converged,
                last.leader,
                last.acting,
                last.agreement,
                last.opinions,
            ),
        ]
        columns = _point_columns(ends)
        # A step drawn with lines: repeat each value until the next point's time.
        stepped: dict[str, list[float]] = {name: [] for name in TIME_COLUMNS}
        for k in range(len(ends)):
            for name in TIME_COLUMNS:
                stepped[name].append(columns[name][k])
            if k + 1 < len(ends):
                stepped["t"].append(columns["t"][k + 1])
                for name in TIME_COLUMNS[1:]:
                    stepped[name].append(columns[name][k])
        self.tail.data = stepped

    def stream_marks(self, marks: Sequence[Mark]) -> None:
        """Add timeline marks (dashed vertical lines, labelled on hover)."""
        if marks:
            self.marks.stream(
                {
                    "x": [m.time for m in marks],
                    "kind": [m.kind for m in marks],
                    "label": [m.label for m in marks],
                    "colour": [MARK_COLOURS.get(m.kind, "#000000") for m in marks],
                }
            )

    def set_strips(self, marks: Sequence[Mark], now: float) -> None:
        """Shade each partition from its mark to the next heal (or to ``now``)."""
        x0: list[float] = []
        x1: list[float] = []
        start: float | None = None
        for mark in marks:
            if mark.kind == "partition" and start is None:
                start = mark.time
            elif mark.kind == "heal" and start is not None:
                x0.append(start)
                x1.append(mark.time)
                start = None
        if start is not None:
            x0.append(start)
            x1.append(now)
        if x0 != list(self.strips.data["x0"]) or x1 != list(self.strips.data["x1"]):
            self.strips.data = {"x0": x0, "x1": x1}

    def set_threshold(self, threshold: float) -> None:
        """Move the threshold line and rescale the phi plot around it."""
        if self.phi_threshold != threshold:
            self.phi_threshold = threshold
            self.threshold.location = threshold
            self.phi_plot.y_range.end = PHI_HEADROOM * threshold

    def stream_phi(self, time: float, phi: float) -> None:
        """Add one phi sample, clipped to the plot's headroom above the threshold."""
        ceiling = PHI_HEADROOM * self.phi_threshold
        self.phi.stream({"t": [time], "phi": [min(phi, ceiling)]})

    def show_cursor(self, time: float | None) -> None:
        """Show the replay time on every time plot (None hides it: live)."""
        for cursor in self.cursors:
            cursor.visible = time is not None
            if time is not None:
                cursor.location = time


def _outlines(leading: npt.NDArray[np.bool_], up: npt.NDArray[np.bool_]) -> list[str]:
    """Black around leaders, white around the others; a down node's "x" is all outline."""
    return [
        "#000000" if lead else "#ffffff" if alive else DOWN
        for lead, alive in zip(leading.tolist(), up.tolist(), strict=True)
    ]


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):
        return bool(np.array_equal(np.asarray(old), np.asarray(new)))
    return bool(list(old) == list(new))


def _point_columns(points: Sequence[ClusterPoint]) -> dict[str, Any]:
    return {
        "t": [p.time for p in points],
        "agreement": [p.agreement for p in points],
        "opinions": [float(p.opinions) for p in points],
        "acting": [float(p.acting) for p in points],
    }


def _empty_frame() -> NodeFrame:
    empty = np.zeros(0, dtype=np.int64)
    return NodeFrame(
        time=0.0,
        ids=[],
        up=np.zeros(0, dtype=bool),
        follows=empty,
        recognised=empty,
        acting=np.zeros(0, dtype=bool),
        score=np.zeros(0),
        suspected=np.zeros(0, dtype=bool),
        leader=None,
    )


def _bare(fig: Any) -> None:
    """Hide axes and grid: positions carry no units."""
    fig.axis.visible = False
    fig.grid.visible = False
    fig.toolbar.logo = None
