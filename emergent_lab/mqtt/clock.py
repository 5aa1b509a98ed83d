"""The protocol's clock on a real asyncio loop.

:class:`~emergent_lab.protocol.transport.Clock` only asks for ``now()`` and
``call_later``; the loop's monotonic time gives both, so phi-accrual detectors
see true arrival intervals and a wall-clock jump cannot fake a failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from emergent_lab.protocol.transport import Cancellable

log = logging.getLogger(__name__)


class LoopClock:
    """Monotonic seconds and timers of one asyncio event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def now(self) -> float:
        """The loop's monotonic time, in seconds."""
        return self.loop.time()

    def call_later(self, delay: float, callback: Callable[[], Any]) -> Cancellable:
        """Run ``callback`` after ``delay`` seconds on the loop.

        A callback that raises is logged and does not stop the loop (a timer
        of the node must never take the process down with it).
        """

        def guarded() -> None:
            try:
                callback()
            except Exception:
                log.exception("timer callback failed")

        return self.loop.call_later(max(0.0, delay), guarded)
