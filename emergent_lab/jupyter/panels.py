"""Small slider panels for the lessons, without ipywidgets' ``interactive``.

``interactive`` redraws with ``clear_output(wait=True)``; executed headless by
nbclient (``jupyter nbconvert --execute``), a Bokeh figure drawn that way can
leave the executor waiting for output that never comes. These panels clear and
redraw inside the output context instead, so a notebook that builds one runs
to the end unattended. ipywidgets is imported only when a panel is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def panel(
    draw: Callable[..., None], controls: Mapping[str, Any], *, button: str | None = None
) -> Any:
    """Controls above an output area that ``draw(**values)`` fills.

    Args:
        draw: called with every control's value by name; prints or shows figures.
        controls: name -> ipywidgets control (sliders, dropdowns).
        button: if given, draw only when this button is pressed (for slow
            draws, e.g. a whole scenario run); otherwise draw at once and on
            every change.

    Returns:
        An ipywidgets ``VBox``.
    """
    import ipywidgets as w

    output = w.Output()

    def redraw(*_: Any) -> None:
        with output:
            output.clear_output()
            draw(**{name: control.value for name, control in controls.items()})

    children = list(controls.values())
    if button is None:
        for control in controls.values():
            control.observe(redraw, names="value")
        redraw()
    else:
        run = w.Button(description=button, icon="play")
        run.on_click(redraw)
        children.append(run)
    return w.VBox([w.HBox(children, layout=w.Layout(flex_flow="row wrap")), output])
