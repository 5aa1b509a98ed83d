"""The dashboard's ipywidgets: run controls, live parameter sliders, node and network actions.

This module only builds and arranges widgets; what they do is wired in
:mod:`emergent_lab.widgets.dashboard`. Slider ranges are chosen for teaching:
wide enough to break the protocol (a convergence threshold of 1.0, 50 % loss),
not so wide that the interesting region is a sliver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as w

LEADER_TARGET = "leader"
"""The node target meaning "whoever leads now"."""
AUTO_OBSERVER = "auto"
"""The phi observer meaning "the first up node other than the target"."""


@dataclass(frozen=True)
class ParamSpec:
    """A protocol parameter slider: its label, range and step."""

    label: str
    low: float
    high: float
    step: float
    integer: bool = False


PARAM_SLIDERS: Mapping[str, ParamSpec] = {
    "emergence_threshold": ParamSpec("emergence", 0.0, 0.5, 0.01),
    "convergence_threshold": ParamSpec("convergence", 0.05, 1.0, 0.05),
    "fanout": ParamSpec("fanout", 1, 10, 1, integer=True),
    "gossip_interval": ParamSpec("gossip (s)", 0.1, 5.0, 0.1),
    "detector.threshold": ParamSpec("phi threshold", 1.0, 20.0, 0.5),
    "detector.acceptable_heartbeat_pause": ParamSpec("pause ok (s)", 0.0, 10.0, 0.5),
}
"""Sliders for protocol parameters, by the name ``set_param`` takes."""

_WIDE = w.Layout(width="260px")
_BUTTON = w.Layout(width="auto", min_width="fit-content")


def _slider(description: str, value: float, low: float, high: float, step: float) -> w.FloatSlider:
    return w.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=False,
        readout_format=".2f",
        layout=_WIDE,
        style={"description_width": "90px"},
    )


class Controls:
    """Every widget of the dashboard except the Bokeh figures.

    Args:
        weights: the score weights in force (one slider each).
        params: current values of the parameters in :data:`PARAM_SLIDERS`.
        loss: the message loss in force.
        seed: the cluster's seed.
        nodes: the cluster's size.
        node_ids: targets for the node actions.
        speed: virtual seconds per real second while playing.
        interval: real seconds between frames.
    """

    def __init__(
        self,
        *,
        weights: Mapping[str, float],
        params: Mapping[str, float],
        loss: float,
        seed: int,
        nodes: int,
        node_ids: list[str],
        speed: float,
        interval: float,
    ) -> None:
        self.reset = w.Button(description="Reset", icon="undo", layout=_BUTTON)
        self.play = w.Button(
            description="Play", icon="play", button_style="success", layout=_BUTTON
        )
        self.step = w.Button(description="Step", icon="step-forward", layout=_BUTTON)
        self.speed = w.FloatLogSlider(
            value=speed,
            base=10,
            min=-1,
            max=2,
            step=0.05,
            description="speed (s/s)",
            layout=_WIDE,
            style={"description_width": "90px"},
        )
        self.interval = _slider("frame (s)", interval, 0.05, 1.0, 0.05)
        self.seed = w.BoundedIntText(
            value=seed, min=0, max=2**31 - 1, description="seed", layout=w.Layout(width="150px")
        )
        self.nodes = w.BoundedIntText(
            value=nodes, min=1, max=5000, description="nodes", layout=w.Layout(width="150px")
        )
        self.time = w.HTML()
        self.leader = w.HTML()
        self.leader.add_class("emergent-leader")
        self.converged = w.HTML()
        self.converged.add_class("emergent-converged")
        self.message = w.HTML()
        self.message.add_class("emergent-message")

        self.weights = {
            name: _slider(name, value, 0.0, 1.0, 0.01) for name, value in weights.items()
        }
        self.params: dict[str, w.FloatSlider | w.IntSlider] = {}
        for name, spec in PARAM_SLIDERS.items():
            if spec.integer:
                self.params[name] = w.IntSlider(
                    value=int(params[name]),
                    min=int(spec.low),
                    max=int(spec.high),
                    description=spec.label,
                    continuous_update=False,
                    layout=_WIDE,
                    style={"description_width": "90px"},
                )
            else:
                self.params[name] = _slider(
                    spec.label, params[name], spec.low, spec.high, spec.step
                )
        self.loss = _slider("loss", loss, 0.0, 0.9, 0.01)

        self.target = w.Dropdown(
            options=[LEADER_TARGET, *node_ids],
            value=LEADER_TARGET,
            description="node",
            layout=w.Layout(width="180px"),
        )
        self.kill = w.Button(
            description="kill", icon="times", button_style="danger", layout=_BUTTON
        )
        self.revive = w.Button(description="revive", icon="heartbeat", layout=_BUTTON)
        self.pause = w.Button(description="pause", icon="pause", layout=_BUTTON)
        self.pause_seconds = w.BoundedFloatText(
            value=5.0, min=0.1, max=600, description="for (s)", layout=w.Layout(width="140px")
        )
        self.boost = w.Button(description="make candidate", icon="arrow-up", layout=_BUTTON)
        self.split = w.Button(description="split in half", icon="columns", layout=_BUTTON)
        self.partition = w.Button(
            description="partition selection", icon="object-ungroup", layout=_BUTTON
        )
        self.heal = w.Button(description="heal", icon="link", layout=_BUTTON)
        self.burst = w.Button(description="loss burst", icon="bolt", layout=_BUTTON)
        self.burst_loss = w.BoundedFloatText(
            value=0.5,
            min=0.0,
            max=1.0,
            step=0.05,
            description="loss",
            layout=w.Layout(width="130px"),
        )
        self.burst_seconds = w.BoundedFloatText(
            value=10.0, min=0.1, max=600, description="for (s)", layout=w.Layout(width="140px")
        )
        self.observer = w.Dropdown(
            options=[AUTO_OBSERVER, *node_ids],
            value=AUTO_OBSERVER,
            description="phi seen by",
            layout=w.Layout(width="200px"),
        )
        self.inspector = w.HTML()
        self.replay = w.FloatSlider(
            value=0.0,
            min=0.0,
            max=0.0,
            step=0.1,
            description="replay t",
            continuous_update=True,
            disabled=True,
            layout=w.Layout(width="520px"),
        )
        self.live = w.Button(description="live", icon="circle", layout=_BUTTON, disabled=True)

    def set_node_ids(self, node_ids: list[str]) -> None:
        """Offer these nodes as targets (after a reset or a join)."""
        options = [LEADER_TARGET, *node_ids]
        if list(self.target.options) != options:
            keep = self.target.value if self.target.value in options else LEADER_TARGET
            self.target.options = options
            self.target.value = keep
            seen = self.observer.value if self.observer.value in node_ids else AUTO_OBSERVER
            self.observer.options = [AUTO_OBSERVER, *node_ids]
            self.observer.value = seen

    def layout(self, figures: w.Widget) -> w.Widget:
        """Arrange the controls around the figures."""
        wrap = w.Layout(flex_flow="row wrap")
        run = w.HBox(
            [self.reset, self.play, self.step, self.speed, self.interval, self.seed, self.nodes],
            layout=wrap,
        )
        for item in (self.time, self.leader, self.converged):
            item.layout.margin = "0 24px 0 0"
        readout = w.HBox([self.time, self.leader, self.converged])
        weights = w.VBox([w.HTML("<b>score weights</b>"), *self.weights.values()])
        params = w.VBox([w.HTML("<b>protocol</b>"), *self.params.values(), self.loss])
        node = w.VBox(
            [
                w.HTML("<b>node</b> (click one in the network view)"),
                self.target,
                w.HBox([self.kill, self.revive, self.boost]),
                w.HBox([self.pause, self.pause_seconds]),
                self.observer,
            ]
        )
        network = w.VBox(
            [
                w.HTML("<b>network</b> (box/lasso-select a group)"),
                w.HBox([self.split, self.partition, self.heal]),
                w.HBox([self.burst, self.burst_loss, self.burst_seconds]),
            ]
        )
        side = w.VBox([weights, params], layout=w.Layout(width="290px"))
        node.layout.margin = "0 24px 0 0"
        actions = w.HBox([node, network])
        main = w.VBox([figures, actions, w.HBox([self.replay, self.live]), self.inspector])
        return w.VBox([run, readout, self.message, w.HBox([main, side], layout=wrap)])
