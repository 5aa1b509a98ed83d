"""The dashboard's four time plots: agreement, counts, phi of the selected node, traffic.

They share one time axis that the kernel moves: the last :data:`WINDOW`
seconds while live, the whole run in replay, and never the meaningless
-1..1 of an empty plot. Legends sit above the data, counts get integer
ticks, and every y range is set from the data in view, so nothing hides
behind a legend or a see-through box.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bokeh.layouts import gridplot
from bokeh.models import (
    Axis,
    BasicTicker,
    ColumnDataSource,
    HoverTool,
    LinearAxis,
    NumeralTickFormatter,
    Range1d,
)
from bokeh.models.annotations import Legend, LegendItem, Span
from bokeh.plotting import figure

from emergent_lab.run.source import ClusterPoint, Mark

WINDOW = 60.0
"""Virtual seconds of history the time plots show while live."""
TIME_COLUMNS = ("t", "agreement", "opinions", "acting")
PHI_HEADROOM = 2.5
"""The phi plot shows up to this multiple of the threshold; a dead node's phi is clipped there."""
MARK_COLOURS = {
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
PLOT_HEIGHT = 190


class TimePlots:
    """The four time plots and their sources, on one shared, kernel-driven time axis."""

    def __init__(self, *, width: int) -> None:
        self.series = ColumnDataSource({name: [] for name in TIME_COLUMNS}, name="series")
        self.tail = ColumnDataSource({name: [] for name in TIME_COLUMNS}, name="series-tail")
        self.marks = ColumnDataSource(
            {"x": [], "kind": [], "label": [], "colour": []}, name="marks"
        )
        self.strips = ColumnDataSource({"x0": [], "x1": []}, name="partitions")
        self.phi = ColumnDataSource({"t": [], "phi": []}, name="phi")
        self.traffic = ColumnDataSource({"t": [], "messages": [], "bytes": []}, name="traffic")
        self.x_range: Any = Range1d(start=0.0, end=WINDOW)
        self.phi_threshold = 8.0
        self.threshold = Span(location=self.phi_threshold, dimension="width", line_color="#d62728")
        self.cursors: list[Span] = []
        self.width = width

        self.agreement_plot = self._figure("agreement on the most common opinion")
        self.agreement_plot.y_range = Range1d(start=0, end=1.05)
        self._series_line(self.agreement_plot, "agreement", "#1f77b4", "agreement")

        self.counts_plot = self._figure("distinct opinions · acting leaders")
        self.counts_plot.y_range = Range1d(start=0, end=3.5)
        # Whole numbers, but spaced: at 1,000 nodes dozens of opinions coexist at first,
        # and a tick per integer made the axis a black smear.
        self.counts_plot.yaxis.ticker = BasicTicker(min_interval=1, desired_num_ticks=4)
        self._series_line(self.counts_plot, "opinions", "#ff7f0e", "opinions")
        self._series_line(self.counts_plot, "acting", "#d62728", "acting leaders")

        self.phi_plot = self._figure("phi: select a node")
        self.phi_plot.y_range = Range1d(start=0, end=PHI_HEADROOM * self.phi_threshold)
        phi_line = self.phi_plot.line("t", "phi", source=self.phi, line_width=2)
        self.phi_plot.add_layout(self.threshold)
        self._legend(self.phi_plot, [("phi", phi_line)])

        self.traffic_plot = self._figure("traffic per virtual second (1 s average)")
        self.traffic_plot.y_range = Range1d(start=0, end=1.0)
        self.kilobytes: Any = Range1d(start=0, end=1.0)
        self.traffic_plot.extra_y_ranges = {"kb": self.kilobytes}
        # "0a" writes 140k, not 1.400e+5 (a 1,000-node cluster sends ~140 MB/s in total).
        kb_axis: Axis = LinearAxis(y_range_name="kb", axis_label="kB/s")
        kb_axis.formatter = NumeralTickFormatter(format="0a")
        self.traffic_plot.add_layout(kb_axis, "right")
        self.traffic_plot.yaxis[0].axis_label = "messages/s"
        messages = self.traffic_plot.line(
            "t", "messages", source=self.traffic, color="#2ca02c", line_width=2
        )
        kilobytes = self.traffic_plot.line(
            "t", "bytes", source=self.traffic, color="#9467bd", y_range_name="kb", line_width=2
        )
        self._legend(self.traffic_plot, [("messages/s", messages), ("kB/s", kilobytes)])

        self.layout = gridplot(
            [[self.agreement_plot, self.counts_plot], [self.phi_plot, self.traffic_plot]],
            toolbar_location=None,
        )

    def _figure(self, title: str) -> Any:
        fig = figure(
            title=title,
            width=self.width,
            height=PLOT_HEIGHT,
            x_range=self.x_range,
            tools="",
            x_axis_label="virtual time (s)",
            min_border_left=40,
        )
        heading: Any = fig.title
        heading.text_font_size = "11px"
        fig.vstrip(x0="x0", x1="x1", source=self.strips, fill_color="#9467bd", fill_alpha=0.08)
        spans = fig.vspan(x="x", source=self.marks, line_color="colour", line_dash="dashed")
        fig.add_tools(HoverTool(renderers=[spans], tooltips=[("event", "@label")]))
        cursor = Span(location=0.0, dimension="height", line_color="black", visible=False)
        fig.add_layout(cursor)
        self.cursors.append(cursor)
        fig.toolbar.logo = None
        return fig

    def _series_line(self, fig: Any, column_name: str, colour: str, label: str) -> None:
        steps = fig.step(
            "t", column_name, source=self.series, mode="after", color=colour, line_width=2
        )
        fig.line("t", column_name, source=self.tail, color=colour, line_width=2)
        legend = fig.select_one(Legend)
        item = LegendItem(label=label, renderers=[steps])
        if legend is None:
            self._legend(fig, [])
            legend = fig.select_one(Legend)
        legend.items.append(item)

    @staticmethod
    def _legend(fig: Any, items: Sequence[tuple[str, Any]]) -> None:
        """A horizontal legend above the plot, outside the data."""
        legend: Any = Legend(
            items=[LegendItem(label=label, renderers=[r]) for label, r in items],
            orientation="horizontal",
            location="top_left",
            border_line_alpha=0,
            margin=2,
            label_text_font_size="10px",
            glyph_width=14,
        )
        legend.padding = 0
        fig.add_layout(legend, "above")

    # -- what the renderer changes ------------------------------------------------

    def show_window(self, now: float, *, replaying: bool) -> None:
        """Show the last :data:`WINDOW` seconds live, or the whole run in replay."""
        end = max(now, WINDOW)
        start = 0.0 if replaying else max(0.0, now - WINDOW)
        if self.x_range.start != start:
            self.x_range.start = start
        if self.x_range.end != end:
            self.x_range.end = end

    def fit_counts(self, highest: float) -> None:
        """Room for the highest count in view, with integer ticks."""
        end = max(3.5, highest + 1.5)
        if self.counts_plot.y_range.end != end:
            self.counts_plot.y_range.end = end

    def fit_traffic(self, messages: float, kilobytes: float) -> None:
        """Scale both traffic axes to the highest rate in view."""
        ranges: list[tuple[Any, float]] = [
            (self.traffic_plot.y_range, messages),
            (self.kilobytes, kilobytes),
        ]
        for target, value in ranges:
            end = max(1.0, 1.15 * value)
            if abs(target.end - end) > 0.05 * end:
                target.end = end

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
            if cursor.visible != (time is not None):
                cursor.visible = time is not None
            if time is not None and cursor.location != time:
                cursor.location = time

    def stream_timeline(self, points: Sequence[ClusterPoint]) -> None:
        """Append finished timeline points to the step lines."""
        if points:
            self.series.stream(dict(point_columns(points)))

    def set_tail(self, points: Sequence[ClusterPoint], now: float) -> None:
        """Draw from the last finished point through the open one to ``now``."""
        if not points:
            self.tail.data = {name: [] for name in TIME_COLUMNS}
            return
        ends = [*points, _point_at(points[-1], now)]
        columns = point_columns(ends)
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

    def clear(self) -> None:
        """Empty every series (a new cluster after Reset, or a fork)."""
        for data in (self.series, self.tail, self.marks, self.strips, self.phi, self.traffic):
            data.data = {name: [] for name in data.data}


def point_columns(points: Sequence[ClusterPoint]) -> dict[str, list[float]]:
    """Timeline points as plot columns."""
    return {
        "t": [p.time for p in points],
        "agreement": [p.agreement for p in points],
        "opinions": [float(p.opinions) for p in points],
        "acting": [float(p.acting) for p in points],
    }


def _point_at(last: ClusterPoint, now: float) -> ClusterPoint:
    return ClusterPoint(
        now, last.up, last.converged, last.leader, last.acting, last.agreement, last.opinions
    )
