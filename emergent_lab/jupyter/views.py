"""The dashboard's Bokeh figures: network and flock views, with the time plots beside them.

Figures are built once; afterwards only data and a few properties change
(replaced for the node views, streamed for the time series), so the browser
patches what it shows instead of re-rendering. The same class draws the live
dashboard, replay and the exported HTML. Every data source is replaced with
columns of one length, never column by column, so a view that misses a patch
can never hold columns of inconsistent lengths.
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
    CustomJS,
    HoverTool,
    LassoSelectTool,
    LayoutDOM,
    Range1d,
    TapTool,
)
from bokeh.models.annotations import Span
from bokeh.plotting import figure

from emergent_lab.core.arrays import FloatArray
from emergent_lab.run.source import Message

from .frame import NodeFrame
from .palette import DOWN, LeaderColours
from .timeplots import TimePlots

EDGE_FADE = 2.0
"""Gossip edges fade out over this many virtual seconds."""
LABELLED_NODES = 40
"""Node ids are written next to the nodes up to this cluster size."""
VIEW_SIZE = 300
"""Width and height of the network and flock views, in pixels (two fit beside the sliders)."""


def markers(frame: NodeFrame) -> list[str]:
    """Star: recognised leader; diamond: acting leader; x: down; triangle: suspected.

    A node that has not heard from anyone yet (joining) is a plain circle in
    the no-opinion grey: nobody suspects it, nobody knows it yet.
    """
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
    """Network view, flock view and the time plots, with their data sources.

    Args:
        positions: where the network view draws each node (n x 2).
        title: shown above the network view.
    """

    def __init__(self, positions: FloatArray, title: str = "network") -> None:
        self.positions = positions
        self.colours = LeaderColours()
        self.nodes = ColumnDataSource(self.node_columns(_empty_frame()), name="network-nodes")
        self.edges = ColumnDataSource(
            {"x0": [], "y0": [], "x1": [], "y1": [], "alpha": []}, name="network-edges"
        )
        self.birds = ColumnDataSource(
            self.bird_columns(_empty_frame(), np.zeros((0, 2))), name="flock-birds"
        )
        self.network = self._network_figure(title)
        self.flock = self._flock_figure()
        # Frame acknowledgements: the kernel numbers each frame in the network
        # figure's tags; when the browser applies it, this callback copies the
        # number to the flock figure's tags, which BokehJS sends back. The
        # player draws a new frame only once the browser has the last one, so
        # frames never queue up behind a slow browser (and Pause stops at once).
        self.network.js_on_change(
            "tags", CustomJS(args={"ack": self.flock}, code="ack.tags = cb_obj.tags")
        )
        self.plots = TimePlots(width=VIEW_SIZE + 20)
        self.layout: LayoutDOM = column(row(self.network, self.flock))
        self.time_layout: LayoutDOM = self.plots.layout

    # The time plots' sources and figures, under the names the dashboard has always used.
    @property
    def series(self) -> ColumnDataSource:
        """Finished timeline points (stepped lines)."""
        return self.plots.series

    @property
    def tail(self) -> ColumnDataSource:
        """The open timeline point, drawn to now."""
        return self.plots.tail

    @property
    def marks(self) -> ColumnDataSource:
        """Event marks (dashed lines)."""
        return self.plots.marks

    @property
    def strips(self) -> ColumnDataSource:
        """Shaded partitions."""
        return self.plots.strips

    @property
    def phi(self) -> ColumnDataSource:
        """Phi samples of the selected pair."""
        return self.plots.phi

    @property
    def traffic(self) -> ColumnDataSource:
        """Messages and kB per virtual second."""
        return self.plots.traffic

    @property
    def threshold(self) -> Span:
        """The phi threshold line."""
        return self.plots.threshold

    @property
    def cursors(self) -> list[Span]:
        """The replay cursor of each time plot."""
        return self.plots.cursors

    @property
    def phi_plot(self) -> Any:
        """The phi plot."""
        return self.plots.phi_plot

    @property
    def traffic_plot(self) -> Any:
        """The traffic plot."""
        return self.plots.traffic_plot

    # -- figures ---------------------------------------------------------------------

    def _network_figure(self, title: str) -> Any:
        fig = figure(
            title=title,
            width=VIEW_SIZE,
            height=VIEW_SIZE,
            x_range=Range1d(start=-1.3, end=1.3),
            y_range=Range1d(start=-1.3, end=1.3),
            tools="pan,wheel_zoom,reset",
            toolbar_location="above",
            match_aspect=True,
            min_border=4,
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
        self.labels = fig.text(
            "lx",
            "ly",
            text="label",
            source=self.nodes,
            text_font_size="9px",
            text_color="#333333",
            text_align="center",
            text_baseline="middle",
            nonselection_text_alpha=1.0,
        )
        fig.add_tools(
            TapTool(renderers=[dots]),
            BoxSelectTool(renderers=[dots]),
            LassoSelectTool(renderers=[dots]),
            HoverTool(
                renderers=[dots],
                tooltips=[
                    ("node", "@id"),
                    ("follows", "@follows"),
                    ("score", "@score{0.000}"),
                    ("state", "@state"),
                ],
            ),
        )
        _bare(fig)
        return fig

    def _flock_figure(self) -> Any:
        fig = figure(
            title="flock: each bird steers toward the leader it follows",
            width=VIEW_SIZE,
            height=VIEW_SIZE,
            x_range=Range1d(start=-1.4, end=1.4),
            y_range=Range1d(start=-1.4, end=1.4),
            tools="pan,wheel_zoom,reset",
            toolbar_location="above",
            match_aspect=True,
            min_border=4,
        )
        _small_title(fig)
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

    # -- data -------------------------------------------------------------------------

    @staticmethod
    def update(source: ColumnDataSource, columns: dict[str, Any]) -> None:
        """Send only the columns that changed (all of them when the length changed).

        Most frames move nodes but change no ids, colours or markers, and the
        browser redraws less when fewer columns change. A view that missed a
        patch (built after it was sent) gets every column again when it
        reports ready (:class:`~.bokeh_model.BatchedBokehModel`), so lengths
        never disagree in the browser. Columns must be fresh arrays, not views
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

    def draw_nodes(self, frame: NodeFrame) -> None:
        """Send the nodes' changed columns; the labels' glyph is visible only while labelled.

        Above :data:`LABELLED_NODES` the labels are blank, but a visible text
        glyph still costs the browser a style lookup and a text measure per
        node on every repaint of the network view: at 1,000 nodes, more than
        drawing the nodes themselves (seen in Chromium's profile).
        """
        self.labels.visible = 0 < len(frame.ids) <= LABELLED_NODES
        self.update(self.nodes, self.node_columns(frame))

    def node_columns(self, frame: NodeFrame) -> dict[str, Any]:
        """Columns of the network view's nodes for ``frame``."""
        n = len(frame.ids)
        xy = self.positions[:n]
        size = _base_size(n) + 10.0 * np.clip(frame.score, 0, 1)
        marks = markers(frame)
        leader_mark = np.array([m in ("star", "diamond") for m in marks], dtype=bool)
        size = np.where(leader_mark, size * 1.8, size)
        labelled = 0 < n <= LABELLED_NODES
        return {
            "x": xy[:, 0].copy(),
            "y": xy[:, 1].copy(),
            "lx": xy[:, 0] * 1.16,
            "ly": xy[:, 1] * 1.16,
            "label": list(frame.ids) if labelled else [""] * n,
            "id": list(frame.ids),
            "follows": _followed(frame),
            "score": frame.score,
            "size": size,
            "marker": marks,
            "colour": self.colours.of(frame),
            "line": _outlines(leader_mark, frame.up),
            "state": _states(frame, marks),
        }

    def bird_columns(self, frame: NodeFrame, position: FloatArray) -> dict[str, Any]:
        """Columns of the flock view's birds for ``frame`` at ``position``."""
        n = len(frame.ids)
        leader = frame.up & (frame.follows == np.arange(n))
        base = _base_size(n)
        return {
            "x": position[:n, 0].copy(),
            "y": position[:n, 1].copy(),
            "colour": self.colours.of(frame),
            "marker": [
                "x" if not u else "star" if lead else "circle"
                for u, lead in zip(frame.up.tolist(), leader.tolist(), strict=True)
            ],
            "size": np.where(leader, base * 2.6, base + 1.0),
            "line": _outlines(leader, frame.up),
            "alpha": np.where(frame.up, 0.9, 0.35),
        }

    def edge_columns(
        self,
        messages: Sequence[Message],
        now: float,
        where: Mapping[str, int],
        *,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Recent gossip digests as segments whose opacity fades with age (the newest ``limit``)."""
        pairs = [
            (where[m.sender], where[m.receiver], m.time)
            for m in messages
            if m.sender in where and m.receiver in where
        ]
        if limit is not None:
            pairs = pairs[-limit:] if limit > 0 else []
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


def _states(frame: NodeFrame, marks: Sequence[str]) -> list[str]:
    """What each mark means, for the hover tooltip."""
    words = {
        "x": "down",
        "star": "recognised leader",
        "diamond": "acting as leader",
        "triangle": "suspected by a peer",
    }
    return [
        words.get(m, "following" if f >= 0 else "joining (no opinion yet)")
        for m, f in zip(marks, frame.follows.tolist(), strict=True)
    ]


def _outlines(leading: npt.NDArray[np.bool_], up: npt.NDArray[np.bool_]) -> list[str]:
    """Black around leaders, white around the others; a down node's "x" is all outline."""
    return [
        "#000000" if lead else "#ffffff" if alive else DOWN
        for lead, alive in zip(leading.tolist(), up.tolist(), strict=True)
    ]


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):
        old_array, new_array = np.asarray(old), np.asarray(new)
        return old_array.shape == new_array.shape and bool(np.array_equal(old_array, new_array))
    return bool(list(old) == list(new))


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


def _small_title(fig: Any, size: str = "10px") -> None:
    fig.title.text_font_size = size


def _bare(fig: Any) -> None:
    """Hide axes and grid: positions carry no units."""
    fig.axis.visible = False
    fig.grid.visible = False
    fig.toolbar.logo = None
