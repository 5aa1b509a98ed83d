"""Change-only records in time order, and the one that holds at a given time.

Observers, replay and the live sources all keep records only when something
changes; what holds at time t is then the last record taken at or before t.
That lookup is written here once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Protocol, TypeVar


class Timed(Protocol):
    """A change-only record: it holds from ``time`` until the next record."""

    @property
    def time(self) -> float:
        """When the record took force."""
        ...


RecordT = TypeVar("RecordT", bound=Timed)


def index_in_force(times: Sequence[float], time: float) -> int:
    """Index of the last of the ascending ``times`` at or before ``time`` (-1 if none)."""
    return bisect_right(times, time) - 1


def record_in_force(records: Sequence[RecordT], time: float) -> RecordT | None:
    """The record of a change-only, time-ordered list that holds at ``time``.

    Returns:
        The last record taken at or before ``time``, or None before the first
        (replay then shows no state, as before a node joined).
    """
    i = bisect_right(records, time, key=lambda r: r.time) - 1
    return records[i] if i >= 0 else None
