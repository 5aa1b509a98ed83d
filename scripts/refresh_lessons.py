"""Re-execute notebooks and save them ready to commit: ``python -m scripts.refresh_lessons``.

A committed notebook must hold the outputs of one clean run, in order, so
nbval can compare every measured number on the next commit. Saving it is
where dirt gets in: widget state blobs in the metadata, and the dashboard's
inline copy of BokehJS (about 8 MB) in the output of a cell whose output nbval
ignores anyway. This runs each notebook top to bottom in a fresh kernel from
its own folder and saves it without either.

It also saves what a learner should see before running anything. A widget's
saved output is only a reference to state that is not saved, which JupyterLab
shows as the widget's raw ``repr`` (``Dashboard(children=(VBox(…``); it is
replaced by a one-line hint to run the cell. And the kernelspec is written
as JupyterLab writes it on opening, so opening a lesson does not mark it
modified.

    python -m scripts.refresh_lessons notebooks/0[0-5]_*.ipynb
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emergent_lab.jupyter.dashboard import DASHBOARD_HINT

IGNORE = "# NBVAL_IGNORE_OUTPUT"
LARGEST_KEPT_OUTPUT = 1_000_000
"""Bytes; larger outputs of ignored cells (inline BokehJS, ~8 MB) are dropped; figures stay."""
KERNEL = "python3"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_HINT = "▶ Run this cell to open its interactive controls."


def kernelspec(name: str = KERNEL) -> dict[str, str]:
    """The ``kernelspec`` metadata JupyterLab writes for kernel ``name`` (its installed spec)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def widget_hint(output: Any) -> None:
    """Replace a widget output's data by a hint to run the cell (its state is never saved)."""
    shown = "".join(output.data.get("text/plain", ""))
    # A dashboard names itself with the hint (its own text/plain); older ones with their repr.
    dashboard = shown == DASHBOARD_HINT or shown.startswith("Dashboard(")
    hint = DASHBOARD_HINT if dashboard else WIDGET_HINT
    output.data = {"text/html": f"<p><b>{hint}</b></p>", "text/plain": hint}


def clean(notebook: Any, *, spec: dict[str, str] | None = None) -> None:
    """Make an executed notebook ready to commit.

    Drops widget state and oversized outputs of cells whose output nbval
    ignores, turns widget outputs into hints (:func:`widget_hint`) and, if
    ``spec`` is given, sets it as the kernelspec.
    """
    notebook.metadata.pop("widgets", None)
    if spec is not None:
        notebook.metadata["kernelspec"] = spec
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if cell.source.startswith(IGNORE):
            cell.outputs = [o for o in cell.outputs if len(json.dumps(o)) < LARGEST_KEPT_OUTPUT]
        for output in cell.outputs:
            if WIDGET_VIEW in output.get("data", {}):
                widget_hint(output)


def refresh(path: Path, *, timeout: int = 300) -> float:
    """Execute one notebook in a fresh kernel, clean it, save it; returns wall seconds.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell failed (the file is left as it was).
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    clean(notebook, spec=kernelspec())
    nbformat.write(notebook, path)  # type: ignore[no-untyped-call]
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    """Refresh every notebook named on the command line, printing how long each took."""
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python -m scripts.refresh_lessons NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for path in paths:
        print(f"{path}: executed in {refresh(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
