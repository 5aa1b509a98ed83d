"""The renderer: one frame of a cluster into every view, readout, inspector and log.

It knows what has already been streamed to the plots and what the previous
frame looked like (for the event log), and nothing about buttons or replay
policy: the dashboard tells it which source to draw nodes from (the live
cluster, or a copy rebuilt at a replayed moment) and at what time.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emergent_lab.run.source import ClusterSource, Mark, NodeState

from .controls import AUTO_OBSERVER, Controls
from .frame import NodeFrame, Status, cluster_status, live_frame
from .narrator import Narrator
from .timeplots import WINDOW
from .views import EDGE_FADE, DashboardViews

INSPECTOR_ROWS = 25
SPARSE_EDGES = 60
"""Gossip lines drawn at most in a big cluster, newest first (a tangle otherwise)."""
SPARSE_FROM = 60
"""Cluster size from which gossip lines are drawn sparsely."""


@dataclass(frozen=True)
class Scene:
    """What one frame shows: nodes from ``shown``, plots from ``live``, at ``time``."""

    live: ClusterSource
    shown: ClusterSource | None
    """The source nodes, gossip and inspector are read from; None: only records exist."""
    frame: NodeFrame
    states: Sequence[NodeState]
    replaying: bool


class Renderer:
    """Draws scenes into the views and the readout widgets."""

    def __init__(self, views: DashboardViews, controls: Controls) -> None:
        self.views = views
        self.controls = controls
        self.narrator = Narrator()
        self.status: Status | None = None
        self.restart()

    def restart(self) -> None:
        """Forget what was streamed (a new cluster, or a fork that rewrote the future)."""
        self._timeline_done = 0
        self._marks: list[Mark] = []
        self._unplotted: list[Mark] = []
        self._traffic_done = 0
        self._traffic_points: list[tuple[float, float, float]] = []
        self._phi_pair: tuple[str, str] | None = None
        self.views.plots.clear()
        self.views.colours.forget()

    # -- one frame ------------------------------------------------------------------

    def draw(
        self, scene: Scene, birds: np.ndarray, selection: Sequence[str], *, charts: bool = True
    ) -> None:
        """Draw ``scene``; call inside the figures' batched frame.

        Args:
            scene: what to draw.
            birds: the flock's positions to draw.
            selection: the selected nodes (the inspector and phi follow the first).
            charts: also draw the time plots. While playing they are drawn a few
                times a second only: the browser redraws four plots for every
                change, and they move slowly next to the network view.
        """
        frame = scene.frame
        views = self.views
        views.draw_nodes(frame)
        views.update(views.birds, views.bird_columns(frame, birds))
        self._draw_edges(scene)
        new_marks = scene.live.marks(len(self._marks))
        if new_marks:
            self._marks.extend(new_marks)
            self._unplotted.extend(new_marks)
            self.narrator.marks(new_marks)
        if charts:
            self._draw_series(scene, selection)
        status = cluster_status(frame)
        if not scene.replaying:
            self.narrator.frame(frame, scene.states, status, scene.live.phi_threshold())
        self.status = status
        self._draw_readout(scene, status, selection)

    def _draw_edges(self, scene: Scene) -> None:
        views = self.views
        frame = scene.frame
        where = {node_id: i for i, node_id in enumerate(frame.ids)}
        if scene.shown is None or not self.controls.gossip.value:
            # sent only when lines were drawn: every send repaints the network view
            views.update(views.edges, views.edge_columns([], frame.time, where))
            return
        messages = scene.shown.messages(frame.time - EDGE_FADE)
        limit = SPARSE_EDGES if len(frame.ids) >= SPARSE_FROM else None
        views.edges.data = views.edge_columns(
            [m for m in messages if m.time <= frame.time], frame.time, where, limit=limit
        )

    def _draw_series(self, scene: Scene, selection: Sequence[str]) -> None:
        plots = self.views.plots
        source = scene.live
        now = source.time
        # Only the newest point may still change, so it is held back from the stream;
        # the tail joins the last streamed point through it to now.
        start = max(0, self._timeline_done - 1)
        points = source.timeline(start)
        fresh = points[self._timeline_done - start :]
        if len(fresh) > 1:
            plots.stream_timeline(fresh[:-1])
            self._timeline_done += len(fresh) - 1
        plots.set_tail(points[-2:], now)
        if self._unplotted:
            plots.stream_marks(self._unplotted)
            self._unplotted = []
        plots.set_strips(self._marks, now)
        plots.show_cursor(scene.frame.time if scene.replaying else None)
        plots.show_window(now, replaying=scene.replaying)
        plots.set_threshold(source.phi_threshold())
        self._draw_counts(now, scene.replaying)
        self._draw_traffic(source)
        if not scene.replaying:
            self._draw_phi(scene, selection)

    def _draw_counts(self, now: float, replaying: bool) -> None:
        series = self.views.plots.series.data
        since = 0.0 if replaying else now - WINDOW
        times = np.asarray(series["t"], dtype=float)
        shown = times >= since
        highest = 1.0
        for name in ("opinions", "acting"):
            values = np.asarray(series[name], dtype=float)
            if values.size and shown.any():
                highest = max(highest, float(values[shown].max()))
            tail = self.views.plots.tail.data[name]
            if len(tail):
                highest = max(highest, float(np.max(tail)))
        self.views.plots.fit_counts(highest)

    def _draw_traffic(self, source: ClusterSource) -> None:
        """A point a virtual second, its rates averaged over it (rates per frame zigzag).

        The source samples its counters at each whole second it passes, so a
        run advanced in one call is drawn second by second as well.
        """
        start = max(0, self._traffic_done - 1)
        samples = source.traffic(start)
        fresh = samples[self._traffic_done - start :]
        if not fresh:
            return
        previous = samples[0] if self._traffic_done else None
        points = []
        for sample in fresh:
            if previous is not None and sample.time > previous.time:
                elapsed = sample.time - previous.time
                messages = (sample.messages - previous.messages) / elapsed
                kilobytes = (sample.bytes - previous.bytes) / elapsed / 1000.0
                points.append((sample.time, messages, kilobytes))
            previous = sample
        self._traffic_done += len(fresh)
        if not points:
            return
        self._traffic_points.extend(points)
        self.views.plots.traffic.stream(
            {
                "t": [p[0] for p in points],
                "messages": [p[1] for p in points],
                "bytes": [p[2] for p in points],
            }
        )
        now = points[-1][0]
        recent = [p for p in self._traffic_points if p[0] >= now - WINDOW]
        self.views.plots.fit_traffic(max(p[1] for p in recent), max(p[2] for p in recent))

    def _draw_phi(self, scene: Scene, selection: Sequence[str]) -> None:
        plots = self.views.plots
        frame = scene.frame
        subject = selection[0] if selection else None
        observer = self._phi_observer(subject, frame) if subject else None
        pair: tuple[str, str] | None = (observer, subject) if observer and subject else None
        if pair != self._phi_pair:
            plots.phi.data = {"t": [], "phi": []}
            self._phi_pair = pair
            plots.phi_plot.title.text = (
                f"phi of {subject} as seen by {observer}" if pair else "phi: select a node"
            )
        if pair is not None:
            last = plots.phi.data["t"]
            if not len(last) or frame.time > last[-1]:
                plots.stream_phi(frame.time, scene.live.phi(*pair))

    def _phi_observer(self, subject: str, frame: NodeFrame) -> str | None:
        chosen = self.controls.observer.value
        if chosen != AUTO_OBSERVER:
            return str(chosen)
        for node_id, up in zip(frame.ids, frame.up.tolist(), strict=True):
            if up and node_id != subject:
                return node_id
        return None

    # -- readout --------------------------------------------------------------------

    def _draw_readout(self, scene: Scene, status: Status, selection: Sequence[str]) -> None:
        c = self.controls
        frame = scene.frame
        when = "replay" if scene.replaying else "t"
        c.time.value = f"<b>{when} = {frame.time:.1f} s</b>"
        text = html.escape(status.text)
        for name in status.leaders:
            text = re.sub(
                rf"(?<![\w.-]){re.escape(html.escape(name))}(?![\w.-])",
                f"<b>{html.escape(name)}</b>",
                text,
                count=1,
            )
        colour = {"converged": "#1b5e20", "split": "#b00020", "none": "#b00020"}.get(
            status.state, "#555555"
        )
        c.leader.value = f'<span style="color:{colour}">{text}</span>'
        up = int(frame.up.sum())
        followed = frame.follows[frame.up]
        agreement = int(np.bincount(followed[followed >= 0]).max()) if np.any(followed >= 0) else 0
        c.converged.value = f"{up} of {len(frame.ids)} up · {agreement} agree"
        c.inspector.value = self._inspector_html(scene, selection)
        c.log.value = self.narrator.html(frame.time if scene.replaying else None)

    def _inspector_html(self, scene: Scene, selection: Sequence[str]) -> str:
        if not selection:
            return "<i>select a node to inspect its view</i>"
        node_id = selection[0]
        if scene.shown is None:
            return (
                f"<b>{html.escape(node_id)}</b>: views are not recorded for this cluster, "
                "so replay cannot show them (press live)"
            )
        state = next((s for s in scene.states if s.node_id == node_id), None)
        if state is None:
            return ""
        head = (
            f"<b>{html.escape(node_id)}</b> · {'up' if state.up else 'down'} · "
            f"follows {state.opinion or '–'} · recognises {state.recognised or '–'} · "
            f"score {state.score:.3f} · generation {state.generation} · "
            f"heartbeat {state.heartbeat}"
        )
        if scene.replaying:
            head += f" · <i>as at {scene.frame.time:.1f} s</i>"
        peers = sorted(scene.shown.peers(node_id), key=lambda p: -p.phi)[:INSPECTOR_ROWS]
        rows = "".join(
            f"<tr><td>{html.escape(p.peer)}</td><td>{p.generation}</td><td>{p.heartbeat}</td>"
            f"<td>{p.score:.3f}</td><td>{p.phi:.2f}</td><td>{'yes' if p.alive else 'no'}</td></tr>"
            for p in peers
        )
        table = (
            "<table><tr><th>peer</th><th>generation</th><th>heartbeat</th><th>score</th>"
            f"<th>phi</th><th>alive</th></tr>{rows}</table>"
        )
        return head + table


def live_scene(source: ClusterSource) -> Scene:
    """The cluster as it is now."""
    states = source.nodes()
    return Scene(
        live=source, shown=source, frame=live_frame(source, states), states=states, replaying=False
    )
