"""One lock per dashboard: its widgets' callbacks, its play task and the user's cells take turns.

Why a lock in a notebook: ipykernel 7 under JupyterLab 4 handles widget
messages on a *subshell* thread, so that widgets answer while a cell runs.
A click (Pause, kill) then runs on that thread while the play task ticks on
another loop and a cell calls ``dash.advance`` on the main thread. Left
alone they changed the cluster at the same time: a Pause deep-copied the
cluster in the middle of a tick ("dictionary changed size during
iteration") and left the button reading "Pause" on a stopped player.

Everything that reads or changes the cluster or the views takes the
dashboard's re-entrant lock: its public methods (:func:`serialized`), every
widget callback and Bokeh selection callback (:func:`locked`) and each tick
of the play task. The engine stays single-threaded and deterministic; only
who goes next is decided by the lock. It is fair (:class:`FairLock`, first
come, first served): the play task asks again 5 ms after each tick, and
Python's own lock lets the thread that released it take it straight back.
What the lock leaves out, on purpose: the browser's acknowledgement of each
frame and its own changes (jupyter_bokeh applies them as they come). Queued
behind each tick on the subshell thread, they held up the clicks behind
them: Pause at 1,000 nodes was answered after 5 to 10 s instead of 0.3 to 1.5.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class FairLock:
    """A re-entrant lock granted in the order it was asked for.

    A thread that releases it and asks again at once queues behind the
    threads already waiting, so a click is served after the tick under way,
    not after whichever tick wins the race for the interpreter.
    """

    def __init__(self) -> None:
        self._state = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[object] = deque()

    def acquire(self) -> None:
        """Take the lock, after those who asked before (at once if this thread holds it)."""
        me = threading.get_ident()
        with self._state:
            if self._owner == me:
                self._depth += 1
                return
            ticket = object()
            self._waiting.append(ticket)
            while self._owner is not None or self._waiting[0] is not ticket:
                self._state.wait()
            self._waiting.popleft()
            self._owner, self._depth = me, 1
            self._state.notify_all()

    def release(self) -> None:
        """Give the lock back (once for every :meth:`acquire`)."""
        with self._state:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a FairLock this thread does not hold")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._state.notify_all()

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


class Serialized(Protocol):
    """An object whose methods take turns under its ``lock``."""

    lock: FairLock


S = TypeVar("S", bound=Serialized)


def serialized(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run a method under its object's ``lock`` (re-entrant: methods may call each other)."""

    @functools.wraps(method)
    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            return method(self, *args, **kwargs)

    return run


def locked(lock: FairLock, callback: Callable[P, R]) -> Callable[P, R]:
    """``callback`` run under ``lock``, for a widget or Bokeh callback on any thread."""

    @functools.wraps(callback)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with lock:
            return callback(*args, **kwargs)

    return run
