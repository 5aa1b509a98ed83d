"""Committed notebooks must be executed, in order, with no widget state and no errors.

nbval re-executes the notebooks and compares outputs (``make notebooks``);
this test checks the structure that makes that comparison meaningful: a
notebook saved half-run, run out of order, with an error, with widget-state
blobs, or with random-id outputs that nbval would be asked to compare. It
also checks what a learner sees on opening a lesson before running it: the
kernelspec JupyterLab would write (else opening marks it modified), hints
instead of dead widgets, and nothing that needs Bokeh's CDN.
"""

import configparser
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
LESSONS = [p for p in PATHS if re.match(r"0[0-5]_", p.name)]
IGNORE = "# NBVAL_IGNORE_OUTPUT"
RANDOM_ID_TYPES = (
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.bokehjs_exec.v0+json",
)
DASHBOARD_HINT = "▶ Run this cell to open the live dashboard."
FIGURE_CLASS = "emergent-lab-figure"
"""Marks a figure output of ``emergent_lab.jupyter.figures.show`` (random ids inside)."""


def _code_cells(path):
    notebook = nbformat.read(path, as_version=4)
    return notebook, [c for c in notebook.cells if c.cell_type == "code" and c.source.strip()]


def test_the_lessons_are_committed():
    names = {p.name[:2] for p in LESSONS}
    assert names == {"00", "01", "02", "03", "04", "05"}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_executed_in_order_from_a_fresh_kernel(path):
    notebook, cells = _code_cells(path)
    nbformat.validate(notebook)
    counts = [c.execution_count for c in cells]
    assert None not in counts, f"{path.name}: unexecuted cells (execution_count None)"
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: run out of order: {counts}"
    assert any(c.outputs for c in cells), f"{path.name}: saved without outputs"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_outputs_belong_to_their_cell_and_hold_no_error(path):
    _, cells = _code_cells(path)
    for cell in cells:
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name}: saved with an error"
            if output.output_type == "execute_result":
                assert output.execution_count == cell.execution_count, (
                    f"{path.name}: stale output of run {output.execution_count} "
                    f"in cell {cell.execution_count}"
                )


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_no_saved_widget_state(path):
    notebook = nbformat.read(path, as_version=4)
    assert "widgets" not in notebook.metadata, f"{path.name}: metadata.widgets holds widget state"
    for cell in notebook.cells:
        assert "widgets" not in cell.get("metadata", {}), f"{path.name}: widget state in a cell"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_small_enough_to_review(path):
    # An inline copy of BokehJS (output_notebook(resources=INLINE)) alone is about 8 MB.
    assert path.stat().st_size < 2_000_000, f"{path.name}: {path.stat().st_size} bytes"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_widget_and_bokeh_outputs_are_not_compared(path):
    _, cells = _code_cells(path)
    for cell in cells:
        kinds = {k for o in cell.outputs for k in o.get("data", {})}
        html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in cell.outputs)
        if kinds & set(RANDOM_ID_TYPES) or FIGURE_CLASS in html:
            assert cell.source.lstrip().startswith(IGNORE), (
                f"{path.name}: cell {cell.execution_count} shows a widget or Bokeh document "
                f"(random ids) without {IGNORE}"
            )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_lesson_states_a_goal_and_ends_with_things_to_try(path):
    notebook = nbformat.read(path, as_version=4)
    text = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert "**Goal.**" in text[0]
    assert text[-1].startswith("## Things to try")
    assert any(c.cell_type == "code" and not c.source.startswith(IGNORE) for c in notebook.cells)


def test_sanitizers_never_touch_measured_numbers():
    config = configparser.ConfigParser()
    config.read(NOTEBOOKS / "sanitize.cfg")
    measured = ["4.58", "0.760", "n13", "28", "6.30 s", "1019.15", "event log sha256  f61d45f1"]
    for section in config.sections():
        pattern = re.compile(config[section]["regex"])
        for text in measured:
            assert pattern.sub(config[section]["replace"], text) == text, (section, text)


def test_refresh_cleans_widget_state_and_inline_bokehjs_but_keeps_compared_outputs():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from scripts.refresh_lessons import clean

    big = new_output("display_data", data={"application/javascript": "x" * 2_000_000})
    small = new_output("stream", text="measured 4.58\n")
    notebook = new_notebook(
        cells=[
            new_code_cell("# NBVAL_IGNORE_OUTPUT\ndash", outputs=[big, small]),
            new_code_cell("print(x)", outputs=[big]),
        ],
        metadata={"widgets": {"state": {}}},
    )
    clean(notebook)
    assert "widgets" not in notebook.metadata
    assert notebook.cells[0].outputs == [small]
    assert notebook.cells[1].outputs == [big]  # compared by nbval: never touched


def test_refresh_turns_widget_outputs_into_hints_and_sets_the_kernelspec():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from scripts.refresh_lessons import DASHBOARD_HINT, WIDGET_HINT, clean

    def widget(repr_text):
        view = {"model_id": "8c8a", "version_major": 2, "version_minor": 0}
        return new_output(
            "execute_result",
            data={"application/vnd.jupyter.widget-view+json": view, "text/plain": repr_text},
            execution_count=1,
        )

    notebook = new_notebook(
        cells=[
            new_code_cell(f"{IGNORE}\ndash", outputs=[widget("Dashboard(children=(VBox(…")]),
            new_code_cell(f"{IGNORE}\npanel", outputs=[widget("VBox(children=(HBox(…")]),
        ],
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
    )
    spec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    clean(notebook, spec=spec)
    assert notebook.metadata.kernelspec == spec
    dashboard, panel = (c.outputs[0] for c in notebook.cells)
    assert dashboard.data["text/plain"] == DASHBOARD_HINT
    assert panel.data["text/plain"] == WIDGET_HINT
    assert DASHBOARD_HINT in dashboard.data["text/html"]
    assert dashboard.execution_count == 1


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_kernelspec_is_what_jupyterlab_writes_so_opening_does_not_modify(path):
    from scripts.refresh_lessons import kernelspec

    notebook = nbformat.read(path, as_version=4)
    assert dict(notebook.metadata.kernelspec) == kernelspec(), (
        f"{path.name}: JupyterLab rewrites this kernelspec on opening (the lesson shows as "
        "modified); re-run python -m scripts.refresh_lessons"
    )


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_widget_outputs_are_saved_as_a_hint_to_run_the_cell(path):
    # A widget's saved output refers to state that is not saved: JupyterLab shows its
    # raw repr (untrusted) or an error (trusted). refresh writes a hint instead.
    _, cells = _code_cells(path)
    for cell in cells:
        for output in cell.outputs:
            data = output.get("data", {})
            assert "application/vnd.jupyter.widget-view+json" not in data, (
                f"{path.name}: cell {cell.execution_count} saved a widget view"
            )
            assert "(children=" not in "".join(data.get("text/plain", "")), path.name
    if path.name.startswith("00_"):
        dashboard = next(c for c in cells if "open_dashboard(" in c.source)
        assert dashboard.outputs[0].data["text/plain"] == DASHBOARD_HINT


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_no_lesson_needs_the_bokeh_cdn(path):
    # Bokeh's default resources come from cdn.bokeh.org (offline: "Javascript Error:
    # timeout"), and jupyter_bokeh's exec output fails the same way whenever BokehJS
    # is not in the page, as in any lesson opened without running it.
    _, cells = _code_cells(path)
    assert "cdn.bokeh.org" not in path.read_text(), f"{path.name}: refers to Bokeh's CDN"
    offline = f"{path.name}: use emergent_lab.jupyter.figures.show (BokehJS inline, no CDN)"
    for cell in cells:
        assert "output_notebook" not in cell.source, offline
        assert "bokeh.io" not in cell.source, offline
        for output in cell.outputs:
            assert "application/vnd.bokehjs_exec.v0+json" not in output.get("data", {}), (
                f"{path.name}: cell {cell.execution_count} saved a Bokeh exec output"
            )


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_a_saved_dashboard_says_it_is_a_dashboard(path):
    """A cell that opens a dashboard saves the dashboard hint, not the generic widget one."""
    from scripts.refresh_lessons import DASHBOARD_HINT, WIDGET_HINT

    _, cells = _code_cells(path)
    for cell in cells:
        shown = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
        if "dashboard" in cell.source.lower() and WIDGET_HINT in shown:
            raise AssertionError(f"{path.name}: a dashboard cell saved {WIDGET_HINT!r}")
        if "dashboard" in cell.source.lower() and "Run this cell" in shown:
            assert DASHBOARD_HINT in shown
