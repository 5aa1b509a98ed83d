"""Play as one asyncio task on the kernel's running loop, so widgets stay responsive.

Each tick advances virtual time by speed × frame interval — a fixed amount,
not the wall time that happened to pass — so a played run is the same run
whatever the machine's speed. Wall time only paces the frames.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class Player:
    """Calls ``tick(virtual_seconds)`` every ``interval()`` real seconds while playing.

    Args:
        tick: renders one frame after advancing the cluster by its argument.
        speed: virtual seconds per real second, read at every frame.
        interval: real seconds between frames, read at every frame.
        on_error: told when a tick raises; playing stops.
    """

    def __init__(
        self,
        tick: Callable[[float], None],
        *,
        speed: Callable[[], float],
        interval: Callable[[], float],
        on_error: Callable[[Exception], None],
    ) -> None:
        self._tick = tick
        self._speed = speed
        self._interval = interval
        self._on_error = on_error
        self._task: asyncio.Task[None] | None = None

    @property
    def playing(self) -> bool:
        """Whether the play task is running."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start playing on the running loop; a second start while playing does nothing."""
        if self.playing:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop()
        self._task = loop.create_task(self._run())

    def stop(self) -> None:
        """Stop playing (the current frame, if any, completes first)."""
        if self._task is not None:
            self._task.cancel()
        self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            interval = self._interval()
            try:
                self._tick(self._speed() * interval)
            except Exception as error:
                self._task = None
                self._on_error(error)
                return
            await asyncio.sleep(max(0.0, interval - (loop.time() - started)))


CHARTS_EVERY = 0.4
"""Real seconds between redraws of the time plots while playing."""
UNACKED_FRAME_EVERY = 1.0
"""Real seconds after which a frame is drawn even if the browser did not acknowledge the last."""


class FramePacer:
    """Draw a frame only when the browser has applied the last one.

    The kernel numbers each frame; the browser echoes the number back when it
    has applied it (see :class:`~.views.DashboardViews`). Frames sent faster
    than a browser draws would queue behind it, so the picture would lag and
    go on moving after Pause. Virtual time still advances at the chosen
    speed: only drawing waits. With no browser view acknowledging (a headless
    kernel), a frame still goes out every :data:`UNACKED_FRAME_EVERY` seconds.
    """

    def __init__(self) -> None:
        self.number = 0
        self.undrawn = 0.0
        """Virtual seconds advanced since the last drawn frame."""
        self._acked = 0
        self._drawn_at = 0.0
        self._charts_at = 0.0

    def busy(self, now: float) -> bool:
        """Whether the browser still lacks the last frame (so skip drawing this one)."""
        return self.number > self._acked and now - self._drawn_at < UNACKED_FRAME_EVERY

    def charts_due(self, now: float) -> bool:
        """Whether the time plots should be redrawn with this frame while playing."""
        return now - self._charts_at >= CHARTS_EVERY

    def drawn(self, now: float, *, charts: bool) -> int:
        """Note a frame drawn now; returns its number."""
        self.number += 1
        self.undrawn = 0.0
        self._drawn_at = now
        if charts:
            self._charts_at = now
        return self.number

    def acknowledged(self, _attr: str, _old: list[Any], new: list[Any]) -> None:
        """Bokeh callback: the browser applied frame ``new[0]``."""
        if new and isinstance(new[0], int | float):
            self._acked = max(self._acked, int(new[0]))
