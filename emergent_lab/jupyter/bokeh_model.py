"""``BatchedBokehModel``: jupyter_bokeh's widget, batched and never out of step with its views.

Two things in ``jupyter_bokeh.BokehModel`` break a live dashboard:

- It sends one PATCH-DOC message per document change, and each message
  indexes every model of the document again; a frame changes half a dozen
  data sources, so that indexing dominated the frame. Inside
  :meth:`BatchedBokehModel.frame` the changes are collected and sent as one
  message, which BokehJS applies in one go.
- Patches reach only the views that exist when they are sent, and a view is
  built from ``render_bundle``, the document as it was when the widget was
  made. A view made later (the cell displayed after the first frame, a page
  reload, Run All whose next cells patch before the browser has built the
  view) starts from a stale document and then receives patches of some
  columns only: Bokeh draws nothing ("columns of inconsistent lengths").
  So the bundle is serialised afresh whenever a front end asks for the
  widget's state (display, reload), and when a view reports that its
  document is ready, everything changed since that bundle was made is sent
  again in full: idempotent for views already in step, a repair for the late one.

A third: the browser's messages (a tap, a view's DocumentReady, a request
for the state) arrive on ipykernel 7's subshell thread while frames are
drawn on another, and a patch is several comm messages that must not
interleave with another's. So the late view's resend and the bundle are
made under the lock the frames are drawn under (the dashboard's,
:mod:`.serial`). The browser's own changes (a frame's acknowledgement, a
tap) are applied at once, as jupyter_bokeh does: one attribute each, and
waiting for the tick under way would hold up every click queued behind them.

It relies on jupyter_bokeh's ``_document_patched`` hook and message framing
(jupyter_bokeh 4); the browser tests exercise both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from bokeh.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    DocumentPatchedEvent,
    ModelChangedEvent,
)
from bokeh.events import DocumentReady
from bokeh.model import Model
from bokeh.models import ColumnDataSource
from bokeh.protocol import Protocol
from jupyter_bokeh import BokehModel

from .serial import FairLock

BUNDLE = "render_bundle"


class BatchedBokehModel(BokehModel):  # type: ignore[misc]
    """A ``BokehModel`` that batches a frame's changes and brings late views up to date."""

    _closed = False
    _pending: list[Any] | None = None

    def __init__(self, model: Any, *, lock: FairLock | None = None, **kwargs: Any) -> None:
        self._lock = lock if lock is not None else FairLock()
        self._stale_sources: dict[str, ColumnDataSource] = {}
        self._stale_props: dict[tuple[str, str], Model] = {}
        super().__init__(model, **kwargs)
        self._document.on_event(DocumentReady, self._view_ready)

    @contextmanager
    def frame(self) -> Iterator[None]:
        """Collect every document change made inside the block; send them together at its end."""
        document = self._document
        self._pending = []
        document.hold("combine")
        try:
            yield
        finally:
            document.unhold()
            events, self._pending = self._pending, None
            if events:
                self._send_patch(events)

    def refresh_bundle(self) -> None:
        """Serialise the document as it is now; views re-render from it."""
        self.render_bundle = self._fresh_bundle()

    def get_state(self, key: str | Iterable[str] | None = None, drop_defaults: bool = False) -> Any:
        """The widget's state, with ``render_bundle`` serialised from the document now.

        A front end asks for the whole state when it builds the widget's model
        (first display, a page reload); the bundle made at construction would
        be stale by then.
        """
        with self._lock:
            return self._state(key, drop_defaults)

    def _state(self, key: str | Iterable[str] | None, drop_defaults: bool) -> Any:
        keys = self.keys if key is None else [key] if isinstance(key, str) else list(key)
        if BUNDLE in keys:
            self._trait_values[BUNDLE] = self._fresh_bundle()
        return super().get_state(key, drop_defaults)

    def _fresh_bundle(self) -> Any:
        self._stale_sources.clear()
        self._stale_props.clear()
        return self._model_to_traits(self._model)

    def _document_patched(self, event: Any) -> None:
        if event.setter is self:
            return
        self._remember(event)
        if self._pending is not None:
            self._pending.append(event)
        else:
            self._send_patch([event])

    def _remember(self, event: DocumentPatchedEvent) -> None:
        """Note what a view built from the current bundle would lack."""
        if isinstance(event, ColumnDataChangedEvent | ColumnsStreamedEvent | ColumnsPatchedEvent):
            source = event.model
            if isinstance(source, ColumnDataSource):
                self._stale_sources[source.id] = source
        elif isinstance(event, ModelChangedEvent):
            self._stale_props[(event.model.id, event.attr)] = event.model

    def _view_ready(self, _event: DocumentReady) -> None:
        """A view finished building its document: resend in full what changed since its bundle."""
        with self._lock:  # its patch must not interleave with a frame's
            self._resend_stale()

    def _resend_stale(self) -> None:
        document: Any = self._document
        if document is None:
            return
        sources = [s for s in self._stale_sources.values() if s.document is self._document]
        props = [
            (model, attr)
            for (_, attr), model in self._stale_props.items()
            if model.document is self._document
        ]
        events: list[DocumentPatchedEvent] = [
            ColumnDataChangedEvent(document, source, "data", setter=None) for source in sources
        ]
        events += [
            ModelChangedEvent(document, model, attr, getattr(model, attr)) for model, attr in props
        ]
        if events:
            self._send_patch(events)

    def _send_patch(self, events: list[Any]) -> None:
        """Frame a PATCH-DOC message the way jupyter_bokeh's front end reads it."""
        message = Protocol().create("PATCH-DOC", events)
        self.send({"msg": "patch", "payload": message.header_json})
        self.send({"msg": "patch", "payload": message.metadata_json})
        self.send({"msg": "patch", "payload": message.content_json})
        for buffer in message.buffers:
            self.send({"msg": "patch", "payload": json.dumps(buffer.ref)})
            self.send({"msg": "patch"}, [buffer.to_bytes()])

    def close(self) -> None:
        """Close once: ipywidgets closes widgets again at exit, and jupyter_bokeh's close raises."""
        if not self._closed:
            self._closed = True
            super().close()
