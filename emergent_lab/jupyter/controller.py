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
        """Connect every control once."""
        d = self.dash
        c = d.controls
        c.play.on_click(lambda _: d.pause() if d.playing else self.guard(d.play))
        c.step.on_click(lambda _: self.guard(d.step))
        c.reset.on_click(lambda _: self.guard(d.reset))
        for name, slider in c.weights.items():
            slider.observe(self._weight_observer(name), names="value")
        for name, slider in c.params.items():
            slider.observe(self._param_observer(name), names="value")
        c.loss.observe(
            lambda change: self.apply(c.loss, change, lambda v: d.source.loss(v)), names="value"
        )
        c.kill.on_click(lambda _: self.guard(d.kill))
        c.revive.on_click(lambda _: self.guard(d.revive))
        c.pause.on_click(lambda _: self.guard(lambda: d.pause_node(c.pause_seconds.value)))
        c.boost.on_click(lambda _: self.guard(d.boost))
        c.split.on_click(lambda _: self.guard(lambda: d.partition("half")))
        c.partition.on_click(lambda _: self.guard(d.partition_selection))
        c.heal.on_click(lambda _: self.guard(d.heal))
        c.burst.on_click(
            lambda _: self.guard(lambda: d.loss_burst(c.burst_loss.value, c.burst_seconds.value))
        )
        c.gossip.observe(lambda _: d.render(), names="value")
        c.target.observe(self._on_target, names="value")
        c.observer.observe(lambda _: d.render(), names="value")
        c.replay.observe(self._on_replay_slider, names="value")
        c.live.on_click(lambda _: self.guard(d.live))
        c.fork.on_click(lambda _: self.guard(d.continue_from_here))
        d.views.nodes.selected.on_change("indices", self._on_selection)

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
