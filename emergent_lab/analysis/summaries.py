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

from emergent_lab.analysis.timelines import cluster_series
from emergent_lab.exact.cluster import SimCluster

Series = Mapping[str, tuple[Sequence[float], Sequence[float]]]


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def series_summary(series: Series) -> list[dict[str, Any]]:
    """One row per series: points, x range, y min / mean / max and the last y.

    The mean is over the points (not weighted by x): it moves whenever a
    plotted value moves, which is what a check of the figure needs.

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


def timeline_summary(clusters: Mapping[str, SimCluster]) -> list[dict[str, Any]]:
    """What a timeline chart (:func:`emergent_lab.jupyter.figures.timeline_chart`) shows, per run.

    When agreement first reached 1, its lowest value after that (the dip a
    fault causes; before it, every run starts from 0) and when, the most nodes
    acting as leader at once, and the seconds with two or more acting (each
    step weighted by how long it held).
    """
    rows = []
    for name, cluster in clusters.items():
        s = cluster_series(cluster)
        full = next((i for i, a in enumerate(s.agreement) if a >= 1.0), len(s.agreement))
        after = s.agreement[full:]
        lowest = min(after) if after else None
        spans = zip(s.time, s.time[1:], s.acting, strict=False)
        rows.append(
            {
                "run": name,
                "steps": len(s.time),
                "all agree at s": s.time[full] if after else None,
                "then lowest": lowest,
                "at s": s.time[full + after.index(lowest)] if lowest is not None else None,
                "most acting": max(s.acting, default=0),
                "s with 2+ acting": sum(b - a for a, b, n in spans if n >= 2),
                "faults marked": len(s.marks),
            }
        )
    return rows
