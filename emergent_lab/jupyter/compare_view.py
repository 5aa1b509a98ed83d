"""Two (or more) branches of one run, plotted side by side: where do they part?

Agreement, messages and bytes of each branch over time on one time axis,
the leader each branch recognises in a table under them, and a dashed line
where the branches first differ (the first moment their message counts
differ, and the first moment their leaders differ). The data come from
:func:`emergent_lab.exact.compare.side_by_side`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from bokeh.embed import file_html
from bokeh.layouts import column
from bokeh.models import Range1d
from bokeh.models.annotations import Span
from bokeh.models.widgets import Div
from bokeh.plotting import figure
from bokeh.resources import INLINE

from emergent_lab.exact.compare import Comparison

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
"""One colour per branch (up to four; more branches reuse them)."""


def comparison_layout(comparison: Comparison, *, width: int = 760) -> Any:
    """Stacked plots (agreement, messages, kB) of every branch, and the leaders as a table."""
    times = comparison.times
    plots: list[Any] = []
    shared = Range1d(start=times[0], end=times[-1])
    measures = (
        ("agreement", "agreement on the most common opinion", 1.0),
        ("messages", "messages sent (cumulative)", 1.0),
        ("bytes", "kB sent (cumulative)", 1000.0),
    )
    for what, title, scale in measures:
        plot = figure(
            height=170,
            width=width,
            title=title,
            x_axis_label="virtual time (s)",
            x_range=shared,
            tools="xpan,xwheel_zoom,reset",
            name=f"compare-{what}",
        )
        for k, name in enumerate(comparison.names):
            values = [getattr(s, what) / scale for s in comparison.samples[name]]
            plot.line(
                times, values, color=COLOURS[k % len(COLOURS)], line_width=2, legend_label=name
            )
        for when, label in (
            (comparison.diverged_at("messages"), "messages differ"),
            (comparison.diverged_at("leader"), "leaders differ"),
        ):
            if when is not None:
                plot.add_layout(
                    Span(
                        location=when,
                        dimension="height",
                        line_dash="dashed",
                        line_color="#555555",
                        name=label,
                    )
                )
        plot.add_layout(plot.legend[0], "right")  # beside the plot, clear of the lines
        plots.append(plot)
    return column(_summary(comparison), *plots, _leaders(comparison))


def _summary(comparison: Comparison) -> Div:
    def when(what: str) -> str:
        t = comparison.diverged_at(what)
        return "never" if t is None else f"at {t:.1f} s"

    names = " vs ".join(html.escape(n) for n in comparison.names)
    return Div(
        text=f"<b>{names}</b>: messages differ {when('messages')}, "
        f"leaders differ {when('leader')} (dashed lines)",
        name="compare-summary",
    )


def _leaders(comparison: Comparison, *, rows: int = 12) -> Div:
    """The recognised leader of each branch at up to ``rows`` evenly spaced moments."""
    times = comparison.times
    step = max(1, len(times) // rows)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in comparison.names)
    body = []
    for k in range(0, len(times), step):
        cells = "".join(
            f"<td>{comparison.samples[n][k].leader or '—'}</td>" for n in comparison.names
        )
        body.append(f"<tr><td>{times[k]:.1f} s</td>{cells}</tr>")
    return Div(
        text=f"<table><tr><th>leader at</th>{head}</tr>{''.join(body)}</table>",
        name="compare-leaders",
    )


def save_comparison_html(
    comparison: Comparison, path: str | Path, *, title: str = "emergent-lab branches"
) -> Path:
    """Write the comparison as standalone HTML (BokehJS inlined, opens offline)."""
    target = Path(path)
    layout = comparison_layout(comparison)
    target.write_text(file_html(layout, resources=INLINE, title=title), encoding="utf-8")
    return target
