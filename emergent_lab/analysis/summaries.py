"""Compact summaries of what a figure plots, so that nbval compares a figure's data.

A Bokeh figure's saved HTML holds random ids, so nbval must ignore the cell
that draws it; a lesson then prints :func:`series_summary` of the same series
in the next cell. A change in the data behind a figure (a curve that moves,
a point that disappears) changes that printed table, and CI sees it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Series = Mapping[str, tuple[Sequence[float], Sequence[float]]]


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def series_summary(series: Series) -> list[dict[str, Any]]:
    """One row per series: points, x range, y min / mean / max and the last y.

    Non-finite y values (a size that was not run, ``nan``) are left out of the
    statistics and counted in ``missing``, so a gap in a curve shows too.

    Raises:
        ValueError: a series whose x and y differ in length (named).
    """
    rows = []
    for name, (xs, ys) in series.items():
        if len(xs) != len(ys):
            raise ValueError(f"series {name!r}: {len(xs)} x values but {len(ys)} y values")
        finite = _finite(ys)
        rows.append(
            {
                "series": name,
                "points": len(ys),
                "missing": len(ys) - len(finite),
                "x from": float(min(xs)) if len(xs) else None,
                "x to": float(max(xs)) if len(xs) else None,
                "y min": min(finite) if finite else None,
                "y mean": sum(finite) / len(finite) if finite else None,
                "y max": max(finite) if finite else None,
                "y last": finite[-1] if finite else None,
            }
        )
    return rows
