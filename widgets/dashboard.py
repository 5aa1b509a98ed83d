"""The live dashboard: one widget that plays, perturbs, inspects and replays a cluster.

``Dashboard`` wires the controls (:mod:`.controls`) to a :class:`ClusterSource`
and draws every frame into the Bokeh views (:mod:`.views`) inside one
``jupyter_bokeh.BokehModel``. A frame replaces or streams data sources in
place under one held document, so the browser gets one batched patch per
frame and never re-renders a figure.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
from bokeh.io import output_notebook
from bokeh.resources import INLINE

from emergent_lab.arrays import FloatArray
from emergent_lab.cluster import SimCluster
from emergent_lab.cluster.source import ClusterSource, Mark, NodeState
from emergent_lab.protocol.params import check_number
from emergent_lab.scale.engine import ArrayCluster
from emergent_lab.scale.options import ARRAY_MAX_NODES
from emergent_lab.scale.scenario import build_array_cluster
from emergent_lab.scenario import Scenario, build_cluster, load_scenario

from .array_source import ArrayClusterSource
from .bokeh_model import BatchedBokehModel
from .controls import AUTO_OBSERVER, LEADER_TARGET, PARAM_SLIDERS, Controls
from .flock import Flock
from .frame import NodeFrame, live_frame, recorded_frame
from .layout import extend_positions, node_positions
from .player import Player
from .sim_source import SimClusterSource
from .views import EDGE_FADE, DashboardViews

FLOCK_SNAPSHOT_EVERY = 0.2
"""Virtual seconds between flock snapshots kept for replay."""
INSPECTOR_ROWS = 25
RebuildableSource = SimClusterSource | ArrayClusterSource
"""Sources that Reset can rebuild from a seed and a size."""


def _source_of(cluster: SimCluster | ArrayCluster | ClusterSource) -> ClusterSource:
    """The source that reads ``cluster``: an adapter for either engine, or the source itself."""
    if isinstance(cluster, SimCluster):
        return SimClusterSource(cluster)
    if isinstance(cluster, ArrayCluster):
        return ArrayClusterSource(cluster)
    return cluster


class Dashboard(w.VBox):  # type: ignore[misc]
    """A live view of a cluster with controls, for JupyterLab.

    Args:
        cluster: a simulated cluster of either engine, or any
            :class:`ClusterSource` (a real cluster); Reset needs a simulated
            one. An :class:`ArrayCluster` is drawn as a sample of its nodes
            (:class:`ArrayClusterSource`; pass one to choose its ``limit``).
        speed: virtual seconds per real second while playing.
        interval: real seconds between frames while playing.
    """

    def __init__(
        self,
        cluster: SimCluster | ArrayCluster | ClusterSource,
        *,
        speed: float = 2.0,
        interval: float = 0.1,
    ) -> None:
        check_number("speed", speed, low=0, low_open=True)
        check_number("interval", interval, low=0, low_open=True)
        source = _source_of(cluster)
        self.source: ClusterSource = source
        self.selection: list[str] = []
        self.replay_time: float | None = None
        self._syncing = False
        ids = list(source.node_ids())
        self.controls = Controls(
            weights=source.weights(),
            params={name: source.param(name) for name in PARAM_SLIDERS},
            loss=source.loss_rate(),
            seed=source.seed,
            nodes=len(ids),
            node_ids=ids,
            speed=speed,
            interval=interval,
        )
        self._show_size()
        self.views = DashboardViews(self._layout_positions(ids))
        self.figures = BatchedBokehModel(self.views.layout, layout=w.Layout(min_width="870px"))
        self._start_tracking()
        self.player = Player(
            self.advance,
            speed=lambda: float(self.controls.speed.value),
            interval=lambda: float(self.controls.interval.value),
            on_error=self._play_failed,
        )
        self._wire()
        super().__init__(children=[self.controls.layout(self.figures)])
        self.render()

    @classmethod
    def from_scenario(
        cls, scenario: str | Path | Scenario, *, seed: int | None = None, **options: Any
    ) -> Dashboard:
        """A dashboard on a scenario's cluster (a built-in name, a TOML path or a Scenario).

        The scenario's timeline is scheduled; it unfolds as the dashboard plays.
        ``[cluster] engine = "array"`` builds an array-engine cluster, drawn
        as a sample of its nodes.
        """
        if isinstance(scenario, Scenario):
            loaded = scenario.with_seed(seed) if seed is not None else scenario
        else:
            loaded = load_scenario(scenario, seed=seed)
        if loaded.engine.engine == "array":
            return cls(ArrayClusterSource(build_array_cluster(loaded), loaded), **options)
        return cls(SimClusterSource(build_cluster(loaded), loaded), **options)

    # -- setup ------------------------------------------------------------------------

    def _layout_positions(self, ids: Sequence[str]) -> FloatArray:
        graph = (
            self.source.cluster.config.graph if isinstance(self.source, SimClusterSource) else None
        )
        return node_positions(ids, graph, self.source.seed)

    def _show_size(self) -> None:
        """Show the cluster's size in *nodes*, not the drawn count, for a sampled source."""
        if isinstance(self.source, ArrayClusterSource):
            self.controls.nodes.max = ARRAY_MAX_NODES
            self.controls.nodes.value = self.source.size

    def _disable_unsupported(self) -> None:
        """Grey out the controls of verbs the source refuses, and say why once."""
        refused = sorted(getattr(self.source, "unsupported_actions", ()))
        c = self.controls
        widgets: dict[str, list[w.Widget]] = {
            "pause": [c.pause, c.pause_seconds],
            "set_weights": list(c.weights.values()),
            "set_param": list(c.params.values()),
        }
        for action in refused:
            for widget in widgets.get(action, []):
                widget.disabled = True
        if refused:
            self._say(f"this cluster cannot {', '.join(refused)}: those controls are disabled")

    def _start_tracking(self) -> None:
        """Per-source bookkeeping: what has been streamed, the flock and its history."""
        self.flock = Flock(len(self.source.node_ids()), self.source.seed)
        self._flock_times: list[float] = []
        self._flock_history: list[FloatArray] = []
        self._timeline_done = 0
        self._marks: list[Mark] = []
        self._traffic_last: tuple[float, int, int] | None = None
        self._phi_pair: tuple[str, str] | None = None

    def _wire(self) -> None:
        c = self.controls
        c.play.on_click(lambda _: self.pause() if self.player.playing else self.play())
        c.step.on_click(lambda _: self._guard(self.step))
        c.reset.on_click(lambda _: self._guard(self.reset))
        c.reset.disabled = not isinstance(self.source, RebuildableSource)
        self._disable_unsupported()
        for name, slider in c.weights.items():
            slider.observe(self._weight_observer(name), names="value")
        for name, slider in c.params.items():
            slider.observe(self._param_observer(name), names="value")
        c.loss.observe(lambda change: self._apply(c.loss, change, self.source.loss), names="value")
        c.kill.on_click(lambda _: self._guard(self.kill))
        c.revive.on_click(lambda _: self._guard(self.revive))
        c.pause.on_click(lambda _: self._guard(lambda: self.pause_node(c.pause_seconds.value)))
        c.boost.on_click(lambda _: self._guard(self.boost))
        c.split.on_click(lambda _: self._guard(lambda: self.partition("half")))
        c.partition.on_click(lambda _: self._guard(self.partition_selection))
        c.heal.on_click(lambda _: self._guard(self.heal))
        c.burst.on_click(
            lambda _: self._guard(
                lambda: self.loss_burst(c.burst_loss.value, c.burst_seconds.value)
            )
        )
        c.target.observe(self._on_target, names="value")
        c.observer.observe(lambda _: self.render(), names="value")
        c.replay.observe(self._on_replay_slider, names="value")
        c.live.on_click(lambda _: self.live())
        self.views.nodes.selected.on_change("indices", self._on_selection)

    def _weight_observer(self, name: str) -> Callable[[dict[str, Any]], None]:
        slider = self.controls.weights[name]
        return lambda change: self._apply(
            slider, change, lambda value: self.source.set_weights({name: value})
        )

    def _param_observer(self, name: str) -> Callable[[dict[str, Any]], None]:
        slider = self.controls.params[name]
        return lambda change: self._apply(
            slider, change, lambda value: self.source.set_param(name, value)
        )

    def _apply(
        self, slider: w.Widget, change: dict[str, Any], apply: Callable[[Any], None]
    ) -> None:
        """Apply a slider's new value live; on bad input, say why and put the slider back."""
        if self._syncing:
            return
        try:
            apply(change["new"])
        except ValueError as error:
            self._show_error(error)
            self._syncing = True
            try:
                slider.value = change["old"]
            finally:
                self._syncing = False
            return
        self._say(f"{slider.description} = {change['new']:g}: marked on the timeline")
        self.render()

    # -- messages -----------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        colour = "#b00020" if error else "#555555"
        self.controls.message.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def _show_error(self, error: Exception) -> None:
        self._say(f"refused: {error}", error=True)

    def _play_failed(self, error: Exception) -> None:
        """A frame raised while playing: stop, and say why."""
        self.pause()
        self._show_error(error)

    def _guard(self, action: Callable[[], Any]) -> None:
        """Run a button's action; bad input becomes a message, not a traceback."""
        try:
            action()
        except (ValueError, KeyError) as error:
            self._show_error(error)
            return
        self.render()

    # -- running ------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """Whether the dashboard is playing."""
        return self.player.playing

    def play(self) -> None:
        """Play live from now (leaves replay); a second Play does not start a second task."""
        if self.replay_time is not None:
            self.live()
        self.player.start()
        self.controls.play.description = "Pause"
        self.controls.play.icon = "pause"
        self.controls.replay.disabled = True
        self.controls.live.disabled = True

    def pause(self) -> None:
        """Stop playing; the replay slider then covers the recorded history."""
        self.player.stop()
        self.controls.play.description = "Play"
        self.controls.play.icon = "play"
        replay = self.controls.replay
        self._syncing = True
        try:
            replay.max = max(self.source.time, 0.0)
            replay.value = replay.max
        finally:
            self._syncing = False
        replay.disabled = False

    def advance(self, duration: float) -> None:
        """Advance the cluster by ``duration`` virtual seconds and draw one frame."""
        check_number("duration", duration, low=0)
        self.source.advance(duration)
        self.render(flock_seconds=duration)

    def step(self) -> None:
        """Advance by one gossip round and draw it."""
        before = self.source.time
        self.source.step()
        self.render(flock_seconds=self.source.time - before)

    def reset(self) -> None:
        """Rebuild the cluster from the seed and size fields and the parameters in force."""
        if not isinstance(self.source, RebuildableSource):
            raise ValueError("reset: only a simulated cluster can be rebuilt")
        was_playing = self.playing
        self.player.stop()
        self.source = self.source.rebuilt(
            int(self.controls.seed.value), int(self.controls.nodes.value)
        )
        ids = list(self.source.node_ids())
        self.controls.set_node_ids(ids)
        self.views.positions = self._layout_positions(ids)
        self._start_tracking()
        self._syncing = True
        try:
            self.views.nodes.selected.indices = []
        finally:
            self._syncing = False
        self.selection = []
        self.replay_time = None
        self._syncing = True
        try:
            self.controls.replay.max = 0.0
            self.controls.replay.value = 0.0
        finally:
            self._syncing = False
        self.controls.replay.disabled = True
        self.controls.live.disabled = True
        with self.figures.frame():
            for data in (
                self.views.series,
                self.views.tail,
                self.views.marks,
                self.views.strips,
                self.views.phi,
                self.views.traffic,
            ):
                data.data = {name: [] for name in data.data}
        self._say(f"reset: {len(ids)} nodes, seed {self.source.seed}")
        if was_playing:
            self.play()

    def close(self) -> None:
        """Stop playing and close every widget."""
        self.player.stop()
        self.figures.close()
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display: load BokehJS into the page, stop a play task (one live view at a time).

        ``BokehModel`` views need BokehJS in the page and do not bring it;
        ``output_notebook`` puts it there, inline so that it works offline.
        """
        if self.playing:
            self.pause()
        output_notebook(resources=INLINE, hide_banner=True)
        return super()._repr_mimebundle_(**kwargs)

    # -- node and network actions -------------------------------------------------------

    def select(self, node_id: str | None) -> None:
        """Select a node as a tap on it would (None clears the selection).

        On a sampled cluster, an undrawn node is added to the drawing first.
        """
        ids = list(self.source.node_ids())
        if (
            node_id is not None
            and node_id not in ids
            and isinstance(self.source, ArrayClusterSource)
        ):
            self.source.draw(node_id)
            self.render()
            ids = list(self.source.node_ids())
        if node_id is not None and node_id not in ids:
            raise ValueError(f"node: unknown node {node_id!r}")
        self.views.nodes.selected.indices = [] if node_id is None else [ids.index(node_id)]

    def target(self) -> str:
        """The node the node actions apply to: the selected one, or whoever leads now."""
        chosen = self.controls.target.value
        if chosen != LEADER_TARGET:
            return str(chosen)
        leader = self.source.leader()
        if leader is not None:
            return leader
        states = self.source.nodes()
        acting = [s.node_id for s in states if s.acting]
        if acting:
            return acting[0]
        opinions = Counter(s.opinion for s in states if s.up and s.opinion)
        if not opinions:
            raise ValueError("node: 'leader' chosen, but no node follows any leader yet")
        return opinions.most_common(1)[0][0]

    def kill(self) -> str:
        """Crash the target node; returns its id."""
        node_id = self.target()
        self.source.kill(node_id)
        self._say(f"killed {node_id}")
        return node_id

    def revive(self) -> str:
        """Restart the target node."""
        node_id = self.target()
        self.source.revive(node_id)
        self._say(f"revived {node_id}")
        return node_id

    def pause_node(self, seconds: float) -> str:
        """Stall the target node for ``seconds``."""
        node_id = self.target()
        self.source.pause(node_id, seconds)
        self._say(f"paused {node_id} for {seconds:g} s")
        return node_id

    def boost(self) -> str:
        """Make the target node the best candidate."""
        node_id = self.target()
        self.source.boost(node_id)
        self._say(f"{node_id} is now the best candidate")
        return node_id

    def partition(self, groups: Sequence[Sequence[str]] | str) -> None:
        """Partition the network into groups, or ``"half"``."""
        self.source.partition(groups)
        self._say("partitioned")

    def partition_selection(self) -> None:
        """Cut the selected nodes (box or lasso selection) off from the others."""
        chosen = set(self.selection)
        if not chosen:
            raise ValueError("partition: select a group of nodes first (box or lasso tool)")
        rest = [i for i in self.source.node_ids() if i not in chosen]
        self.partition([sorted(chosen, key=list(self.source.node_ids()).index), rest])

    def heal(self) -> None:
        """Heal every partition."""
        self.source.heal()
        self._say("healed")

    def loss_burst(self, probability: float, seconds: float) -> None:
        """Lose messages with ``probability`` for ``seconds``, then restore the loss."""
        self.source.loss(probability, seconds)
        self._say(f"loss {probability:g} for {seconds:g} s")

    # -- selection ----------------------------------------------------------------------

    def _on_selection(self, attr: str, old: list[int], new: list[int]) -> None:
        ids = list(self.source.node_ids())
        selection = [ids[i] for i in new if 0 <= i < len(ids)]
        changed = selection != self.selection
        self.selection = selection
        if self._syncing or not changed:
            return
        if len(self.selection) == 1:
            self._syncing = True
            try:
                self.controls.target.value = self.selection[0]
            finally:
                self._syncing = False
        self.render()

    def _on_target(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        value = change["new"]
        ids = list(self.source.node_ids())
        self._syncing = True
        try:
            self.views.nodes.selected.indices = [ids.index(value)] if value in ids else []
        finally:
            self._syncing = False
        self.selection = [value] if value in ids else []
        self.render()

    # -- replay ---------------------------------------------------------------------------

    def replay(self, time: float) -> None:
        """Redraw every view as recorded at virtual ``time`` (pauses first)."""
        check_number("replay", time, low=0, high=self.source.time)
        if self.playing:
            self.pause()
        self.replay_time = float(time)
        self.controls.live.disabled = False
        self._syncing = True
        try:
            self.controls.replay.value = float(time)
        finally:
            self._syncing = False
        self.render()

    def live(self) -> None:
        """Leave replay: draw the cluster as it is now."""
        self.replay_time = None
        self.controls.live.disabled = True
        self.render()

    def _on_replay_slider(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.replay(min(float(change["new"]), self.source.time))

    def _flock_at(self, time: float) -> FloatArray:
        i = bisect_right(self._flock_times, time) - 1
        if i < 0:
            return self.flock.position
        return self._flock_history[i]

    # -- drawing --------------------------------------------------------------------------

    def render(self, flock_seconds: float = 0.0) -> None:
        """Compute and push one frame of every view (batched into one document patch).

        Args:
            flock_seconds: virtual seconds the flock integrates first (the time
                the cluster just advanced).
        """
        with self.figures.frame():
            states = self.source.nodes()
            ids = [s.node_id for s in states]
            self._grow(ids)
            if self.replay_time is None:
                frame = live_frame(self.source, states)
                self.flock.advance(flock_seconds, frame.follows, frame.up)
                self._remember_flock(frame.time)
                birds = self.flock.position
            else:
                scores = np.array([s.score for s in states], dtype=float)
                frame = recorded_frame(self.source, self.replay_time, scores)
                birds = self._flock_at(self.replay_time)
            self._draw_nodes(frame, birds)
            self._draw_series(frame)
            self._draw_readout(frame, states)
        self._sync_sliders()

    def _sync_sliders(self) -> None:
        """Show the values in force; they change without the sliders too (a burst ends)."""
        c = self.controls
        source = self.source
        in_force: list[tuple[w.Widget, float]] = [(c.loss, source.loss_rate())]
        weights = source.weights()
        in_force += [
            (slider, weights[name]) for name, slider in c.weights.items() if name in weights
        ]
        in_force += [(slider, source.param(name)) for name, slider in c.params.items()]
        self._syncing = True
        try:
            for slider, value in in_force:
                if slider.value != value:
                    slider.value = value
        finally:
            self._syncing = False

    def _grow(self, ids: list[str]) -> None:
        """Make room for nodes that joined since the last frame."""
        if len(ids) > self.views.positions.shape[0]:
            self.views.positions = extend_positions(self.views.positions, len(ids))
            self.controls.set_node_ids(ids)
        self.flock.grow(len(ids))

    def _remember_flock(self, now: float) -> None:
        if not self._flock_times or now >= self._flock_times[-1] + FLOCK_SNAPSHOT_EVERY:
            self._flock_times.append(now)
            self._flock_history.append(self.flock.position.astype(np.float32))

    def _draw_nodes(self, frame: NodeFrame, birds: FloatArray) -> None:
        views = self.views
        views.update(views.nodes, views.node_columns(frame))
        views.update(views.birds, views.bird_columns(frame, birds))
        where = {node_id: i for i, node_id in enumerate(frame.ids)}
        if self.replay_time is None:
            messages = self.source.messages(frame.time - EDGE_FADE)
            views.edges.data = views.edge_columns(messages, frame.time, where)
        else:
            views.edges.data = views.edge_columns([], frame.time, where)

    def _draw_series(self, frame: NodeFrame) -> None:
        views = self.views
        source = self.source
        now = source.time
        # Only the newest point may still change, so it is held back from the stream;
        # the tail joins the last streamed point through it to now.
        start = max(0, self._timeline_done - 1)
        points = source.timeline(start)
        fresh = points[self._timeline_done - start :]
        if len(fresh) > 1:
            views.stream_timeline(fresh[:-1])
            self._timeline_done += len(fresh) - 1
        views.set_tail(points[-2:], now)
        new_marks = source.marks(len(self._marks))
        if new_marks:
            self._marks.extend(new_marks)
            views.stream_marks(new_marks)
        views.set_strips(self._marks, now)
        views.show_cursor(self.replay_time)
        views.set_threshold(source.phi_threshold())
        self._draw_phi(frame, now)
        traffic = source.traffic()
        last = self._traffic_last
        if last is not None and now > last[0]:
            dt = now - last[0]
            views.traffic.stream(
                {
                    "t": [now],
                    "messages": [(traffic.messages - last[1]) / dt],
                    "bytes": [(traffic.bytes - last[2]) / dt / 1000.0],
                }
            )
        if last is None or now > last[0]:
            self._traffic_last = (now, traffic.messages, traffic.bytes)

    def _phi_observer(self, subject: str, frame: NodeFrame) -> str | None:
        chosen = self.controls.observer.value
        if chosen != AUTO_OBSERVER:
            return str(chosen)
        for node_id, up in zip(frame.ids, frame.up.tolist(), strict=True):
            if up and node_id != subject:
                return node_id
        return None

    def _draw_phi(self, frame: NodeFrame, now: float) -> None:
        views = self.views
        subject = self.selection[0] if self.selection else None
        observer = self._phi_observer(subject, frame) if subject else None
        pair: tuple[str, str] | None = (observer, subject) if observer and subject else None
        if pair != self._phi_pair:
            views.phi.data = {"t": [], "phi": []}
            self._phi_pair = pair
            views.phi_plot.title.text = (
                f"phi of {subject} as seen by {observer}" if pair else "phi: select a node"
            )
        if pair is not None and self.replay_time is None:
            last = views.phi.data["t"]
            if not len(last) or now > last[-1]:
                views.stream_phi(now, self.source.phi(*pair))

    def _draw_readout(self, frame: NodeFrame, states: Sequence[NodeState]) -> None:
        c = self.controls
        when = "replay" if self.replay_time is not None else "t"
        c.time.value = f"<b>{when} = {frame.time:.1f} s</b>"
        leader = frame.leader
        c.leader.value = f"leader: <b>{html.escape(leader) if leader else 'emerging…'}</b>"
        c.converged.value = "converged" if leader else "not converged"
        c.inspector.value = self._inspector_html(states)

    def _inspector_html(self, states: Sequence[NodeState]) -> str:
        if not self.selection:
            return "<i>select a node to inspect its view</i>"
        node_id = self.selection[0]
        state = next((s for s in states if s.node_id == node_id), None)
        if state is None:
            return ""
        head = (
            f"<b>{html.escape(node_id)}</b> · {'up' if state.up else 'down'} · "
            f"follows {state.opinion or '–'} · recognises {state.recognised or '–'} · "
            f"score {state.score:.3f} · generation {state.generation} · "
            f"heartbeat {state.heartbeat}"
        )
        peers = sorted(self.source.peers(node_id), key=lambda p: -p.phi)[:INSPECTOR_ROWS]
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

    # -- export -----------------------------------------------------------------------------

    def save_html(self, path: str | Path, *, frames: int = 120) -> Path:
        """Write a standalone HTML of the recorded run, with its own time slider."""
        from .export import save_run_html

        return save_run_html(self.source, path, positions=self.views.positions, frames=frames)
