"""Play as one asyncio task on the kernel's running loop, so widgets stay responsive.

Played time keeps to the wall clock, as a video player (or NetLogo's speed
slider) keeps to it: each tick advances the cluster by *speed* × the wall
time elapsed since the last advance, and when drawing every frame would
cost more than the time between frames, frames are dropped instead of time
being slowed (:class:`PlayClock`). What was achieved, virtual seconds per
wall second and frames drawn per second, is measured and shown, never
assumed. The run itself does not depend on how time was cut into ticks:
the engines are deterministic in virtual time, whatever the steps.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any

from .serial import FairLock

LONGEST_STEP_S = 0.5
"""Wall seconds of played time owed at most. After a stall (another cell
ran, the kernel was busy), or when the engine cannot advance as fast as
asked, the player drops the rest rather than owe more and more; the
achieved speed says so."""
LONGEST_TICK_S = 0.2
"""Wall seconds one tick spends advancing at most (from the measured cost):
the kernel answers a click (Pause) between ticks, so a slow engine advances
what is owed over several ticks instead of in one long one."""
LEAST_DRAWING_SHARE = 0.25
"""Share of wall time kept for drawing when advancing alone takes (nearly)
all of it: the picture still moves, and the readout shows the speed achieved."""
NEWEST_WEIGHT = 0.3
"""Weight of the newest cost in the running averages (exponential smoothing)."""
PACE_WINDOW_S = 2.0
"""Wall seconds over which the achieved speed and frame rate are measured."""
LEAST_YIELD_S = 0.005
"""Wall seconds the play task sleeps at least between ticks, so the kernel
handles clicks (Pause) even when a tick takes longer than a frame."""


def _smoothed(average: float | None, newest: float) -> float:
    return newest if average is None else (1 - NEWEST_WEIGHT) * average + NEWEST_WEIGHT * newest


@dataclass(frozen=True)
class Pace:
    """What playing achieved over the last :data:`PACE_WINDOW_S` wall seconds."""

    speed: float
    """Virtual seconds advanced per wall second."""
    fps: float
    """Frames drawn per wall second."""


class PlayClock:
    """When to advance by how much, and when to draw: played time kept on the wall clock.

    Pure bookkeeping over times it is given (wall seconds, any monotonic
    origin), so it is tested without a kernel. Costs are running averages:
    ``advance_cost`` wall seconds per virtual second advanced, ``draw_cost``
    wall seconds per frame drawn. A frame is drawn at most every *interval*,
    and further apart when drawing that often would leave advancing less than
    the wall time it needs at *speed*: the gap is ``draw_cost / spare`` with
    ``spare = 1 - advance_cost × speed`` (at least :data:`LEAST_DRAWING_SHARE`).
    """

    def __init__(self) -> None:
        self.advance_cost: float | None = None
        self.draw_cost: float | None = None
        self._last: float | None = None
        self._owed = 0.0
        self._drawn_at = -math.inf
        self._advances: deque[tuple[float, float]] = deque()
        self._frames: deque[float] = deque()

    def restart(self, now: float) -> None:
        """Start (or resume) playing at wall time ``now``: nothing is owed for the time before."""
        self._last = now
        self._owed = 0.0
        self._drawn_at = -math.inf
        self._advances.clear()
        self._frames.clear()

    def due(self, now: float, speed: float) -> float:
        """Virtual seconds to advance at ``now``.

        What is owed: ``speed`` × the wall time since the last call, plus what
        earlier ticks left (at most ``speed`` × :data:`LONGEST_STEP_S` in all),
        of which one tick takes what it can advance in :data:`LONGEST_TICK_S`.
        """
        elapsed = 0.0 if self._last is None else max(now - self._last, 0.0)
        self._last = now
        self._owed = min(self._owed + speed * elapsed, speed * LONGEST_STEP_S)
        step = self._owed
        if self.advance_cost:
            step = min(step, LONGEST_TICK_S / self.advance_cost)
        self._owed -= step
        return step

    def advanced(self, now: float, virtual: float, cost: float) -> None:
        """Note ``virtual`` seconds advanced by ``now``, which took ``cost`` wall seconds."""
        if virtual > 0:
            self.advance_cost = _smoothed(self.advance_cost, cost / virtual)
        self._advances.append((now, virtual))
        self._forget(now)

    def frame_gap(self, interval: float, speed: float) -> float:
        """Wall seconds between drawn frames that leave advancing the time it needs."""
        if self.draw_cost is None or self.advance_cost is None:
            return interval
        spare = max(1.0 - self.advance_cost * speed, LEAST_DRAWING_SHARE)
        return max(interval, self.draw_cost / spare)

    def draw_due(self, now: float, interval: float, speed: float) -> bool:
        """Whether a frame should be drawn at ``now``."""
        return now - self._drawn_at >= self.frame_gap(interval, speed) - 1e-9

    def drew(self, now: float, cost: float) -> None:
        """Note a frame drawn at ``now``, which took ``cost``.

        The gap to the next frame counts from the start of this tick (the last
        :meth:`due`), so frames keep the ticks' rhythm: one every interval.
        """
        self.draw_cost = _smoothed(self.draw_cost, cost)
        self._drawn_at = now if self._last is None else self._last
        self._frames.append(now)
        self._forget(now)

    def pace(self, now: float) -> Pace | None:
        """Speed and frame rate over the last window (None before a window's worth of play)."""
        if not self._advances:
            return None
        span = min(PACE_WINDOW_S, now - self._advances[0][0])
        if span < PACE_WINDOW_S / 2:
            return None
        window = now - span
        virtual = sum(v for t, v in self._advances if t > window)
        frames = sum(1 for t in self._frames if t > window)
        return Pace(speed=virtual / span, fps=frames / span)

    def _forget(self, now: float) -> None:
        while self._advances and self._advances[0][0] < now - PACE_WINDOW_S:
            self._advances.popleft()
        while self._frames and self._frames[0] < now - PACE_WINDOW_S:
            self._frames.popleft()


class Player:
    """Calls ``tick(virtual_seconds, draw)`` about every ``interval()`` real seconds while playing.

    Args:
        tick: advances the cluster by its first argument, draws a frame if
            the second is true, and tells :attr:`clock` what each cost.
        speed: virtual seconds per real second, read at every tick.
        interval: real seconds between frames, read at every tick.
        on_error: told when a tick raises; playing stops.
        lock: held for each tick, and by whoever starts or stops the player
            (the dashboard's, see :mod:`.serial`): a Pause from another
            thread waits for the tick under way, and no tick follows it.
    """

    def __init__(
        self,
        tick: Callable[[float, bool], None],
        *,
        speed: Callable[[], float],
        interval: Callable[[], float],
        on_error: Callable[[Exception], None],
        lock: FairLock,
    ) -> None:
        self._lock = lock
        self._tick = tick
        self._speed = speed
        self._interval = interval
        self._on_error = on_error
        self._task: asyncio.Task[None] | None = None
        self.clock = PlayClock()

    @property
    def playing(self) -> bool:
        """Whether the play task is running."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start playing on the running loop; a second start while playing does nothing."""
        with self._lock:
            if self.playing:
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.get_event_loop()
            self.clock.restart(monotonic())
            self._task = loop.create_task(self._run())

    def stop(self) -> None:
        """Stop playing: no tick starts after this returns (call it holding the lock).

        The task may live on another thread's loop (a subshell's), so it is
        cancelled through that loop; until then it finds it is no longer the
        player's task and ends without ticking.
        """
        with self._lock:
            task, self._task = self._task, None
        if task is not None and not task.done():
            try:
                task.get_loop().call_soon_threadsafe(task.cancel)
            except RuntimeError:  # its loop is closed: the task can never run again
                pass

    async def _run(self) -> None:
        me = asyncio.current_task()
        while True:
            started = monotonic()
            with self._lock:
                if self._task is not me:
                    return
                interval, speed = self._interval(), self._speed()
                try:
                    self._tick(
                        self.clock.due(started, speed),
                        self.clock.draw_due(started, interval, speed),
                    )
                except Exception as error:
                    self._task = None
                    self._on_error(error)
                    return
            await asyncio.sleep(max(LEAST_YIELD_S, interval - (monotonic() - started)))


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
