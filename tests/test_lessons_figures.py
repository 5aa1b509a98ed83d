"""Lesson figures: BokehJS inline once per browser page, and outputs that degrade to a note.

The browser side (drawn after Run All offline, a note when opened) is
checked in ``test_browser_lessons.py``; these check the kernel side.
"""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("bokeh")

from emergent_lab.jupyter import bokehjs
from emergent_lab.jupyter.figures import line_chart, show


def _chart(title: str):
    return line_chart({"a": ([1, 2], [3, 4])}, title=title, x_label="x", y_label="y")


@pytest.fixture
def published(monkeypatch):
    """What ``show`` publishes, as (kind, payload) pairs, with the page id under control."""
    import bokeh.io.notebook
    import IPython.display

    sent: list[tuple[str, object]] = []
    page = {"id": "page-1"}
    monkeypatch.setattr(bokehjs, "_pages_with_bokehjs", set())
    monkeypatch.setattr(bokehjs, "_page", lambda: page["id"])
    monkeypatch.setattr(
        bokeh.io.notebook,
        "load_notebook",
        lambda resources, **kw: sent.append(("load", resources.mode)),
    )
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: sent.append(("show", obj)))
    return sent, page


def test_bokehjs_is_sent_inline_once_per_page_and_again_to_a_reloaded_page(published):
    sent, page = published
    show(_chart("one"))
    show(_chart("two"))
    page["id"] = "page-2"  # a reload: JupyterLab connects with a new client session id
    show(_chart("three"))
    assert [kind for kind, _ in sent] == ["load", "show", "show", "load", "show"]
    assert {mode for kind, mode in sent if kind == "load"} == {"inline"}


def test_outside_a_kernel_bokehjs_is_sent_with_every_figure(published, monkeypatch):
    sent, _ = published
    monkeypatch.setattr(bokehjs, "_page", lambda: None)
    show(_chart("one"))
    show(_chart("two"))
    assert [kind for kind, _ in sent] == ["load", "show", "load", "show"]


def test_a_figure_output_is_a_note_a_root_div_and_a_guarded_script():
    bundle = bokehjs.figure_bundle(_chart("a </script> title"), titles=["a </script> title"])
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/plain"] == "▶ Run the cell to draw the figure “a </script> title”."
    page = bundle["text/html"]
    assert page.startswith(f'<div class="{bokehjs.FIGURE_CLASS}">')
    assert "a &lt;/script&gt; title" in page  # the note, escaped
    assert re.search(r'<div id="[^"]+" data-root-id="p\d+"', page)
    script = page.split('<script type="text/javascript">', 1)[1]
    assert script.count("</script>") == 1, "a title ended the script early"
    assert "window.Bokeh === undefined" in script
    assert "cdn.bokeh.org" not in json.dumps(bundle)


def test_show_names_every_figure_in_the_note(published):
    sent, _ = published
    show(_chart("first"), _chart("second"))
    bundle = sent[-1][1]
    assert bundle["text/plain"] == "▶ Run the cell to draw the figures “first”, “second”."


def test_legends_sit_beside_the_plot_where_they_cover_no_data():
    from emergent_lab.jupyter.figures import stacked_bars

    charts = [_chart("t"), stacked_bars(["a"], {"x": [1.0], "y": [2.0]}, title="t", y_label="s")]
    for chart in charts:
        assert len(chart.right) == 1 and chart.right[0] is chart.legend[0]
        assert chart.legend[0] not in chart.center
        assert chart.legend[0].click_policy == "hide"


def test_the_leader_chart_shows_whole_node_names_and_no_line_hides_another():
    from emergent_lab.jupyter.figures import leader_chart

    same = ([0.0, 1.0, 2.0], [1.0, 1.0, 2.0])
    chart = leader_chart(
        {"threshold 0": same, "threshold 0.1": same}, nodes=["a", "b", "c"], title="t"
    )
    assert list(chart.yaxis[0].ticker.ticks) == [0, 1, 2]
    assert chart.yaxis[0].major_label_overrides == {0: "a", 1: "b", 2: "c"}
    first, second = (r.glyph for r in chart.renderers)
    # Drawn on the same steps, the first line is wider than the second, which lies inside it.
    assert first.line_width > second.line_width


@pytest.mark.parametrize("step", [False, True], ids=["lines", "steps"])
def test_a_line_named_dashed_is_drawn_dashed_as_lines_or_steps(step):
    """A reference drawn dashed over a measurement it coincides with leaves both visible."""
    chart = line_chart(
        {"measured": ([0, 1], [0, 1]), "reference": ([0, 1], [0, 1])},
        title="t",
        x_label="x",
        y_label="y",
        dashed=["reference"],
        step=step,
    )
    assert [r.glyph.line_dash for r in chart.renderers] == [[], [6]]
