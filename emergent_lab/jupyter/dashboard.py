"""The live dashboard: one widget that plays, perturbs, inspects and replays a cluster.

``Dashboard`` is the composition and the public API (``advance``, ``kill``,
``replay``, ``continue_from_here``…). The work is done by three parts, each
with one job: the :class:`~.controller.Controller` turns clicks and slider
moves into those calls, the :class:`~.renderer.Renderer` draws a frame into
the Bokeh views (inside one ``BatchedBokehModel``, so the browser gets one
patch per frame) and the readout, and :class:`~.replay.Replay` rebuilds past
moments and forks the run. Its verbs come in two mixins: playing (Play,
Pause, Step, the played frames: :mod:`.playing`) and acting on nodes
(:mod:`.actions`). The dashboard draws its first frame before it is shown, so
a freshly displayed dashboard is complete before anyone presses Play.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from time import monotonic
from typing import Any, cast

import ipywidgets as w
import numpy as np

from emergent_lab.array.cluster import ArrayCluster
from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.checks import check_number
from emergent_lab.exact import SimCluster
from emergent_lab.live.sources import scenario_source, source_for
from emergent_lab.run.source import ClusterSource, Rebuildable, capabilities_of
from emergent_lab.scenario import Scenario, load_scenario, parse_scenario

from .actions import NodeActions
from .bokeh_model import BatchedBokehModel
from .controller import Controller
from .controls import INTERVAL_RANGE, PARAM_SLIDERS, SPEED_RANGE, Controls
from .flock import Flock
from .frame import live_frame, recorded_frame
from .layout import extend_positions, node_positions
from .player import FramePacer, Player
from .playing import Playing
from .renderer import Renderer, Scene
from .replay import Replay
from .sequence_panel import SequencePanel, follow_source, no_panel_hint, panel_for
from .serial import FairLock, serialized
from .views import DashboardViews

DASHBOARD_HINT = "▶ Run this cell to open the live dashboard."
"""What a saved lesson shows where a dashboard was: the hint to run its cell."""


class Dashboard(Playing, NodeActions, w.VBox):  # type: ignore[misc]
    """A live view of a cluster with controls, for JupyterLab.

    Args:
        cluster: a simulated cluster of either engine, or any
            :class:`ClusterSource` (a real cluster); Reset needs a simulated
            one. An :class:`ArrayCluster` is drawn as a sample of its nodes
            (:class:`ArrayClusterSource`; pass one to choose its ``limit``).
        speed: virtual seconds per real second while playing.
        interval: real seconds between frames while playing.
        messages: show the message-sequence panel with its "why?" button (on by
            default; it reads a run recording causality, which
            :meth:`from_scenario` switches on; ``False`` leaves it out).
    """

    def __init__(
        self,
        cluster: SimCluster | ArrayCluster | ClusterSource,
        *,
        speed: float = 2.0,
        interval: float = 0.1,
        messages: bool = True,
    ) -> None:
        self.lock = FairLock()
        """Taken by every action, callback and tick (:mod:`.serial`); first, so that
        closing a dashboard refused half-built takes it too."""
        # Checked against what the sliders offer: a slider would clamp anything else silently.
        check_number("speed", speed, low=SPEED_RANGE[0], high=SPEED_RANGE[1])
        check_number("interval", interval, low=INTERVAL_RANGE[0], high=INTERVAL_RANGE[1])
        if not isinstance(messages, bool):
            raise ValueError(f"messages: must be True or False (got {messages!r})")
        if not isinstance(cluster, (SimCluster, ArrayCluster, ClusterSource)):
            raise ValueError(
                "cluster: must be a SimCluster, an ArrayCluster or a ClusterSource "
                f"(got {type(cluster).__name__})"
            )
        source = source_for(cluster)
        self.source: ClusterSource = source
        self.selection: list[str] = []
        self.replay_time: float | None = None
        self.pacer = FramePacer()
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
        self.renderer = Renderer(self.views, self.controls)
        self._start_tracking()
        self.figures = BatchedBokehModel(
            self.views.layout, lock=self.lock, layout=w.Layout(min_width="610px")
        )
        self.charts = BatchedBokehModel(
            self.views.time_layout, lock=self.lock, layout=w.Layout(min_width="680px")
        )
        self.player = Player(
            self._play_frame,
            speed=lambda: float(self.controls.speed.value),
            interval=lambda: float(self.controls.interval.value),
            on_error=self._play_failed,
            lock=self.lock,
        )
        # Not under the lock: the browser acknowledges every frame, and an
        # acknowledgement waiting for the tick under way would hold up the clicks
        # queued behind it (Pause answered after 5-10 s at 1,000 nodes).
        self.views.flock.on_change("tags", self.pacer.acknowledged)
        self.controller = Controller(self)
        self.controller.wire()
        self.controls.reset.disabled = not capabilities_of(self.source).max_size
        self.controller.disable_unsupported()
        self.sequence = panel_for(source, lock=self.lock) if messages else None
        extra = [self.sequence.widget] if self.sequence is not None else []
        if messages and self.sequence is None:
            extra = [w.HTML(hint)] if (hint := no_panel_hint(source)) else []
        super().__init__(children=[self.controls.layout(self.figures, self.charts), *extra])
        self.render()

    @classmethod
    def from_scenario(
        cls, scenario: str | Path | Scenario, *, seed: int | None = None, **options: Any
    ) -> Dashboard:
        """A dashboard on a scenario's cluster (a built-in name, a TOML path or a Scenario).

        The scenario's timeline is scheduled; it unfolds as the dashboard plays.
        ``[cluster] engine = "array"`` builds an array-engine cluster, drawn
        as a sample of its nodes. An exact-engine run records causality
        (the message panel and "why?" read it) unless ``messages=False``.
        """
        if isinstance(scenario, Scenario):
            loaded = scenario.with_seed(seed) if seed is not None else scenario
        else:
            loaded = load_scenario(scenario, seed=seed)
        messages = (
            bool(options.get("messages", True))
            and loaded.engine.engine != "array"
            and loaded.config.causes_recordable
        )
        if messages and not loaded.config.causality:  # the panel reads causes
            run = {**loaded.source.get("run", {}), "causality": True}
            loaded = parse_scenario({**loaded.source, "run": run}, name=loaded.name)
        return cls(scenario_source(loaded), **options)

    # -- setup ------------------------------------------------------------------------

    def _layout_positions(self, ids: Sequence[str]) -> FloatArray:
        return node_positions(ids, capabilities_of(self.source).graph, self.source.seed)

    def _show_size(self) -> None:
        """Show the cluster's size in *nodes*, not the drawn count, for a sampled source."""
        can = capabilities_of(self.source)
        if can.size is not None:
            self.controls.nodes.max = can.max_size
            self.controls.nodes.value = can.size

    def _start_tracking(self) -> None:
        """Per-source bookkeeping: the flock and replay's checkpoints."""
        self.flock = Flock(len(self.source.node_ids()), self.source.seed)
        self.replay_record = Replay(self.source)

    # -- running ------------------------------------------------------------------------

    @serialized
    def reset(self) -> None:
        """Rebuild the cluster from the seed and size fields and the parameters in force."""
        if not capabilities_of(self.source).max_size:
            raise ValueError("reset: only a simulated cluster can be rebuilt")
        was_playing = self.playing
        self.player.stop()
        self.source = cast(Rebuildable, self.source).rebuilt(
            int(self.controls.seed.value), int(self.controls.nodes.value)
        )
        ids = list(self.source.node_ids())
        self.controls.set_node_ids(ids)
        self.views.positions = self._layout_positions(ids)
        self._start_tracking()
        with self.controller.quietly():
            self.views.nodes.selected.indices = []
        self.selection = []
        self._leave_replay()
        with self.figures.frame(), self.charts.frame():
            self.renderer.restart()
            self.renderer.narrator.truncate(-1.0)
        self.controller.say(f"reset: {len(ids)} nodes, seed {self.source.seed}")
        if was_playing:
            self.play()

    @serialized
    def close(self) -> None:
        """Stop playing and close every widget.

        ipywidgets also calls this from ``__del__`` on a dashboard whose
        ``__init__`` refused its arguments, so it closes only the parts built.
        """
        if hasattr(self, "player"):
            self.player.stop()
            self.figures.close()
            self.charts.close()
        sequence: SequencePanel | None = getattr(self, "sequence", None)
        if sequence is not None:
            sequence.close()
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display: load BokehJS from the installed package, stop a play task, send the frame.

        ``BokehModel`` views need BokehJS in the page and do not bring it;
        ``load_bokehjs`` puts it there inline (nothing is fetched from outside
        the machine), once per browser page. The state of the figures and of the
        message panel is serialised afresh, so the new view starts from the frame
        drawn last, not from the document as it was built (a dashboard advanced
        before it is displayed showed its message panel at 0 s).
        A saved notebook without widget state shows the one-line hint instead
        of a raw widget repr.
        """
        from emergent_lab.jupyter.bokehjs import load_bokehjs

        if self.playing:
            self.pause()
        load_bokehjs()
        self.figures.refresh_bundle()
        self.charts.refresh_bundle()
        if self.sequence is not None:
            self.sequence.model.refresh_bundle()
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and "text/plain" in bundle:
            bundle["text/plain"] = DASHBOARD_HINT
        return bundle

    # -- replay ---------------------------------------------------------------------------

    @serialized
    def replay(self, time: float) -> None:
        """Redraw every view as it was at virtual ``time`` (pauses first)."""
        check_number("replay", time, low=0, high=self.source.time)
        if self.playing:
            self.pause()
        self.replay_time = float(time)
        c = self.controls
        for widget in c.actions():
            widget.disabled = True
        c.live.disabled = False
        c.fork.disabled = not self.replay_record.forkable
        with self.controller.quietly():
            c.replay.value = float(time)
        self.controller.say(
            f"replaying t = {time:.1f} s: press live to return, or continue from here"
            if self.replay_record.forkable
            else f"replaying t = {time:.1f} s from the records: press live to return"
        )
        self.render()

    @serialized
    def live(self) -> None:
        """Leave replay: draw the cluster as it is now."""
        self._leave_replay()
        self.render()

    def _leave_replay(self) -> None:
        self.replay_time = None
        c = self.controls
        for widget in c.actions():
            widget.disabled = False
        self.controller.disable_unsupported()
        c.live.disabled = True
        c.fork.disabled = True
        c.step.disabled = self.playing

    @serialized
    def continue_from_here(self) -> None:
        """Fork the run at the replayed moment and make it live; its old future is dropped.

        The fork is the same seed with the same actions up to that moment, so
        it is the run a fresh cluster would give with those actions.
        """
        time = self.replay_time
        if time is None:
            raise ValueError("continue: drag the replay slider to a moment first")
        self.source = self.replay_record.continue_from(time)
        self.flock.position = self.replay_record.flock_at(time, self.flock.position).copy()
        self._leave_replay()
        with self.figures.frame(), self.charts.frame():
            self.renderer.restart()
            self.renderer.narrator.truncate(time)
        self.controller.say(f"continued from t = {time:.1f} s; the later history is dropped")
        self.render()

    # -- drawing --------------------------------------------------------------------------

    @serialized
    def render(
        self, flock_seconds: float = 0.0, *, charts: bool = True, messages: bool = True
    ) -> None:
        """Compute and push one frame of every view (batched into one patch per model).

        Args:
            flock_seconds: virtual seconds the flock integrates first (the time
                the cluster just advanced).
            charts: redraw the time plots too.
            messages: bring the message panel (if shown) to this moment too.
        """
        number = self.pacer.drawn(monotonic(), charts=charts)
        with self.figures.frame(), self.charts.frame():
            states = self.source.nodes()
            ids = [s.node_id for s in states]
            self._grow(ids)
            time = self.replay_time
            if time is None:
                frame = live_frame(self.source, states)
                self.flock.advance(flock_seconds, frame.follows, frame.up)
                self.replay_record.remember_flock(frame.time, self.flock.position)
                self.replay_record.remember(self.source)
                scene = Scene(self.source, self.source, frame, states, replaying=False)
                birds = self.flock.position
            else:
                past = self.replay_record.at(time)
                if past is not None:
                    past_states = past.nodes()
                    scene = Scene(
                        self.source,
                        past,
                        live_frame(past, past_states),
                        past_states,
                        replaying=True,
                    )
                else:
                    scores = np.array([s.score for s in states], dtype=float)
                    frame = recorded_frame(self.source, time, scores)
                    scene = Scene(self.source, None, frame, states, replaying=True)
                birds = self.replay_record.flock_at(time, self.flock.position)
            self.renderer.draw(scene, birds, self.selection, charts=charts)
            self.views.network.tags = [number]
        self._sync_sliders()
        if messages:  # after the frame has gone out: the panel is read from the record
            self._follow_messages(scene.shown)

    def _follow_messages(self, shown: ClusterSource | None) -> None:
        node = self.selection[0] if self.selection else None
        follow_source(self.sequence, shown, node, playing=self.playing)

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
        with self.controller.quietly():
            for slider, value in in_force:
                if slider.value != value:
                    slider.value = value

    def _grow(self, ids: list[str]) -> None:
        """Make room for nodes that joined since the last frame."""
        if len(ids) > self.views.positions.shape[0]:
            self.views.positions = extend_positions(self.views.positions, len(ids))
            self.controls.set_node_ids(ids)
        self.flock.grow(len(ids))

    # -- export -----------------------------------------------------------------------------

    @serialized
    def save_html(self, path: str | Path, *, frames: int = 120) -> Path:
        """Write a standalone HTML of the recorded run, with its own time slider."""
        from .export import save_run_html

        return save_run_html(self.source, path, positions=self.views.positions, frames=frames)
