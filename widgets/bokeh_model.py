"""``BatchedBokehModel``: jupyter_bokeh's widget, sending one patch message per frame.

``jupyter_bokeh.BokehModel`` sends one PATCH-DOC message per document change,
and each message indexes every model of the document again; a frame changes
half a dozen data sources, so that indexing dominated the frame. Inside
:meth:`BatchedBokehModel.frame` the changes are collected and sent as one
PATCH-DOC message with all of them, which BokehJS applies in one go. It
relies on jupyter_bokeh's ``_document_patched`` hook and message framing
(jupyter_bokeh 4); the browser test exercises both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bokeh.protocol import Protocol
from jupyter_bokeh import BokehModel


class BatchedBokehModel(BokehModel):  # type: ignore[misc]
    """A ``BokehModel`` that batches a frame's document changes into one message."""

    _closed = False
    _pending: list[Any] | None = None

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

    def _document_patched(self, event: Any) -> None:
        if event.setter is self:
            return
        if self._pending is not None:
            self._pending.append(event)
        else:
            self._send_patch([event])

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
