"""The advisor's trade-off as a standalone HTML page (Bokeh, inline: works offline).

Why its own module: the advisor's analysis stays free of Bokeh; only a user
who asks for ``--plot`` pays for importing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from emergent_lab.analysis.advisor import Recommendation, Row

COLOURS = {
    "akka": "#1f77b4",
    "cassandra": "#ff7f0e",
    "timeout": "#2ca02c",
    "swim": "#9467bd",
    "swim+lifeguard": "#d62728",
}


def save_tradeoff(
    rows: Sequence[Row], recommendation: Recommendation, path: Path, *, title: str
) -> None:
    """Write false suspicions per hour against detection time, one line per detector."""
    from bokeh.io import save
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.models.annotations.geometry import Span
    from bokeh.plotting import figure
    from bokeh.resources import INLINE

    plot = figure(
        title=title,
        x_axis_label="mean detection time (s)",
        y_axis_label="false suspicions per hour (0 drawn at 0.001)",
        y_axis_type="log",
        width=800,
        height=450,
    )
    for detector, colour in COLOURS.items():
        picked = [r for r in rows if r.detector == detector and r.detection_s is not None]
        if not picked:
            continue
        source = ColumnDataSource(
            {
                "x": [r.detection_s for r in picked],
                "y": [max(r.false_per_hour, 1e-3) for r in picked],
                "setting": [r.setting for r in picked],
                "false": [r.false_per_hour for r in picked],
            }
        )
        plot.line("x", "y", source=source, color=colour, legend_label=detector)
        plot.scatter("x", "y", source=source, color=colour, size=7, legend_label=detector)
    plot.add_tools(
        HoverTool(tooltips=[("setting", "@setting"), ("false/h", "@false"), ("detect s", "@x")])
    )
    target = Span(location=recommendation.target_per_hour, dimension="width", line_dash="dashed")
    plot.add_layout(target)
    best = recommendation.row
    if best is not None and best.detection_s is not None:
        plot.scatter(
            [best.detection_s],
            [max(best.false_per_hour, 1e-3)],
            marker="star",
            size=18,
            color="black",
            legend_label="recommended",
        )
    plot.legend.click_policy = "hide"
    save(plot, filename=str(path), resources=INLINE, title=title)
