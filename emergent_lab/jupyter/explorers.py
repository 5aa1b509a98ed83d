"""The lessons' explorers: sliders over a measurement, the chosen point on the lesson's curve.

Each explorer is a thin panel (:func:`~emergent_lab.jupyter.panels.panel`)
over a pure measurement of :mod:`emergent_lab.analysis`, which stays free of
Jupyter so that it is tested and runs headless; ipywidgets and Bokeh are
imported only when a panel is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from emergent_lab.analysis.dissemination import MODES, model_spread
from emergent_lab.analysis.measure import rounds_to_follow
from emergent_lab.analysis.phi import arrivals, curve, phi_outcome
from emergent_lab.analysis.scoring import Metrics, rank_nodes
from emergent_lab.analysis.thresholds import convergence_sweep, emergence_sweep
from emergent_lab.detector import DetectorParams
from emergent_lab.detector.params import DetectorKind
from emergent_lab.jupyter.figures import line_chart, show
from emergent_lab.jupyter.panels import panel
from emergent_lab.score import ScoreFunction


def spread_explorer() -> Any:
    """Sliders for n, fanout and mode; the chart shows the informed share round by round."""
    import ipywidgets as w

    from emergent_lab.jupyter.bokehjs import load_bokehjs

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


def threshold_explorer(rows: Sequence[dict[str, Any]], *, hours: float = 2.0) -> Any:
    """A threshold slider per detector; the chosen setting is marked on that detector's curve.

    ``rows`` are the lesson's :func:`~emergent_lab.analysis.phi.tradeoff` rows
    for jittery heartbeats; the chosen point is measured on the same ``hours``
    of the same heartbeats (seed 0, as ``tradeoff`` draws them), so at a
    threshold of the table it lands exactly on the curve.
    """
    import ipywidgets as w

    from emergent_lab.jupyter.bokehjs import load_bokehjs

    times = arrivals("jittery", seconds=hours * 3600.0)

    def measure(kind: DetectorKind, threshold: float) -> None:
        result = phi_outcome(times, DetectorParams(kind=kind, threshold=threshold))
        detection = result.mean_detection_s
        false = result.false_suspicions_per_hour
        shown = f"{detection:.2f} s" if detection is not None else "never"
        print(
            f"{kind} threshold {threshold:g}: {false:.1f} false suspicions per hour, "
            f"detection {shown} after the last heartbeat ({hours:g} h of jittery heartbeats)"
        )
        chosen = f"your choice: {kind} {threshold:g}"
        point = {chosen: ([detection], [false])} if detection is not None else {}
        show(
            line_chart(
                {f"{kind} (the lesson's table)": curve(rows, kind), **point},
                title="jittery heartbeats: your threshold on the lesson's curve",
                x_label="mean detection time after the last heartbeat (s)",
                y_label="false suspicions per hour",
                points=list(point),
            )
        )

    controls = {
        "kind": w.Dropdown(options=["akka", "cassandra"], value="akka", description="detector"),
        "threshold": w.FloatSlider(
            value=8.0, min=0.5, max=16.0, step=0.5, description="threshold", continuous_update=False
        ),
    }
    load_bokehjs()
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


def thrash_explorer(
    emergence: Sequence[Mapping[str, Any]],
    convergence: Sequence[Mapping[str, Any]],
    *,
    seeds: Sequence[int],
    until: float,
) -> Any:
    """A slider per threshold; each chosen value is run and marked on the lesson's curve.

    ``emergence`` and ``convergence`` are the lesson's
    :func:`~emergent_lab.analysis.thresholds.emergence_sweep` and
    :func:`~emergent_lab.analysis.thresholds.convergence_sweep` rows; the
    chosen points are measured by the same functions with the same ``seeds``
    and ``until``, so at a threshold of the table they land on its curve.
    """
    import ipywidgets as w

    from emergent_lab.jupyter.bokehjs import load_bokehjs

    def run(emergence_threshold: float, convergence_threshold: float) -> None:
        mine = emergence_sweep([emergence_threshold], seeds=seeds, until=until)[0]
        other = convergence_sweep([convergence_threshold], seeds=seeds, until=until)[0]
        print(
            f"emergence {emergence_threshold:g}: {mine['leader changes']:g} leader changes; "
            f"convergence {convergence_threshold:g}: {other['split leadership s']:.2f} s of split "
            f"leadership (means over seeds {', '.join(map(str, seeds))}, {until:g} s each)"
        )
        show(
            _marked(
                emergence,
                "emergence threshold",
                "leader changes",
                mine,
                title="leader changes (convergence threshold 0.75)",
            ),
            _marked(
                convergence,
                "convergence threshold",
                "split leadership s",
                other,
                title="split leadership (emergence threshold 0.01)",
            ),
        )

    style = {"description_width": "initial"}
    controls = {
        "emergence_threshold": w.FloatSlider(
            value=0.04, min=0.0, max=0.1, step=0.005, description="emergence", style=style
        ),
        "convergence_threshold": w.FloatSlider(
            value=0.6, min=0.3, max=1.0, step=0.05, description="convergence", style=style
        ),
    }
    load_bokehjs()
    return panel(run, controls, button=f"Run {len(seeds) * 2} × {until:g} s")


def _marked(
    rows: Sequence[Mapping[str, Any]],
    x: str,
    y: str,
    chosen: Mapping[str, Any],
    *,
    title: str,
) -> Any:
    """The lesson's curve of ``y`` against ``x`` with the chosen row as a marked point."""
    label = f"your choice: {chosen[x]:g}"
    return line_chart(
        {
            "the lesson's table": ([r[x] for r in rows], [r[y] for r in rows]),
            label: ([chosen[x]], [chosen[y]]),
        },
        title=title,
        x_label=x,
        y_label=y,
        points=[label],
    )


def scale_explorer(rows: Sequence[Mapping[str, Any]], *, fanout: int = 1, k: int = 4) -> Any:
    """A size and an exchange; the rounds it takes are marked on the lesson's measured curves.

    ``rows`` are the lesson's table (``n``, ``push-pull``, ``push``); the point is
    :func:`~emergent_lab.analysis.measure.rounds_to_follow` with the same
    ``fanout``, ``k`` and seed, so at a size of the table it lands on its curve.
    """
    import ipywidgets as w

    from emergent_lab.jupyter.bokehjs import load_bokehjs

    def run(n: int, exchange: str) -> None:
        rounds = rounds_to_follow(n, fanout=fanout, exchange=exchange, k=k)
        if rounds is None:
            print(f"n = {n:,}, {exchange}: not every node followed within the run's limit")
            return
        print(f"n = {n:,}, {exchange}, fanout {fanout}: {rounds:.2f} rounds")
        curves = {
            f"measured: {mode}": (
                [r["n"] for r in rows if r[mode] == r[mode]],
                [r[mode] for r in rows if r[mode] == r[mode]],
            )
            for mode in ("push-pull", "push")
        }
        label = f"your choice: {exchange}, n = {n:,}"
        show(
            line_chart(
                {**curves, label: ([n], [rounds])},
                title=f"rounds until every node follows the best node (fanout {fanout})",
                x_label="nodes",
                y_label="rounds",
                log_x=True,
                points=[label],
            )
        )

    controls = {
        "n": w.SelectionSlider(
            options=[100, 300, 1_000, 3_000, 10_000, 30_000, 100_000],
            value=3_000,
            description="nodes",
        ),
        "exchange": w.Dropdown(
            options=["push-pull", "push"], value="push-pull", description="exchange"
        ),
    }
    load_bokehjs()
    return panel(run, controls, button="Run")
