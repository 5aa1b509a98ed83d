"""Replay: redraw any past moment exactly, and continue the run from it.

The engine is deterministic and a simulated cluster can be deep-copied
(every scheduled callback is a partial of a method), so the past is not
approximated from records: while the run is live, a copy of the whole source
is kept every :data:`CHECKPOINT_EVERY` virtual seconds, and the moment ``t``
is rebuilt by copying the last checkpoint before it and running the copy to
``t``. That copy holds everything the live view showed (views, phi, recent
gossip, scores), so replay draws the inspector and the gossip lines too;
"continue from here" simply makes that copy the live cluster and drops the
future, as RaftScope does. Checkpoints are thinned to every other one when
there are too many, so memory stays bounded over long runs.

A source that cannot be copied (a real MQTT cluster, the array engine's
sampled view of millions of nodes), or that is too big to copy often (more
than :data:`FORK_MAX_NODES` nodes), replays from the observer's records
instead: leaders and opinions exactly, but no inspector or gossip. A copy
costs about 250 ms and 13 MB at 200 nodes, so checkpoints are also spaced
so that they take at most :data:`COST_SHARE` of the time while playing.
"""

from __future__ import annotations

from bisect import bisect_right
from time import monotonic
from typing import Protocol, runtime_checkable

import numpy as np

from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.timeline import index_in_force
from emergent_lab.run.source import ClusterSource

FORK_MAX_NODES = 300
"""Above this many nodes a copy costs too much (its views grow as n²): replay from records."""
COST_SHARE = 0.05
"""While playing, checkpoints take at most about this share of the wall time."""
CHECKPOINT_EVERY = 5.0
"""Virtual seconds between checkpoints (a replayed moment runs at most this long to reach)."""
MAX_CHECKPOINTS = 64
"""More than this and every other checkpoint is dropped (the spacing doubles)."""
FLOCK_SNAPSHOT_EVERY = 0.2
"""Virtual seconds between flock snapshots kept for replay."""
LEAD_IN = 2.0
"""A replayed moment starts from a checkpoint at least this much earlier (gossip fades in 2 s)."""


@runtime_checkable
class ForkableSource(ClusterSource, Protocol):
    """A cluster source whose whole state can be copied and run on independently."""

    def fork(self) -> ForkableSource:
        """An independent copy that goes on exactly as this source would."""
        ...


class Replay:
    """Checkpoints of the live run, past moments rebuilt from them, and the flock's history."""

    def __init__(self, source: ClusterSource) -> None:
        self.forkable = (
            isinstance(source, ForkableSource) and len(source.node_ids()) <= FORK_MAX_NODES
        )
        self._cost = 0.0
        self._taken_at = -float("inf")
        self._spacing = CHECKPOINT_EVERY
        self._times: list[float] = []
        self._checkpoints: list[ForkableSource] = []
        self._flock_times: list[float] = []
        self._flock: list[FloatArray] = []
        self._cached: ForkableSource | None = None
        self.remember(source)

    def remember(self, source: ClusterSource, *, changed: bool = False) -> None:
        """Keep a checkpoint of the live source if one is due, or if it was just ``changed``.

        An action changes the cluster without moving time, so a checkpoint
        taken earlier at the same moment no longer holds it: it is replaced.
        """
        if not self.forkable or not isinstance(source, ForkableSource):
            return
        now = source.time
        if self._times and self._times[-1] >= now and changed:
            self._times.pop()
            self._checkpoints.pop()
            self._cached = None
        elif not changed and self._times:
            waited = monotonic() - self._taken_at
            if now < self._times[-1] + self._spacing or waited < self._cost / COST_SHARE:
                return
        started = monotonic()
        self._times.append(now)
        self._checkpoints.append(source.fork())
        self._taken_at = monotonic()
        self._cost = self._taken_at - started
        if len(self._checkpoints) > MAX_CHECKPOINTS:
            self._times = self._times[::2]
            self._checkpoints = self._checkpoints[::2]
            self._spacing *= 2

    def remember_flock(self, now: float, position: FloatArray) -> None:
        """Keep the flock's positions every :data:`FLOCK_SNAPSHOT_EVERY` seconds."""
        if not self._flock_times or now >= self._flock_times[-1] + FLOCK_SNAPSHOT_EVERY:
            self._flock_times.append(now)
            self._flock.append(position.astype(np.float32))

    def flock_at(self, time: float, current: FloatArray) -> FloatArray:
        """The flock's positions as they were at ``time`` (``current`` before any snapshot)."""
        i = index_in_force(self._flock_times, time)
        return current if i < 0 else self._flock[i].astype(float)

    def at(self, time: float) -> ForkableSource | None:
        """The cluster exactly as it was at ``time``, or None if it cannot be rebuilt."""
        if not self.forkable or not self._checkpoints:
            return None
        cached = self._cached
        if cached is not None and cached.time <= time < cached.time + self._spacing:
            cached.advance(time - cached.time)
            return cached
        i = bisect_right(self._times, time - LEAD_IN) - 1
        i = max(i, 0)
        fork = self._checkpoints[i].fork()
        if time > fork.time:
            fork.advance(time - fork.time)
        self._cached = fork
        return fork

    def continue_from(self, time: float) -> ForkableSource:
        """The run forked at ``time``, ready to be the live source; the future is forgotten."""
        fork = self.at(time)
        if fork is None:
            raise ValueError("continue: this cluster cannot be rebuilt at a past time")
        self._cached = None
        keep = bisect_right(self._times, time)
        del self._times[keep:]
        del self._checkpoints[keep:]
        keep = bisect_right(self._flock_times, time)
        del self._flock_times[keep:]
        del self._flock[keep:]
        return fork
