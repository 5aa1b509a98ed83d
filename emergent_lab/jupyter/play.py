"""The "play" part of a lesson: the dashboard, or a small stand-in player.

Lessons open :func:`open_dashboard`; it returns the full dashboard
(``emergent_lab.jupyter.Dashboard``) when the Jupyter layer is importable,
else a :class:`LessonPlayer` with the same verbs (``advance``, ``step``,
``kill``). Either way the notebook steps the cluster explicitly, so running
a notebook headless never waits on a live player. ipywidgets and Bokeh are
imported only when a widget is actually built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emergent_lab.exact.cluster import SimCluster
from emergent_lab.jupyter.figures import timeline_chart
from emergent_lab.scenario import Scenario, build_cluster, load_scenario


class LessonPlayer:
    """A scenario's cluster with Step / Kill-leader buttons and the observer's timeline.

    Args:
        scenario: a built-in name, a TOML path or a Scenario.
        seed: another seed for the scenario.
    """

    def __init__(self, scenario: str | Path | Scenario, *, seed: int | None = None) -> None:
        loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, seed=seed)
        self.scenario = loaded
        self.cluster: SimCluster = build_cluster(loaded)
        self._widget: Any = None

    def status(self) -> str:
        """One line: time, recognised leader, nodes acting as leader, nodes up."""
        leader = self.cluster.leader() or "(emerging)"
        acting = ", ".join(self.cluster.acting_leaders()) or "none"
        return (
            f"t = {self.cluster.time:.1f} s   leader {leader}   acting {acting}   "
            f"up {len(self.cluster.up_ids())}/{len(self.cluster.nodes)}"
        )

    def advance(self, duration: float) -> None:
        """Run ``duration`` virtual seconds, then redraw."""
        self.cluster.run_for(duration)
        self._refresh()

    def step(self) -> None:
        """Run one gossip round, then redraw."""
        self.cluster.step_round()
        self._refresh()

    def kill(self) -> str:
        """Crash the current leader; returns its id."""
        crashed = self.cluster.crash("leader")
        self._refresh()
        return crashed

    def widget(self) -> Any:
        """The ipywidgets box: buttons, status line and the timeline figure."""
        if self._widget is None:
            import ipywidgets as w

            from emergent_lab.jupyter.bokehjs import load_bokehjs

            # Outside the Output widget the figure is drawn in (see spread_explorer).
            load_bokehjs()
            step = w.Button(description="Run 5 s", icon="forward")
            kill = w.Button(description="Kill leader", icon="skull", button_style="danger")
            status = w.HTML()
            output = w.Output()
            step.on_click(lambda _: self.advance(5.0))
            kill.on_click(lambda _: self.kill())
            self._widget = (w.VBox([w.HBox([step, kill, status]), output]), status, output)
            self._refresh()
        return self._widget[0]

    def _refresh(self) -> None:
        if self._widget is None:
            return
        from emergent_lab.jupyter.figures import show

        _, status, output = self._widget
        status.value = f"<code>{self.status()}</code>"
        with output:
            output.clear_output()
            show(timeline_chart(self.cluster, title=self.scenario.name))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())  # type: ignore[no-untyped-call]


def open_dashboard(scenario: str | Path | Scenario, *, seed: int | None = None) -> Any:
    """The dashboard on a scenario if the Jupyter layer imports, else a :class:`LessonPlayer`."""
    try:
        from emergent_lab.jupyter import Dashboard
    except ImportError:
        return LessonPlayer(scenario, seed=seed)
    return Dashboard.from_scenario(scenario, seed=seed)
