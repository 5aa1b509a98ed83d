"""Every lesson keeps the NetLogo Info-tab shape, lets the learner check themselves, and is honest.

A sibling of ``test_notebooks_hygiene.py`` (which checks how a notebook was
saved); this checks what a lesson teaches with: "Things to try", at least two
check-your-answer exercises whose expected values the cell computes, no
pasted tables of measured numbers in code, and a reason beside every output
nbval is told to ignore (an ignored output is a number CI never checks).
"""

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
IGNORE = "# NBVAL_IGNORE_OUTPUT"
PLACEHOLDER = re.compile(r"^my_answer = None  # your answer here", re.M)
NUMBER = r"-?\d+(\.\d+)?(e[+-]?\d+)?"
NUMBERS_ROW = re.compile(rf"^\s*[\w.+-]*(\s*[,;\t]\s*{NUMBER}){{3,}}[\s,;\w.+-]*$", re.I)
"""A line of at least three comma/semicolon/tab-separated numbers: a row of a pasted table."""


def _cells(path):
    return nbformat.read(path, as_version=4).cells


def pasted_rows(source: str) -> list[str]:
    """Lines of ``source`` that look like rows of a pasted CSV or JSON table of numbers."""
    rows = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
    rows = [line for line in rows if NUMBERS_ROW.match(line) or _json_numbers(line)]
    return rows if len(rows) >= 2 else []


def _json_numbers(line: str) -> bool:
    return len(re.findall(r'"[\w .-]+"\s*:\s*-?\d+\.\d+', line)) >= 3


def ignore_without_reason(source: str) -> bool:
    """Whether a cell ignores its output without a ``# why: …`` comment right after the marker."""
    lines = source.strip().splitlines()
    if IGNORE not in lines:
        return False
    after = lines[lines.index(IGNORE) + 1 :]
    return not (after and re.match(r"#\s*why:\s*\S.{9,}", after[0].strip()))


def test_all_eleven_lessons_are_checked():
    assert [p.name[:2] for p in LESSONS] == [f"{k:02d}" for k in range(11)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_a_lesson_has_the_info_tab_shape(path):
    """NetLogo's Info tab: what it is (a goal), ..., things to try, extending the model."""
    texts = [c.source for c in _cells(path) if c.cell_type == "markdown"]
    assert "**Goal.**" in texts[0], f"{path.name}: the first cell states no goal"
    assert any(t.startswith("## Things to try") for t in texts), f"{path.name}: no Things to try"
    assert any("## Extending the model" in t for t in texts), f"{path.name}: no Extending the model"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_a_lesson_has_checkable_exercises_left_for_the_learner(path):
    cells = _cells(path)
    assert any("emergent_lab.analysis.exercises import check" in c.source for c in cells), path.name
    exercises = [c for c in cells if c.cell_type == "code" and PLACEHOLDER.search(c.source)]
    assert len(exercises) >= 2, f"{path.name}: {len(exercises)} check-your-answer exercise(s)"
    for cell in exercises:
        assert "check(my_answer," in cell.source, f"{path.name}: an exercise without check()"
        shown = "".join(o.get("text", "") for o in cell.outputs)
        assert "✘ not yet — replace None" in shown, f"{path.name}: exercise saved without its hint"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_pasted_tables_of_results(path):
    for cell in _cells(path):
        if cell.cell_type == "code":
            rows = pasted_rows(cell.source)
            assert not rows, f"{path.name}: pasted results {rows[:2]}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_ignored_output_says_why(path):
    for cell in _cells(path):
        if cell.cell_type == "code":
            assert not ignore_without_reason(cell.source), (
                f"{path.name}: {IGNORE} without a '# why: …' line after it:\n{cell.source[:200]}"
            )


def test_the_detectors_catch_what_they_are_for():
    csv = 'DATA = """\nprotocol,loss\nemergent,0.0,1000,9.99,7.06\nbully,0.05,1000,16.3,1.9\n"""'
    as_json = 'rows = [{"a": 1.5, "b": 2.25, "c": 3.0},\n        {"a": 1.7, "b": 2.5, "c": 3.5}]'
    assert pasted_rows(csv) and pasted_rows(as_json)
    assert not pasted_rows("sizes = [10, 20, 50, 100]\nprint_table(rows, digits=3)")
    assert ignore_without_reason(f"{IGNORE}\nshow(chart)")
    assert not ignore_without_reason(f"{IGNORE}\n# why: a Bokeh figure (random ids)\nshow(chart)")
    assert not ignore_without_reason(new_code_cell("print(1)").source)
