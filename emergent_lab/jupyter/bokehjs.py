"""Bokeh figures in a notebook that work offline and degrade to a note without BokehJS.

Bokeh's own ``output_notebook()`` + ``show()`` loads BokehJS from its CDN
(every chart of a classroom without internet read "Javascript Error:
timeout"), and its display outputs are made for a live page: the
``application/vnd.bokehjs_exec.v0+json`` renderer of jupyter_bokeh waits one
second for BokehJS and otherwise fails with that same error. A committed
lesson never has BokehJS in the page when it is opened (the 8 MB inline copy
is stripped by :mod:`scripts.refresh_lessons`), so those outputs were an
error waiting for the first trusted viewer.

Here instead:

- :func:`load_bokehjs` publishes BokehJS inline (``bokeh.resources.INLINE``:
  nothing from outside the machine), once per browser page. The page is
  recognised by the client session id that JupyterLab puts in the header of
  every message it sends (a fresh one on each page load), so a reloaded page
  gets BokehJS again on its next figure while cells re-run in the same page
  do not copy 4 MB each time.
- :func:`figure_bundle` is one ``text/html`` output: a short note ("▶ Run
  the cell to draw the figure …"), Bokeh's root ``<div>`` and a script that, if BokehJS is
  in the page, removes the note and draws the figure. Viewed untrusted
  (scripts stripped), in a page without BokehJS, or on a site that renders
  notebooks statically, it shows the note; it never shows an error.
"""

from __future__ import annotations

import html
from typing import Any

MIME_HTML = "text/html"
MIME_TEXT = "text/plain"
FIGURE_CLASS = "emergent-lab-figure"
"""CSS class of a figure output's outer element (tests and the hygiene check look for it)."""
NOTE_CLASS = "emergent-lab-figure-note"
NOTE_TEXT = "▶ Run the cell to draw the figure"
"""How a figure output starts when it cannot be drawn (followed by the figures' titles)."""
WAIT_MS = 1000
"""How long a figure waits for BokehJS loaded by an output just before it, then keeps its note."""

_pages_with_bokehjs: set[str] = set()
"""Client session ids (browser pages) that were sent BokehJS by this kernel."""

_DRAW_JS = """
(function () {
  const host = document.currentScript.parentElement;
  const docs_json = %(docs_json)s;
  const render_items = %(render_items)s;
  const until = Date.now() + %(wait_ms)d;
  function draw() {
    if (window.Bokeh === undefined || window.Bokeh.embed === undefined) {
      if (Date.now() < until) { setTimeout(draw, 50); }
      else { console.warn("emergent-lab: BokehJS is not in this page; run the cell to draw"); }
      return;
    }
    const note = host.querySelector(".%(note_class)s");
    if (note !== null) { note.remove(); }
    void window.Bokeh.embed.embed_items_notebook(docs_json, render_items);
  }
  draw();
})();
"""


def _page() -> str | None:
    """The client session id of the message being handled, or None outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None:
        return None
    session = kernel.get_parent().get("header", {}).get("session")
    return str(session) if session else None


def load_bokehjs() -> None:
    """Publish BokehJS inline unless this browser page already received it from this kernel.

    Outside a kernel, or when the page cannot be told, it is published every time.
    """
    from bokeh.io.notebook import load_notebook
    from bokeh.resources import INLINE

    page = _page()
    if page is not None and page in _pages_with_bokehjs:
        return
    load_notebook(INLINE, hide_banner=True)
    if page is not None:
        _pages_with_bokehjs.add(page)


def figure_bundle(root: Any, *, titles: list[str]) -> dict[str, str]:
    """The display bundle of a Bokeh ``root`` (a figure or a layout), drawn if BokehJS is there.

    Args:
        root: the Bokeh model to show.
        titles: the figures' titles, named in the note shown when it cannot be drawn.
    """
    from bokeh.core.json_encoder import serialize_json
    from bokeh.embed.elements import div_for_render_item
    from bokeh.embed.util import OutputDocumentFor, standalone_docs_json_and_render_items

    with OutputDocumentFor([root], always_new=True):
        docs_json, [item] = standalone_docs_json_and_render_items([root])
    quoted = ", ".join(f"“{t}”" for t in titles)
    plural = "s" if len(titles) > 1 else ""
    note = f"{NOTE_TEXT}{plural} {quoted}".rstrip() + "."
    script = _DRAW_JS % {
        "docs_json": serialize_json(docs_json),
        "render_items": serialize_json([item.to_json()]),
        "wait_ms": WAIT_MS,
        "note_class": NOTE_CLASS,
    }
    # "</" inside the JSON would end the <script> element early.
    script = script.replace("</", "<\\/")
    body = (
        f'<div class="{FIGURE_CLASS}">'
        f'<p class="{NOTE_CLASS}"><em>{html.escape(note)}</em></p>'
        f"{div_for_render_item(item).strip()}"
        f'<script type="text/javascript">{script}</script>'
        "</div>"
    )
    return {MIME_HTML: body, MIME_TEXT: note}
