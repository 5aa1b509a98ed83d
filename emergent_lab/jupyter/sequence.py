"""The message-sequence (space-time, Lamport) view: lanes of nodes, gossip as arrows, marks.

Chosen nodes are lanes (by default the leader, the selected node and the
peers its latest decision came through; add or remove lanes in the lane
picker), top to bottom in the order of the ids, as the picker lists them.
Messages between lanes are arrows labelled SYN/ACK/ACK2 with what they
carried that mattered; heartbeat-only messages are folded away unless shown.
Suspicions (red ×), opinion moves (blue ▲) and recognitions (green ◆) are
marks; clicking one highlights its causal past (the messages that brought
that information to that node) and says it in words. "why?" shows the
explanation of the selected node.

Everything after the build runs in the browser (lanes, time, folding,
highlighting), so the same view works in the notebook and in a standalone
HTML file without a kernel. ``show_time`` moves it from Python (live time
or the replay slider).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bokeh.embed import file_html
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, CustomJS, FixedTicker, Range1d, TapTool
from bokeh.models.annotations import Arrow, LabelSet, VeeHead
from bokeh.models.layouts import LayoutDOM
from bokeh.models.widgets import Button, CheckboxGroup, Div, MultiChoice, Slider
from bokeh.plotting import figure
from bokeh.resources import INLINE

from emergent_lab.core.checks import check_number
from emergent_lab.exact import SimCluster
from emergent_lab.exact.explain import Explainer
from emergent_lab.exact.lamport import SequenceData, sequence_data
from emergent_lab.jupyter.sequence_js import HIGHLIGHT, LAYOUT_JS, PICK_JS

MARK_STYLE = {
    "suspicion": ("x", "#d62728", -0.22),
    "opinion": ("triangle", "#1f77b4", 0.0),
    "recognition": ("diamond", "#2ca02c", 0.22),
}
"""Marker, colour and offset from the lane of each kind of mark (a key under the view names
them; the offset keeps a suspicion and the opinion move it caused, at one instant, apart)."""
MAX_LANES = 6
EVERY_MESSAGE_UP_TO = 100
"""Clusters up to this size send the window's every message to the browser, so a lane
added there is drawn at once; larger ones send the messages and marks of the lanes shown
(a six-second window at 1,000 nodes holds some fifty thousand messages), and a lane
added in the browser gets its arrows to the other lanes now and the rest at the next
redraw."""


class SequenceView:
    """The message-sequence view of a run recorded with causality.

    Args:
        cluster: a cluster built with ``causality=True`` (it is not advanced).
        node: the selected node (its lane is kept, "why?" explains it).
        lanes: the nodes drawn as lanes (default: leader, ``node`` and its sources).
        at: the moment shown (default: now); the view covers ``span`` seconds up to it.
        data: precomputed content (``sequence_data``), to share between views.
        slider: offer a time slider (a standalone page); the dashboard moves
            the view from Python instead (``redraw``), so it has none.
        heartbeats: show heartbeat-only messages from the start (the reader
            can still fold them away).
    """

    def __init__(
        self,
        cluster: SimCluster,
        *,
        node: str | None = None,
        lanes: list[str] | None = None,
        at: float | None = None,
        span: float = 6.0,
        data: SequenceData | None = None,
        slider: bool = True,
        heartbeats: bool = False,
    ) -> None:
        self.cluster = cluster
        self.explainer = Explainer(cluster)
        end = cluster.time
        self.at = end if at is None else check_number("at", at, low=0, high=end)
        check_number("span", span, low=0, low_open=True)
        ids: list[str | tuple[str, str]] = list(cluster.ids.ids)
        self.node = node if node is not None else self._default_node()
        self.explainer.index(self.node)
        self._defaults = self.default_lanes(self.node, self.at)
        chosen = self._in_id_order(lanes) if lanes is not None else self._defaults
        for lane in chosen:
            self.explainer.index(lane)
        self.data = data if data is not None else sequence_data(cluster)
        arrow_columns, mark_columns = _arrow_columns(self.data), _mark_columns(self.data)
        self.arrows = ColumnDataSource(arrow_columns, name="arrows")
        self.marks = ColumnDataSource(mark_columns, name="marks")
        self.picker = MultiChoice(value=list(chosen), options=ids, title="lanes", width=420)
        self.fold = CheckboxGroup(
            labels=["show heartbeat-only messages"], active=[0] if heartbeats else []
        )
        self.slider = Slider(
            start=0.0,
            end=max(end, 0.1),
            value=self.at,
            step=0.05,
            title="time (s)",
            width=420,
            visible=slider,
        )
        self.status = Div(text="", name="sequence-status")
        self.detail = Div(text="click a mark to highlight its causal past", name="sequence-detail")
        self.why_text = Div(text=self.explanation(), name="sequence-why", width=800, visible=False)
        self.why = Button(label=f"why? ({self.node})", width=140, tags=[self.node])
        self.plot = self._figure(span)
        self._wire(span, arrow_columns, mark_columns)

    def _default_node(self) -> str:
        up = self.cluster.up_ids()
        leader = self.cluster.leader()
        followers = [i for i in up if i != leader]
        return followers[0] if followers else (up[0] if up else self.cluster.ids.ids[0])

    def default_lanes(self, node: str, at: float) -> list[str]:
        """The leader at ``at``, ``node``, its previous leader and the nodes its news came by."""
        explainer = self.explainer
        me = explainer.index(node)
        record = self.cluster.observer.cluster_at(at)
        lanes: list[str] = []
        if record is not None and record.leader >= 0:
            lanes.append(explainer.name(record.leader))
        lanes.append(node)
        decisions = [
            c
            for c in explainer.recorder.changes
            if c.kind == "decided" and c.node == me and c.time <= at and c.opinion != c.previous
        ]
        if decisions:
            last = decisions[-1]
            for index in (last.opinion, last.previous):
                if index >= 0:
                    lanes.append(explainer.name(index))
            state = None
            if last.opinion >= 0:
                state = explainer.learned_before(me, last.opinion, last.time)
            if state is not None:
                for hop in explainer.state_path(state):
                    lanes += [explainer.name(hop.src), explainer.name(hop.dst)]
        return self._in_id_order(list(dict.fromkeys(lanes))[:MAX_LANES])

    def _in_id_order(self, lanes: list[str]) -> list[str]:
        """Lanes top to bottom in the order of the cluster's ids.

        The lane picker lists what is chosen in the order of its options (the
        ids), whatever order it was chosen in; the axis follows the same order
        so the two read alike.
        """
        index = self.cluster.ids.index
        return sorted(lanes, key=lambda lane: index.get(lane, len(index)))

    def _figure(self, span: float) -> Any:
        plot = figure(
            height=300,
            width=800,
            x_range=Range1d(start=self.at - span, end=self.at),
            y_range=Range1d(start=len(self.picker.value) - 0.5, end=-0.5),
            tools="xpan,xwheel_zoom,reset",
            title="messages between lanes (time →); click a mark for its causal past",
            name="sequence",
            x_axis_label="virtual time (s)",
        )
        plot.yaxis.ticker = FixedTicker(ticks=[])
        plot.ygrid.visible = False
        head = VeeHead(
            size=7, fill_color="color", line_color="color", fill_alpha="alpha", line_alpha="alpha"
        )
        arrow = Arrow(
            source=self.arrows,
            x_start="sent",
            y_start="y0",
            x_end="arrived",
            y_end="y1",
            end=head,
            name="arrows",
        )
        # The line properties take columns; Bokeh's type stubs name them otherwise.
        arrow.update(line_color="color", line_alpha="alpha", line_width="width")
        plot.add_layout(arrow)
        plot.add_layout(
            LabelSet(
                source=self.arrows,
                x="sent",
                y="y0",
                text="text",
                text_font_size="8pt",
                x_offset=2,
                y_offset=2,
                text_color="#333333",
            )
        )
        marks = plot.scatter(
            x="time",
            y="y",
            source=self.marks,
            marker="marker",
            color="color",
            size=13,
            line_width=2,
            name="marks",
            selection_line_color=HIGHLIGHT,
            nonselection_alpha=0.5,
        )
        plot.add_tools(TapTool(renderers=[marks]))
        return plot

    def _wire(self, span: float, arrows: dict[str, list[Any]], marks: dict[str, list[Any]]) -> None:
        holder = Div(text="", visible=False)
        args = {
            "picker": self.picker,
            "slider": self.slider,
            "fold": self.fold,
            "arrows": self.arrows,
            "marks": self.marks,
            "plot": self.plot,
            "status": self.status,
            "span": span,
            "state": holder,
            "why": self.why,
        }
        relayout = CustomJS(args=args, code="state.past = state.past || [];\n" + LAYOUT_JS)
        self.picker.js_on_change("value", relayout)
        if self.slider.visible:
            self.slider.js_on_change("value", relayout)
        self.fold.js_on_change("active", relayout)
        self.marks.selected.js_on_change(
            "indices",
            CustomJS(
                args={
                    "marks": self.marks,
                    "state": holder,
                    "detail": self.detail,
                    "relayout": relayout,
                },
                code=PICK_JS,
            ),
        )
        self._first_frame(arrows, marks)
        self.why.js_on_click(
            CustomJS(args={"why": self.why_text}, code="why.visible = !why.visible;")
        )
        self._holder = holder

    def _first_frame(self, arrows: dict[str, list[Any]], marks: dict[str, list[Any]]) -> None:
        """Lay the lanes out in Python too, so the view is complete before any script runs.

        Each source gets its data in one assignment: a front end must never
        see a column of the new length beside one of the old.
        """
        lanes, t = list(self.picker.value), float(self.slider.value)
        span = float(self.plot.x_range.end - self.plot.x_range.start)
        unfold = bool(self.fold.active)
        a = arrows
        y0, y1, alpha, text = [], [], [], []
        drawn = folded = 0
        for k in range(len(a["id"])):
            s, d = _lane(lanes, a["src"][k]), _lane(lanes, a["dst"][k])
            on = s >= 0 and d >= 0 and a["sent"][k] <= t and a["arrived"][k] >= t - span
            y0.append(float(s) if on else float("nan"))
            y1.append(float(d) if on else float("nan"))
            shown = on and (unfold or not a["folded"][k])
            alpha.append((0.25 if a["folded"][k] else 0.8) if shown else 0.0)
            text.append(
                a["label"][k] if shown and a["dst"][k] == self.node and not a["folded"][k] else ""
            )
            drawn += shown
            folded += on and a["folded"][k] and not unfold
        self.arrows.data = {**a, "y0": y0, "y1": y1, "alpha": alpha, "text": text}
        y = [
            _lane(lanes, n) + dy if t_ <= t and _lane(lanes, n) >= 0 else float("nan")
            for n, t_, dy in zip(marks["node"], marks["time"], marks["dy"], strict=True)
        ]
        self.marks.data = {**marks, "y": y}
        # The lanes' ticker is updated in place: a new ticker model each redraw would
        # race the browser, which may echo the axis back naming a ticker the kernel's
        # document has already dropped (bokeh's UnknownReferenceError in the log).
        axis = self.plot.yaxis[0]
        axis.ticker.ticks = list(range(len(lanes)))
        axis.major_label_overrides = {i: name for i, name in enumerate(lanes)}
        self.status.text = f"t = {t:.1f} s · {len(lanes)} lanes · {drawn} messages drawn" + (
            f" · {folded} heartbeat-only folded" if folded else ""
        )

    def explanation(self) -> str:
        """The selected node's explanation at the moment shown."""
        return self.explainer.explain(self.node, at=self.at)

    def show_time(self, time: float) -> None:
        """Move to another recorded moment (the browser redraws the lanes)."""
        self.slider.value = check_number("time", time, low=0, high=self.slider.end)

    def redraw(self, cluster: SimCluster, *, at: float, node: str | None = None) -> None:
        """Show ``cluster`` (live, or a replayed copy) at ``at``: the window up to it, anew.

        Lanes the reader chose are kept (with ``node``'s), default lanes follow
        the moment; the data are read for the window only.
        """
        self.cluster = cluster
        self.explainer = Explainer(cluster)
        self.at = check_number("at", at, low=0, high=cluster.time)
        if node is not None and node in cluster.nodes:
            self.node = node
        span = float(self.plot.x_range.end - self.plot.x_range.start)
        lanes = [n for n in self.picker.value if n in cluster.nodes]
        if list(self.picker.value) == self._defaults:  # not changed by the reader: follow
            lanes = self._defaults = self.default_lanes(self.node, self.at)
        lanes = self._in_id_order(lanes if self.node in lanes else [self.node, *lanes])
        if lanes != list(self.picker.value):
            self.picker.value = lanes
        nodes = lanes if len(cluster.nodes) > EVERY_MESSAGE_UP_TO else None
        self.data = sequence_data(cluster, start=max(0.0, self.at - span), end=self.at, nodes=nodes)
        self.slider.update(start=max(0.0, self.at - span), end=max(self.at, 0.1), value=self.at)
        self.plot.x_range.update(start=self.at - span, end=self.at)
        self.plot.y_range.update(start=len(self.picker.value) - 0.5, end=-0.5)
        self.why.update(label=f"why? ({self.node})", tags=[self.node])
        self.why_text.text = self.explanation()
        self._first_frame(_arrow_columns(self.data), _mark_columns(self.data))

    @property
    def layout(self) -> LayoutDOM:
        """The view with its controls, ready to embed."""
        key = Div(
            text="marks: <span style='color:#d62728'>× suspicion</span> · "
            "<span style='color:#1f77b4'>▲ opinion move</span> · "
            "<span style='color:#2ca02c'>◆ recognition</span> · arrows: SYN / ACK / ACK2, "
            "grey = lost, <span style='color:#ff7f0e'>orange</span> = causal past"
        )
        return column(
            row(self.picker, self.slider),
            row(self.fold, self.why),
            self.status,
            self.plot,
            key,
            self.detail,
            self.why_text,
            self._holder,
        )


def _lane(lanes: list[str], node: str) -> int:
    return lanes.index(node) if node in lanes else -1


def _arrow_columns(data: SequenceData) -> dict[str, list[Any]]:
    a = data.arrows
    n = len(a.id)
    nan = [float("nan")] * n
    return {
        "id": a.id,
        "kind": a.kind,
        "src": a.src,
        "dst": a.dst,
        "sent": a.sent,
        "arrived": a.arrived,
        "dropped": a.dropped,
        "folded": a.folded,
        "label": a.label,
        "y0": nan,
        "y1": list(nan),
        "alpha": [0.0] * n,
        "width": [1.0] * n,
        "color": ["#555555"] * n,
        "text": [""] * n,
    }


def _mark_columns(data: SequenceData) -> dict[str, list[Any]]:
    m = data.marks
    return {
        "node": m.node,
        "time": m.time,
        "kind": m.kind,
        "text": m.text,
        "past": m.past,
        "y": [float("nan")] * len(m.node),
        "marker": [MARK_STYLE[k][0] for k in m.kind],
        "color": [MARK_STYLE[k][1] for k in m.kind],
        "dy": [MARK_STYLE[k][2] for k in m.kind],
    }


def save_sequence_html(
    cluster: SimCluster,
    path: str | Path,
    *,
    node: str | None = None,
    at: float | None = None,
    title: str = "emergent-lab message sequence",
) -> Path:
    """Write the message-sequence view of a run as standalone HTML (BokehJS inlined, offline)."""
    view = SequenceView(cluster, node=node, at=at)
    target = Path(path)
    target.write_text(file_html(view.layout, resources=INLINE, title=title), encoding="utf-8")
    return target
