"""Re-execute notebooks and save them ready to commit: ``python -m emergent_lab.lessons.refresh``.

A committed notebook must hold the outputs of one clean run, in order, so
nbval can compare every measured number on the next commit. Saving it is
where dirt gets in: widget state blobs in the metadata, and the dashboard's
inline copy of BokehJS (about 8 MB) in the output of a cell whose output nbval
ignores anyway. This runs each notebook top to bottom in a fresh kernel from
its own folder and saves it without either.

    python -m emergent_lab.lessons.refresh notebooks/0[0-5]_*.ipynb
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

IGNORE = "# NBVAL_IGNORE_OUTPUT"
LARGEST_KEPT_OUTPUT = 1_000_000
"""Bytes; larger outputs of ignored cells (inline BokehJS, ~8 MB) are dropped; figures stay."""


def clean(notebook: Any) -> None:
    """Drop widget state and oversized outputs of cells whose output nbval ignores."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(IGNORE):
            cell.outputs = [o for o in cell.outputs if len(json.dumps(o)) < LARGEST_KEPT_OUTPUT]


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
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    clean(notebook)
    nbformat.write(notebook, path)  # type: ignore[no-untyped-call]
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    """Refresh every notebook named on the command line, printing how long each took."""
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python -m emergent_lab.lessons.refresh NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for path in paths:
        print(f"{path}: executed in {refresh(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
