"""The lessons' explorers mark the chosen point on the lesson's own curve.

Each explorer measures the chosen setting the way the lesson's table did, so
at a setting of the table its point must land exactly on that table's point.
"""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("bokeh")

from emergent_lab.jupyter import bokehjs, explorers


@pytest.fixture
def shown(monkeypatch):
    """The figures an explorer shows, instead of sending them to a notebook."""
    figures: list[object] = []
    monkeypatch.setattr(bokehjs, "load_bokehjs", lambda: None)
    monkeypatch.setattr(explorers, "show", lambda *figs: figures.extend(figs))
    return figures


def _points(fig) -> dict[str, tuple[list[float], list[float]]]:
    """Legend label -> (xs, ys) of the figure's marker-only renderers (the chosen points)."""
    out = {}
    for item in fig.legend[0].items:
        for renderer in item.renderers:
            if type(renderer.glyph).__name__ == "Scatter":
                data = renderer.data_source.data
                out[item.label.value] = (list(data["x"]), list(data["y"]))
    return out


def test_the_detector_explorer_puts_a_table_threshold_on_the_tables_point(shown):
    from emergent_lab.analysis.phi import tradeoff

    rows = tradeoff("jittery", akka=[8.0], cassandra=[1.0], timeouts=[2.0])
    panel = explorers.threshold_explorer(rows, hours=2.0)
    (fig,) = shown
    akka8 = rows[0]
    assert _points(fig) == {"your choice: akka 8": ([akka8["detection s"]], [akka8["false/hour"]])}
    kind, threshold = panel.children[0].children[:2]
    kind.value, threshold.value = "cassandra", 1.0
    cassandra1 = rows[1]
    assert _points(shown[-1]) == {
        "your choice: cassandra 1": ([cassandra1["detection s"]], [cassandra1["false/hour"]])
    }


def test_the_threshold_explorer_runs_on_its_button_and_marks_both_tables(shown):
    from emergent_lab.analysis.thresholds import convergence_sweep, emergence_sweep

    emergence = emergence_sweep([0.0, 0.05], seeds=[1], until=20.0)
    convergence = convergence_sweep([0.5, 1.0], seeds=[1], until=20.0)
    panel = explorers.thrash_explorer(emergence, convergence, seeds=[1], until=20.0)
    assert shown == []  # a whole run waits for the button
    emergence_slider, convergence_slider, button = panel.children[0].children
    emergence_slider.value, convergence_slider.value = 0.05, 0.5
    button.click()
    first, second = shown
    chosen = emergence[1]
    assert _points(first) == {"your choice: 0.05": ([0.05], [chosen["leader changes"]])}
    chosen = convergence[0]
    assert _points(second) == {"your choice: 0.5": ([0.5], [chosen["split leadership s"]])}


def test_the_scale_explorer_puts_a_table_size_on_the_tables_point(shown):
    from emergent_lab.analysis.measure import rounds_to_follow

    rows = [{"n": 100, "push-pull": rounds_to_follow(100, fanout=1, k=4), "push": float("nan")}]
    panel = explorers.scale_explorer(rows, fanout=1, k=4)
    n, _exchange, button = panel.children[0].children
    n.value = 100
    button.click()
    (fig,) = shown
    assert _points(fig) == {"your choice: push-pull, n = 100": ([100], [rows[0]["push-pull"]])}
