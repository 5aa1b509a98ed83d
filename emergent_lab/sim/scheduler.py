"""A virtual-time discrete-event scheduler in the style of SimPy's core.

Time is a float number of virtual seconds that only moves when an event is
processed, so a run does not depend on how fast the machine is. Events that are
due at the same time run in the order they were scheduled (an increasing
counter breaks ties), which is what makes a seeded run repeat event for event.

The queue is a calendar of small heaps rather than one big heap. A Bully
failover at n = 1,000 has a hundred thousand messages in flight at once, and
sifting a heap that size costs several microseconds an event in cache misses
alone. Events are filed by time into buckets of ``BUCKET_S`` (a plain list
each, appended to); only the earliest bucket is made a heap, when its turn
comes. Buckets never overlap in time, so the order is exactly that of one heap
on ``(when, counter)``, whatever the bucket width.
"""

from __future__ import annotations

import heapq
import math
import sys
from collections.abc import Callable
from typing import Any

Callback = Callable[[], Any]
BUCKET_S = 1.0 / 1024
"""Virtual seconds per calendar bucket: about the simulated latencies' millisecond scale."""
_PER_BUCKET = 1.0 / BUCKET_S
_NEVER = sys.maxsize
"""The bucket of an event at +inf (``schedule_at`` allows it; it never comes due), and of any
event due after ``_LAST_S``: past 1.8e305 s its bucket number would be ``int(inf)``."""
_LAST_S = _NEVER * BUCKET_S
"""About 9e15 s: events due later share the bucket ``_NEVER`` (a float, compared fast)."""


class TimerHandle:
    """A scheduled callback that can be cancelled before it runs.

    Cancelling marks the entry instead of removing it from the heap (removal
    would be O(n)); the scheduler skips cancelled entries when it meets them.
    """

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callback) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Prevent the callback from running; harmless if it already ran."""
        self.cancelled = True


Entry = tuple[float, int, Callback, TimerHandle | None]
"""A queued event: due time, counter (unique: ties end there), callback, handle if cancellable."""


class Scheduler:
    """Runs callbacks in virtual-time order: ``schedule``, ``peek``, ``step``, ``run``.

    The same object also serves the protocol as its clock (``now`` and
    ``call_later``), so a node never reads the wall clock.

    A queue entry is ``(when, counter, callback, handle)``; the counter is
    unique, so entries never compare past it. ``handle`` is None for an event
    nobody can cancel (a message's delivery, ``post``), which saves making a
    handle per message and testing it when the event comes due.
    """

    def __init__(self, *, start: float = 0.0) -> None:
        self._now = float(start)
        self._current: list[Entry] = []
        """The earliest bucket, as a heap; events due in it or before go here."""
        self._current_key = -_NEVER
        self._buckets: dict[int, list[Entry]] = {}
        """Later buckets by number, unsorted."""
        self._keys: list[int] = []
        """A heap of the numbers in ``_buckets``."""
        self._counter = 0
        self.processed = 0

    def now(self) -> float:
        """Return the current virtual time in seconds."""
        return self._now

    @property
    def time(self) -> float:
        """The current virtual time in seconds (attribute form of ``now()``)."""
        return self._now

    def schedule(self, delay: float, callback: Callback) -> TimerHandle:
        """Run ``callback`` after ``delay`` virtual seconds (``delay >= 0``)."""
        if not delay >= 0.0 or math.isinf(delay):
            raise ValueError(f"delay: must be a finite number >= 0 (got {delay!r})")
        return self._push(self._now + delay, callback)

    def schedule_at(self, when: float, callback: Callback) -> TimerHandle:
        """Run ``callback`` at virtual time ``when`` (not in the past)."""
        if not when >= self._now:
            raise ValueError(f"when: must be >= now ({self._now}) (got {when!r})")
        return self._push(when, callback)

    def _push(self, when: float, callback: Callback) -> TimerHandle:
        """Queue a callback at a time already checked to be now or later."""
        handle = TimerHandle(when, callback)
        self._file((when, self._counter, callback, handle))
        self._counter += 1
        return handle

    call_later = schedule

    def post(self, delay: float, callback: Callback) -> None:
        """Like ``schedule``, for an event nobody will cancel: no handle is made.

        Ordered exactly as ``schedule`` would order it (it takes the next
        counter), so switching a caller from one to the other changes no run.
        """
        if not delay >= 0.0 or math.isinf(delay):
            raise ValueError(f"delay: must be a finite number >= 0 (got {delay!r})")
        self._file((self._now + delay, self._counter, callback, None))
        self._counter += 1

    def reserve(self, count: int) -> int:
        """Take ``count`` consecutive counters for events queued later with ``post_keyed``.

        Returns the first. A batch of messages sent at once takes its counters
        here, in sending order, so its events tie-break exactly as ``count``
        calls of ``post`` made now would, however they are queued later.
        """
        first = self._counter
        self._counter += count
        return first

    def post_keyed(self, when: float, counter: int, callback: Callback) -> None:
        """Queue an uncancellable event at ``when`` (>= now) under a ``reserve``-d counter."""
        self._file((when, counter, callback, None))

    def _file(self, entry: Entry) -> None:
        """Put an entry in its bucket: the current heap if due in it (or, safely, before)."""
        when = entry[0]
        key = int(when * _PER_BUCKET) if when < _LAST_S else _NEVER
        if key <= self._current_key:
            heapq.heappush(self._current, entry)
            return
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = [entry]
            heapq.heappush(self._keys, key)
        else:
            bucket.append(entry)

    def _next_bucket(self) -> bool:
        """Make the earliest later bucket the current heap; False if there is none."""
        if not self._keys:
            return False
        key = heapq.heappop(self._keys)
        current = self._buckets.pop(key)
        heapq.heapify(current)
        self._current, self._current_key = current, key
        return True

    def peek(self) -> float:
        """Return the time of the next live event, or +inf when there is none."""
        while True:
            current = self._current
            while current and _cancelled(current[0][3]):
                heapq.heappop(current)
            if current:
                return current[0][0]
            if not self._next_bucket():
                return math.inf

    def step(self) -> bool:
        """Process the next live event; return False when the queue is empty."""
        while self._current or self._next_bucket():
            when, _, callback, handle = heapq.heappop(self._current)
            if handle is not None:
                if handle.cancelled:
                    continue
                handle.cancelled = True
            self._now = when
            self.processed += 1
            callback()
            return True
        return False

    def run(self, until: float | None = None) -> None:
        """Process events until the queue is empty or virtual time reaches ``until``.

        Events due exactly at ``until`` are processed, and the clock is left at
        ``until`` so that a later ``run`` continues from there.
        """
        if until is None:
            while self.step():
                pass
            return
        if until < self._now:
            raise ValueError(f"until: must be >= now ({self._now}) (got {until!r})")
        # ``step`` inlined: this loop runs once per event of the whole simulation.
        pop = heapq.heappop
        while self._current or self._next_bucket():
            current = self._current
            when, _, callback, handle = current[0]
            if handle is not None and handle.cancelled:
                pop(current)
                continue
            if when > until:
                break
            pop(current)
            if handle is not None:
                handle.cancelled = True
            self._now = when
            self.processed += 1
            callback()
        self._now = float(until)


def _cancelled(handle: TimerHandle | None) -> bool:
    return handle is not None and handle.cancelled
