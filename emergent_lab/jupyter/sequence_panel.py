"""The message-sequence view inside the dashboard: it follows live time and the replay slider.

Shown by default for a run that records causality
(``Dashboard.from_scenario`` switches it on for the exact engine;
``messages=False`` leaves it out). Reading the window's messages and causal
pasts costs about 80 ms at 50 nodes and 300 ms at 200 (``benchmarks/sequence_view.py``),
so while playing the panel is redrawn at most every ``every`` real seconds, and
less often when a redraw costs more than :data:`PANEL_SHARE` of that time; a
pause, a replayed moment or a new selection redraws it at once. On Pause
it is redrawn after the frame showing where the run stopped, never before
(the dashboard's "pause never jumps back" browser test catches that).
"""

from __future__ import annotations

import math
from time import monotonic

import ipywidgets as w

from emergent_lab.exact import SimCluster
from emergent_lab.exact.lamport import SequenceData, sequence_data
from emergent_lab.live.exact import SimClusterSource
from emergent_lab.run.source import ClusterSource

from .bokeh_model import BatchedBokehModel
from .sequence import SequenceView
from .serial import FairLock

PANEL_SHARE = 0.1
"""While playing, the panel's redraws take at most about this share of the kernel's time."""


class SequencePanel:
    """A :class:`SequenceView` in its own batched Bokeh widget.

    Args:
        cluster: the dashboard's cluster (recording causality).
        span: virtual seconds shown up to the current moment.
        every: real seconds between redraws while playing.
    """

    def __init__(
        self,
        cluster: SimCluster,
        *,
        span: float = 6.0,
        every: float = 1.0,
        lock: FairLock | None = None,
    ) -> None:
        self.every = every
        self.view = SequenceView(
            cluster,
            at=cluster.time,
            span=span,
            data=_window(cluster, cluster.time, span),
            slider=False,
        )
        self.model = BatchedBokehModel(
            self.view.layout, lock=lock, layout=w.Layout(min_width="820px")
        )
        title = w.HTML("<b>messages</b> (the selected node, the leader and their sources)")
        self.widget = w.VBox([title, self.model])
        self._drawn = -math.inf
        self._cost = 0.0
        self._shown: tuple[float, str | None] = (cluster.time, None)

    def follow(self, cluster: SimCluster, time: float, node: str | None, *, playing: bool) -> None:
        """Show ``cluster`` at ``time`` with ``node`` selected (throttled while playing)."""
        now = monotonic()
        wait = max(self.every, self._cost / PANEL_SHARE)
        if (time, node) == self._shown or (playing and now - self._drawn < wait):
            return
        self._drawn, self._shown = now, (time, node)
        with self.model.frame():
            self.view.redraw(cluster, at=time, node=node)
        self._cost = monotonic() - now

    def close(self) -> None:
        """Close the widget."""
        self.model.close()
        self.widget.close()


def _window(cluster: SimCluster, time: float, span: float) -> SequenceData:
    return sequence_data(cluster, start=max(0.0, time - span), end=time)


def panel_for(source: ClusterSource, *, lock: FairLock) -> SequencePanel | None:
    """A panel for a simulated cluster that records causality; None for any other source."""
    if isinstance(source, SimClusterSource) and source.cluster.causality is not None:
        return SequencePanel(source.cluster, lock=lock)
    return None


def no_panel_hint(source: ClusterSource) -> str | None:
    """Why a simulated cluster shows no message panel (it records no causes); None otherwise."""
    if isinstance(source, SimClusterSource) and source.cluster.causality is None:
        if not source.cluster.config.causes_recordable:
            return "<i>messages: a top-k view records no causes (use view = 'full')</i>"
        return (
            "<i>messages: this run records no causes, so there is no message view or "
            "“why?”; build it with <code>ClusterConfig.create(..., causality=True)</code> "
            "or open it with <code>Dashboard.from_scenario</code></i>"
        )
    return None


def follow_source(
    panel: SequencePanel | None, shown: ClusterSource | None, node: str | None, *, playing: bool
) -> None:
    """Redraw ``panel`` (if any) for the source on screen: the live one, or a replayed copy."""
    if panel is None or not isinstance(shown, SimClusterSource):
        return
    cluster = shown.cluster
    if cluster.causality is not None:
        panel.follow(cluster, cluster.time, node, playing=playing)
