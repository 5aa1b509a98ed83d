"""Bokeh figures for the lessons, built on demand.

Bokeh is imported inside each function: the engine package never imports a
plotting library at module level, and a headless user who never draws a
figure does not need Bokeh installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from emergent_lab.analysis.timelines import cluster_series
from emergent_lab.exact.cluster import SimCluster

Series = tuple[Sequence[float], Sequence[float]]
_WIDTH, _HEIGHT = 560, 300
"""The plotting area (frame) of every chart: the legend and axes sit outside it."""


_MARKERS = ("circle", "square", "triangle", "diamond", "inverted_triangle")
"""One shape per marker-only series, drawn see-through: points at the same place stay visible."""


def _colours(n: int) -> list[str]:
    from bokeh.palettes import Category10, Category20

    palette = list(Category10[10]) if n <= 10 else list(Category20[20])
    return [palette[k % len(palette)] for k in range(n)]


def _legend_outside(fig: Any) -> None:
    """Move the legend beside the plotting area, where it can never cover data.

    Entries stay click-to-hide, so a learner can still thin out a crowded chart.
    """
    legend = fig.legend[0]
    legend.click_policy = "hide"
    legend.location = "top_left"
    legend.label_text_font_size = "11px"
    legend.spacing = 0
    fig.add_layout(legend, "right")


def line_chart(
    series: Mapping[str, Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    log_x: bool = False,
    dashed: Sequence[str] = (),
    points: Sequence[str] = (),
    step: bool = False,
) -> Any:
    """Several named lines on one chart.

    Args:
        series: legend label -> (xs, ys).
        title: chart title.
        x_label: x axis label.
        y_label: y axis label.
        log_x: logarithmic x axis (for sizes from 10 to 2,000).
        dashed: labels drawn dashed (bounds and references, not measurements).
        points: labels drawn as markers only (individual measurements), each
            series its own see-through shape, so coinciding points all show.
        step: draw lines as steps (values that hold until the next sample).
    """
    from bokeh.plotting import figure

    fig = figure(
        title=title,
        frame_width=_WIDTH,
        frame_height=_HEIGHT,
        x_axis_type="log" if log_x else "linear",
        x_axis_label=x_label,
        y_axis_label=y_label,
        tools="pan,wheel_zoom,box_zoom,reset,save,hover",
    )
    for colour, (label, (xs, ys)) in zip(_colours(len(series)), series.items(), strict=True):
        x, y = list(xs), list(ys)
        if label in points:
            marker = _MARKERS[points.index(label) % len(_MARKERS)]
            fig.scatter(
                x,
                y,
                marker=marker,
                size=11,
                line_color=colour,
                line_width=2,
                fill_color=colour,
                fill_alpha=0.3,
                legend_label=label,
            )
        else:
            dash = "dashed" if label in dashed else "solid"
            style = {"line_width": 2, "color": colour, "line_dash": dash, "legend_label": label}
            if step:
                fig.step(x, y, mode="after", **style)
            else:
                fig.line(x, y, **style)
    _legend_outside(fig)
    return fig


def leader_chart(series: Mapping[str, Series], *, nodes: Sequence[str], title: str) -> Any:
    """Which node leads over time, one step line per run, on an axis of node names.

    Node numbers are categories, so the axis shows only whole numbers, each
    with its name. Where two runs hold the same leader their lines coincide;
    the first run is drawn widest and palest and each later one narrower on
    top, so every line stays visible where they overlap.

    Args:
        series: legend label -> (times, node numbers; NaN while no leader).
        nodes: the name of node number k, at tick k.
        title: chart title.
    """
    from bokeh.models import FixedTicker, Range1d
    from bokeh.plotting import figure

    fig = figure(
        title=title,
        frame_width=_WIDTH,
        frame_height=_HEIGHT,
        x_axis_label="virtual time (s)",
        y_axis_label="leader recognised by the majority",
        y_range=Range1d(start=-0.5, end=len(nodes) - 0.5),
        tools="pan,wheel_zoom,box_zoom,reset,save,hover",
    )
    fig.yaxis.ticker = FixedTicker(ticks=list(range(len(nodes))))
    fig.yaxis.major_label_overrides = {k: name for k, name in enumerate(nodes)}
    last = max(len(series) - 1, 1)
    for k, (colour, (label, (xs, ys))) in enumerate(
        zip(_colours(len(series)), series.items(), strict=True)
    ):
        wide = (last - k) / last
        fig.step(
            list(xs),
            list(ys),
            mode="after",
            color=colour,
            line_width=2 + 8 * wide,
            line_alpha=1.0 - 0.6 * wide,
            legend_label=label,
        )
    _legend_outside(fig)
    return fig


def timeline_chart(cluster: SimCluster, *, title: str) -> Any:
    """The observer's view of a run: agreement, nodes acting as leader, and the faults.

    Agreement is the share of up nodes holding the most common opinion; two or
    more acting leaders is split leadership; dotted lines mark each fault.
    """
    from bokeh.models import LinearAxis, Range1d
    from bokeh.models.annotations import Span
    from bokeh.plotting import figure

    s = cluster_series(cluster)
    fig = figure(
        title=title,
        frame_width=_WIDTH,
        frame_height=_HEIGHT,
        x_axis_label="virtual time (s)",
        y_axis_label="agreement (share of up nodes)",
        y_range=Range1d(start=0, end=1.05),
        tools="pan,wheel_zoom,box_zoom,reset,save",
    )
    top = max([*s.acting, 2])
    fig.extra_y_ranges = {"acting": Range1d(start=0, end=top + 0.5)}
    fig.add_layout(LinearAxis(y_range_name="acting", axis_label="nodes acting as leader"), "right")
    blue, red = _colours(4)[0], _colours(4)[3]
    fig.step(s.time, s.agreement, mode="after", color=blue, line_width=2, legend_label="agreement")
    fig.step(
        s.time,
        s.acting,
        mode="after",
        color=red,
        line_width=2,
        y_range_name="acting",
        legend_label="acting leaders",
    )
    for at, _kind, _label in s.marks:
        fig.add_layout(Span(location=at, dimension="height", line_dash="dotted", line_color="grey"))
    _legend_outside(fig)
    return fig


def stacked_bars(
    labels: Sequence[str], parts: Mapping[str, Sequence[float]], *, title: str, y_label: str
) -> Any:
    """Bars made of named parts stacked on each other (e.g. detection + dissemination)."""
    from bokeh.models import FactorRange
    from bokeh.plotting import figure

    names = list(parts)
    data: dict[str, list[Any]] = {"label": list(labels)}
    for name in names:
        data[name] = [float(v) for v in parts[name]]
    fig = figure(
        title=title,
        x_range=FactorRange(factors=list(labels)),
        frame_width=_WIDTH,
        frame_height=_HEIGHT,
        y_axis_label=y_label,
        tools="save,hover",
        tooltips="$name: @$name{0.00} s",
    )
    fig.vbar_stack(
        names, x="label", width=0.7, source=data, color=_colours(len(names)), legend_label=names
    )
    _legend_outside(fig)
    return fig


def show(*figures: Any) -> None:
    """Display figures in a notebook, stacked, with BokehJS inline (the lessons work offline).

    A saved output viewed without BokehJS (an untrusted or freshly opened
    notebook) shows a note naming the figures instead of an error; see
    :mod:`emergent_lab.jupyter.bokehjs`.
    """
    from bokeh.layouts import column
    from IPython.display import display

    from emergent_lab.jupyter.bokehjs import figure_bundle, load_bokehjs

    root = column(*figures) if len(figures) > 1 else figures[0]
    load_bokehjs()
    display(figure_bundle(root, titles=_titles(figures)), raw=True)  # type: ignore[no-untyped-call]


def _titles(figures: Sequence[Any]) -> list[str]:
    """The titles of the plots shown, in order (a layout's plots sorted by title)."""
    from bokeh.models import Plot

    titles: list[str] = []
    for fig in figures:
        plots = [fig] if isinstance(fig, Plot) else list(fig.select({"type": Plot}))
        named = [text for p in plots if (text := _title(p))]
        titles.extend(named if isinstance(fig, Plot) else sorted(named))
    return titles


def _title(plot: Any) -> str:
    """A plot's title as text ("" without one); Bokeh allows a string or a ``Title``."""
    title = plot.title
    return str(title if isinstance(title, str) else getattr(title, "text", "") or "")
