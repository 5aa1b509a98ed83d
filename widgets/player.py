"""Play as one asyncio task on the kernel's running loop, so widgets stay responsive.

Each tick advances virtual time by speed × frame interval — a fixed amount,
not the wall time that happened to pass — so a played run is the same run
whatever the machine's speed. Wall time only paces the frames.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


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
