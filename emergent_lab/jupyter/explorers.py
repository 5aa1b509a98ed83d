"""The lessons' explorers: sliders over a measurement, its result beside them.

Each explorer is a thin panel (:func:`~emergent_lab.jupyter.panels.panel`)
over a pure measurement of :mod:`emergent_lab.analysis`, which stays free of
Jupyter so that it is tested and runs headless; ipywidgets and Bokeh are
imported only when a panel is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emergent_lab.analysis.dissemination import MODES, model_spread
from emergent_lab.analysis.phi import arrivals, phi_outcome
from emergent_lab.analysis.scoring import Metrics, rank_nodes
from emergent_lab.analysis.variants import run_variant
from emergent_lab.detector import DetectorParams
from emergent_lab.detector.params import DetectorKind
from emergent_lab.jupyter.panels import panel
from emergent_lab.score import ScoreFunction


def spread_explorer() -> Any:
    """Sliders for n, fanout and mode; the chart shows the informed share round by round."""
    import ipywidgets as w

    from emergent_lab.jupyter.bokehjs import load_bokehjs
    from emergent_lab.jupyter.figures import line_chart, show

    def draw(n: int, fanout: int, mode: str, seed: int) -> None:
        curves: dict[str, tuple[Sequence[float], Sequence[float]]] = {}
        for m in MODES:
            if mode in ("all", m):
                counts = model_spread(n, fanout=fanout, mode=m, seed=seed)
                curves[m] = ([float(r) for r in range(len(counts))], [c / n for c in counts])
        show(
            line_chart(
                curves, title=f"n = {n}, fanout {fanout}", x_label="round", y_label="share informed"
            )
        )

    controls = {
        "n": w.IntSlider(value=1000, min=10, max=5000, step=10, description="n"),
        "fanout": w.IntSlider(value=1, min=1, max=5, description="fanout"),
        "mode": w.Dropdown(options=["all", *MODES], value="all", description="mode"),
        "seed": w.IntSlider(value=0, min=0, max=20, description="seed"),
    }
    # BokehJS goes out as this cell's own output, before the panel draws: loaded
    # inside the panel's Output widget, its 4 MB would be synced back to the kernel.
    load_bokehjs()
    return panel(draw, controls)


def threshold_explorer() -> Any:
    """A threshold slider per detector: false suspicions and detection on jittery heartbeats."""
    import ipywidgets as w

    times = arrivals("jittery", seconds=3600.0)

    def measure(kind: DetectorKind, threshold: float) -> None:
        result = phi_outcome(times, DetectorParams(kind=kind, threshold=threshold))
        detection = result.mean_detection_s
        shown = f"{detection:.2f} s" if detection is not None else "never"
        print(
            f"{kind} threshold {threshold:g}: {result.false_suspicions_per_hour:.1f} false "
            f"suspicions per hour, detection {shown} after the last heartbeat"
        )

    controls = {
        "kind": w.Dropdown(options=["akka", "cassandra"], value="akka", description="detector"),
        "threshold": w.FloatSlider(value=8.0, min=0.5, max=16.0, step=0.5, description="threshold"),
    }
    return panel(measure, controls)


def weights_explorer(score: ScoreFunction, metrics: Metrics) -> Any:
    """Sliders over every weight; the ranking table follows them (an ipywidgets box)."""
    import ipywidgets as w

    def ranking(**weights: float) -> None:
        if not any(weights.values()):
            print("at least one weight must be > 0")
            return
        from emergent_lab.analysis.tables import print_table

        print_table(rank_nodes(score.with_weights(weights), metrics), digits=3)

    sliders = {
        name: w.FloatSlider(value=weight, min=0.0, max=1.0, step=0.05, description=name)
        for name, weight in score.weights.items()
    }
    return panel(ranking, sliders)


def thrash_explorer() -> Any:
    """Sliders for both thresholds on the noisy ``flapping-scores`` scenario; prints its report."""
    import ipywidgets as w

    def run(emergence_threshold: float, convergence_threshold: float) -> None:
        changes = {
            "leader.emergence_threshold": emergence_threshold,
            "leader.convergence_threshold": convergence_threshold,
        }
        print(run_variant("flapping-scores", changes=changes)[1].summary())

    style = {"description_width": "initial"}
    controls = {
        "emergence_threshold": w.FloatSlider(
            value=0.0, min=0.0, max=0.1, step=0.005, description="emergence", style=style
        ),
        "convergence_threshold": w.FloatSlider(
            value=0.75, min=0.3, max=1.0, step=0.05, description="convergence", style=style
        ),
    }
    return panel(run, controls, button="Run 120 s")
