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
widget and Bokeh callback (:func:`locked`) and each tick of the play task.
The engine stays single-threaded and deterministic; only who goes next is
decided by the lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Serialized(Protocol):
    """An object whose methods take turns under its ``lock``."""

    lock: threading.RLock


S = TypeVar("S", bound=Serialized)


def serialized(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run a method under its object's ``lock`` (re-entrant: methods may call each other)."""

    @functools.wraps(method)
    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            return method(self, *args, **kwargs)

    return run


def locked(lock: threading.RLock, callback: Callable[P, R]) -> Callable[P, R]:
    """``callback`` run under ``lock``, for a widget or Bokeh callback on any thread."""

    @functools.wraps(callback)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with lock:
            return callback(*args, **kwargs)

    return run
