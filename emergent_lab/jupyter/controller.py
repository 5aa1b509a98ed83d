"""The controller: what each button, slider and tap does to the dashboard.

Every handler goes through one of two doors: :meth:`Controller.guard` for
buttons (bad input becomes a red message, never a traceback) and
:meth:`Controller.apply` for live sliders (a refused value puts the slider
back and changes nothing). Changes the dashboard makes to its own widgets
are made under :meth:`Controller.quietly`, so they are not mistaken for the
user's (a slider put back, the replay slider moved when pausing).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from emergent_lab.run.source import capabilities_of

from .serial import locked

if TYPE_CHECKING:
    from .dashboard import Dashboard

Change = dict[str, Any]


class Controller:
    """Wires the dashboard's widgets to its actions."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.dash = dashboard
        self.syncing = False

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Change widgets without their observers acting on it."""
        was, self.syncing = self.syncing, True
        try:
            yield
        finally:
            self.syncing = was

    def wire(self) -> None:
        """Connect every control once; each callback runs under the dashboard's lock.

        ipykernel 7 calls widget callbacks on a subshell thread, beside the
        play task and the user's cells (:mod:`.serial`).
        """
        d = self.dash
        c = d.controls

        def click(button: w.Button, action: Callable[[], Any]) -> None:
            button.on_click(locked(d.lock, lambda _: self.guard(action)))

        def watch(widget: w.Widget, observer: Callable[[Change], None]) -> None:
            widget.observe(locked(d.lock, observer), names="value")

        c.play.on_click(locked(d.lock, lambda _: d.pause() if d.playing else self.guard(d.play)))
        click(c.step, d.step)
        click(c.reset, d.reset)
        for name, slider in c.weights.items():
            watch(slider, self._weight_observer(name))
        for name, slider in c.params.items():
            watch(slider, self._param_observer(name))
        watch(c.loss, lambda change: self.apply(c.loss, change, lambda v: d.source.loss(v)))
        click(c.kill, d.kill)
        click(c.revive, d.revive)
        click(c.pause, lambda: d.pause_node(c.pause_seconds.value))
        click(c.boost, d.boost)
        click(c.split, lambda: d.partition("half"))
        click(c.partition, d.partition_selection)
        click(c.heal, d.heal)
        click(c.burst, lambda: d.loss_burst(c.burst_loss.value, c.burst_seconds.value))
        watch(c.gossip, lambda _: d.render())
        watch(c.target, self._on_target)
        watch(c.observer, lambda _: d.render())
        watch(c.replay, self._on_replay_slider)
        click(c.live, d.live)
        click(c.fork, d.continue_from_here)
        d.views.nodes.selected.on_change("indices", locked(d.lock, self._on_selection))

    def disable_unsupported(self) -> None:
        """Grey out the controls of verbs the source refuses, and say why once."""
        refused = sorted(capabilities_of(self.dash.source).refused)
        c = self.dash.controls
        widgets: dict[str, list[w.Widget]] = {
            "pause": [c.pause, c.pause_seconds],
            "set_weights": list(c.weights.values()),
            "set_param": list(c.params.values()),
            "partition": [c.split, c.partition],
            "heal": [c.heal],
            "loss": [c.loss, c.burst, c.burst_loss, c.burst_seconds],
        }
        for action in refused:
            for widget in widgets.get(action, []):
                widget.disabled = True
        if refused:
            self.say(f"this cluster cannot {', '.join(refused)}: those controls are disabled")

    # -- the two doors ------------------------------------------------------------------

    def guard(self, action: Callable[[], Any]) -> None:
        """Run a button's action; bad input becomes a message, not a traceback."""
        try:
            action()
        except (ValueError, KeyError) as error:
            self.refuse(error)
            return
        self.dash.render()

    def apply(self, slider: w.Widget, change: Change, apply: Callable[[Any], None]) -> None:
        """Apply a slider's new value live; on bad input, say why and put the slider back."""
        if self.syncing:
            return
        try:
            if self.dash.replay_time is not None:
                raise ValueError(
                    f"{slider.description}: replaying; press live or continue from here first"
                )
            apply(change["new"])
            self.dash.changed()
        except ValueError as error:
            self.refuse(error)
            with self.quietly():
                slider.value = change["old"]
            return
        self.say(f"{slider.description} = {change['new']:g}: marked on the timeline")
        self.dash.render()

    def _weight_observer(self, name: str) -> Callable[[Change], None]:
        slider = self.dash.controls.weights[name]
        return lambda change: self.apply(
            slider, change, lambda value: self.dash.source.set_weights({name: value})
        )

    def _param_observer(self, name: str) -> Callable[[Change], None]:
        slider = self.dash.controls.params[name]
        return lambda change: self.apply(
            slider, change, lambda value: self.dash.source.set_param(name, value)
        )

    # -- messages -----------------------------------------------------------------------

    def say(self, text: str, *, error: bool = False) -> None:
        """Show one line under the actions (red for a refusal)."""
        colour = "#b00020" if error else "#555555"
        self.dash.controls.message.value = (
            f'<span style="color:{colour}">{html.escape(text)}</span>'
        )

    def refuse(self, error: Exception) -> None:
        """Say why an action was refused."""
        self.say(f"refused: {str(error).strip(chr(39))}", error=True)

    # -- selection and replay -------------------------------------------------------------

    def _on_selection(self, attr: str, old: list[int], new: list[int]) -> None:
        d = self.dash
        ids = list(d.source.node_ids())
        selection = [ids[i] for i in new if 0 <= i < len(ids)]
        changed = selection != d.selection
        d.selection = selection
        if self.syncing or not changed:
            return
        if len(selection) == 1:
            with self.quietly():
                d.controls.target.value = selection[0]
        d.render()

    def _on_target(self, change: Change) -> None:
        if self.syncing:
            return
        d = self.dash
        value = change["new"]
        ids = list(d.source.node_ids())
        with self.quietly():
            d.views.nodes.selected.indices = [ids.index(value)] if value in ids else []
        d.selection = [value] if value in ids else []
        d.render()

    def _on_replay_slider(self, change: Change) -> None:
        """A drag of the replay slider (not its echo when the dashboard moved it)."""
        d = self.dash
        if self.syncing or d.playing:
            return
        new = float(change["new"])
        step = float(d.controls.replay.step)
        if d.replay_time is None and abs(new - d.source.time) <= step:
            # The browser sends back the value rounded to the slider's step: not a drag.
            return
        self.guard(lambda: d.replay(min(new, d.source.time)))
