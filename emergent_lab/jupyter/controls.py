"""The dashboard's ipywidgets: run controls, live parameter sliders, node and network actions.

This module only builds and arranges widgets; what they do is wired in
:mod:`emergent_lab.jupyter.controller`. Slider ranges are chosen for teaching:
wide enough to break the protocol (a convergence threshold of 1.0, 50 % loss),
not so wide that the interesting region is a sliver. The arrangement fits a
1280×800 laptop with JupyterLab's file browser open: play controls and the
readout on one line, the network and flock views with the sliders beside
them, the node actions right under the views, then the event log and the key.
Every control carries a tooltip saying what it does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as w

from emergent_lab.run.config import LEADER

"""The node target meaning "whoever leads now"."""
AUTO_OBSERVER = "auto"
SPEED_RANGE = (0.1, 100.0)
"""Virtual seconds per real second the speed slider offers (a logarithmic scale)."""
INTERVAL_RANGE = (0.05, 1.0)
"""Real seconds between drawn frames the frame slider offers."""
"""The phi observer meaning "the first up node other than the target"."""


@dataclass(frozen=True)
class ParamSpec:
    """A protocol parameter slider: its label, range, step and what it means."""

    label: str
    low: float
    high: float
    step: float
    tooltip: str
    integer: bool = False


PARAM_SLIDERS: Mapping[str, ParamSpec] = {
    "emergence_threshold": ParamSpec(
        "emergence", 0.0, 0.5, 0.01, "a node switches leader only for a score this much better"
    ),
    "convergence_threshold": ParamSpec(
        "convergence", 0.05, 1.0, 0.05, "share of live members that must agree to recognise"
    ),
    "fanout": ParamSpec("fanout", 1, 10, 1, "peers each node gossips with per round", True),
    "gossip_interval": ParamSpec("gossip (s)", 0.1, 5.0, 0.1, "seconds between gossip rounds"),
    "detector.threshold": ParamSpec(
        "phi threshold", 1.0, 20.0, 0.5, "phi above which a peer is believed dead"
    ),
    "detector.acceptable_heartbeat_pause": ParamSpec(
        "pause ok (s)", 0.0, 10.0, 0.5, "heartbeat silence the detector tolerates"
    ),
}
"""Sliders for protocol parameters, by the name ``set_param`` takes."""

_SIDE = "250px"
_WIDE = w.Layout(width="240px")
_BUTTON = w.Layout(width="auto", min_width="fit-content")
_LABEL = {"description_width": "82px"}
KEY_HTML = (
    '<div class="emergent-key" style="font-size:12px;line-height:1.5">'
    "<b>key</b><br>"
    "★ recognised leader · ◆ acts as leader (not recognised by all)<br>"
    "● node, coloured as the leader it follows · "
    '<span style="color:#b0b0b0">●</span> no leader yet (joining)<br>'
    "▲ suspected by a peer · × down · bigger = higher score<br>"
    "lines: gossip (SYN) in the last 2 s · dashed lines on plots: events"
    "</div>"
)
"""What every mark, colour and size means, shown beside the event log."""


def _slider(
    description: str, value: float, low: float, high: float, step: float, tooltip: str = ""
) -> w.FloatSlider:
    return w.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        tooltip=tooltip or None,
        continuous_update=False,
        readout_format=".2f",
        layout=_WIDE,
        style=_LABEL,
    )


def _button(description: str, icon: str, tooltip: str, style: str = "") -> w.Button:
    return w.Button(
        description=description, icon=icon, tooltip=tooltip, button_style=style, layout=_BUTTON
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
        self.reset = _button(
            "Reset", "undo", "rebuild the cluster from seed and nodes (same seed, same run)"
        )
        self.play = _button(
            "Play", "play", "advance virtual time live; press again to pause", "success"
        )
        self.step = _button("Step", "step-forward", "advance one gossip round")
        self.speed = w.FloatLogSlider(
            value=speed,
            base=10,
            min=math.log10(SPEED_RANGE[0]),
            max=math.log10(SPEED_RANGE[1]),
            step=0.05,
            description="speed (s/s)",
            tooltip="virtual seconds per real second while playing",
            layout=_WIDE,
            style=_LABEL,
        )
        self.interval = _slider(
            "frame (s)", interval, *INTERVAL_RANGE, 0.05, "real seconds between drawn frames"
        )
        self.seed = w.BoundedIntText(
            value=seed,
            min=0,
            max=2**31 - 1,
            description="seed",
            tooltip="seed used by Reset",
            layout=w.Layout(width="160px"),
            style={"description_width": "50px"},
        )
        self.nodes = w.BoundedIntText(
            value=nodes,
            min=1,
            max=5000,
            description="nodes",
            tooltip="cluster size for Reset",
            layout=w.Layout(width="160px"),
            style={"description_width": "50px"},
        )
        self.time = w.HTML()
        self.time.add_class("emergent-time")
        self.pace = w.HTML()
        self.pace.add_class("emergent-pace")
        self.leader = w.HTML()
        self.leader.add_class("emergent-leader")
        self.converged = w.HTML()
        self.converged.add_class("emergent-converged")
        self.message = w.HTML()
        self.message.add_class("emergent-message")
        self.log = w.HTML(layout=w.Layout(width="100%"))
        self.log.add_class("emergent-log")
        self.key = w.HTML(KEY_HTML)

        self.weights = {
            name: _slider(name, value, 0.0, 1.0, 0.01, f"weight of {name} in the score")
            for name, value in weights.items()
        }
        self.params: dict[str, w.FloatSlider | w.IntSlider] = {}
        for name, spec in PARAM_SLIDERS.items():
            if spec.integer:
                self.params[name] = w.IntSlider(
                    value=int(params[name]),
                    min=int(spec.low),
                    max=int(spec.high),
                    description=spec.label,
                    tooltip=spec.tooltip,
                    continuous_update=False,
                    layout=_WIDE,
                    style=_LABEL,
                )
            else:
                self.params[name] = _slider(
                    spec.label, params[name], spec.low, spec.high, spec.step, spec.tooltip
                )
        self.loss = _slider("loss", loss, 0.0, 0.9, 0.01, "probability that a message is lost")

        self.target = w.Dropdown(
            options=[LEADER, *node_ids],
            value=LEADER,
            description="node",
            tooltip="the node the actions apply to ('leader': whoever leads now)",
            layout=w.Layout(width="150px"),
            style={"description_width": "40px"},
        )
        self.kill = _button("kill", "times", "crash the node", "danger")
        self.revive = _button("revive", "heartbeat", "restart a crashed node (new generation)")
        self.pause = _button("pause", "pause", "stall the node (like a GC pause), then resume")
        self.pause_seconds = w.BoundedFloatText(
            value=5.0,
            min=0.1,
            max=600,
            description="for (s)",
            tooltip="length of the stall",
            layout=w.Layout(width="115px"),
            style={"description_width": "45px"},
        )
        self.boost = _button("make candidate", "arrow-up", "give the node the best metrics")
        self.split = _button("split in half", "columns", "partition the network in two halves")
        self.partition = _button(
            "partition selection", "object-ungroup", "cut the box/lasso-selected nodes off"
        )
        self.heal = _button("heal", "link", "end every partition")
        self.burst = _button("loss burst", "bolt", "lose messages for a while")
        self.burst_loss = w.BoundedFloatText(
            value=0.5,
            min=0.0,
            max=1.0,
            step=0.05,
            description="loss",
            tooltip="loss probability during the burst",
            layout=w.Layout(width="105px"),
            style={"description_width": "35px"},
        )
        self.burst_seconds = w.BoundedFloatText(
            value=10.0,
            min=0.1,
            max=600,
            description="for (s)",
            tooltip="length of the burst",
            layout=w.Layout(width="115px"),
            style={"description_width": "45px"},
        )
        self.gossip = w.Checkbox(
            value=nodes <= 100,
            description="gossip lines",
            tooltip="draw the gossip messages of the last 2 s",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self.observer = w.Dropdown(
            options=[AUTO_OBSERVER, *node_ids],
            value=AUTO_OBSERVER,
            description="phi seen by",
            tooltip="whose failure detector the phi plot shows",
            layout=w.Layout(width="190px"),
            style={"description_width": "70px"},
        )
        self.inspector = w.HTML()
        self.inspector.add_class("emergent-inspector")
        self.replay = w.FloatSlider(
            value=0.0,
            min=0.0,
            max=0.0,
            step=0.1,
            description="replay t",
            tooltip="drag to redraw any recorded moment (pause first)",
            continuous_update=False,
            disabled=True,
            readout_format=".1f",
            layout=w.Layout(width="420px"),
            style={"description_width": "60px"},
        )
        self.live = _button("live", "circle", "leave replay: show the cluster as it is now")
        self.live.disabled = True
        self.fork = _button(
            "continue from here",
            "code-branch",
            "fork the run at the replayed moment and drop its future (same seed, same actions)",
        )
        self.fork.disabled = True

    def set_node_ids(self, node_ids: list[str]) -> None:
        """Offer these nodes as targets (after a reset or a join)."""
        options = [LEADER, *node_ids]
        if list(self.target.options) != options:
            keep = self.target.value if self.target.value in options else LEADER
            self.target.options = options
            self.target.value = keep
            seen = self.observer.value if self.observer.value in node_ids else AUTO_OBSERVER
            self.observer.options = [AUTO_OBSERVER, *node_ids]
            self.observer.value = seen

    def actions(self) -> list[w.Widget]:
        """The controls that act on the cluster (disabled while replaying)."""
        return [
            self.step,
            self.kill,
            self.revive,
            self.pause,
            self.boost,
            self.split,
            self.partition,
            self.heal,
            self.burst,
            *self.weights.values(),
            *self.params.values(),
            self.loss,
        ]

    def layout(self, views: w.Widget, plots: w.Widget) -> w.Widget:
        """Arrange the controls around the network/flock ``views`` and the time ``plots``."""
        for item in (self.time, self.pace, self.leader, self.converged):
            item.layout.margin = "0 14px 0 0"
        run = w.HBox(
            [self.play, self.step, self.time, self.pace, self.leader, self.converged],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        sliders = w.VBox(
            [
                w.HTML("<b>protocol</b> (applies live)"),
                *self.params.values(),
                self.loss,
                w.HTML("<b>score weights</b>"),
                *self.weights.values(),
                w.HTML("<b>run</b>"),
                self.speed,
                self.interval,
                w.HBox([self.seed, self.reset]),
                self.nodes,
            ],
            layout=w.Layout(width=_SIDE, max_height="330px", overflow="auto"),
        )
        node = w.HBox(
            [self.target, self.kill, self.revive, self.boost, self.pause, self.pause_seconds],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        network = w.HBox(
            [
                self.split,
                self.partition,
                self.heal,
                self.burst,
                self.burst_loss,
                self.burst_seconds,
                self.gossip,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        replay = w.HBox([self.replay, self.live, self.fork], layout=w.Layout(flex_flow="row wrap"))
        story = w.HBox(
            [
                w.VBox(
                    [w.HTML("<b>what just happened</b>"), self.log],
                    layout=w.Layout(width="58%", min_height="150px"),
                ),
                w.VBox([self.key], layout=w.Layout(width="42%")),
            ],
        )
        top = w.HBox([views, sliders], layout=w.Layout(align_items="flex-start"))
        return w.VBox(
            [
                run,
                top,
                node,
                network,
                self.message,
                replay,
                story,
                w.HBox([self.inspector, self.observer]),
                plots,
            ],
            layout=w.Layout(max_width="900px"),
        )
