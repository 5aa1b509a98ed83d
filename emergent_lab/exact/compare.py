"""Fork and compare: two branches of one run, side by side, and where they part.

``cluster.fork()`` copies a running cluster whole (nodes, pending timers and
deliveries, the generator's state, the event log's digest), the same deep
copy the dashboard's replay takes of its checkpoints. Both branches then
draw the same random stream: whatever differs between them afterwards is
caused by the actions taken on them, nothing else. ``side_by_side`` runs
branches in lock-step and samples what a reader compares: agreement, the
recognised leader, messages and bytes.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emergent_lab.core.checks import check_number

if TYPE_CHECKING:
    from emergent_lab.exact.cluster import SimCluster


def fork(cluster: SimCluster, *, at: float | None = None) -> SimCluster:
    """An independent copy of ``cluster`` at virtual time ``at`` (default: now).

    A later ``at`` runs the copy on to it (the original stays where it is).
    The past is not kept by the engine: to fork an earlier moment, fork
    there (or use the dashboard's replay, which keeps checkpoints).
    """
    now = cluster.time
    when = now if at is None else check_number("at", at, low=now)
    twin = copy.deepcopy(cluster, {id(cluster.config): cluster.config})
    if when > now:
        twin.run(when)
    return twin


@dataclass(frozen=True, slots=True)
class Sample:
    """One branch at one moment."""

    time: float
    agreement: float
    leader: str | None
    messages: int
    bytes: int


@dataclass
class Comparison:
    """Samples of every branch on a shared time grid, and where they first differ."""

    names: tuple[str, ...]
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    @property
    def times(self) -> list[float]:
        """The sampled moments."""
        return [s.time for s in self.samples[self.names[0]]]

    def diverged_at(self, what: str = "messages") -> float | None:
        """First sampled time at which the branches differ in ``what`` (None: never)."""
        if what not in ("agreement", "leader", "messages", "bytes"):
            raise ValueError(
                f"what: unknown measure {what!r} (expected agreement, leader, messages or bytes)"
            )
        for k, time in enumerate(self.times):
            values = {getattr(self.samples[n][k], what) for n in self.names}
            if len(values) > 1:
                return time
        return None

    def table(self, *, every: int = 1) -> str:
        """A text table: one row per sampled moment (every ``every``-th), a block per branch."""
        head = f"{'t (s)':>7} " + " ".join(
            f"| {n[:14]:>14} {'agree':>5} {'messages':>8} {'kB':>7}" for n in self.names
        )
        rows = [head]
        for k, time in enumerate(self.times):
            if k % every and k != len(self.times) - 1:
                continue
            cells = []
            for n in self.names:
                s = self.samples[n][k]
                leader = s.leader or "—"
                cells.append(
                    f"| {leader:>14} {s.agreement:5.2f} {s.messages:8d} {s.bytes / 1000:7.1f}"
                )
            rows.append(f"{time:7.2f} " + " ".join(cells))
        return "\n".join(rows)


def _sample(cluster: SimCluster) -> Sample:
    record = cluster.observer.current()
    return Sample(
        time=cluster.time,
        agreement=record.agreement if record else 0.0,
        leader=cluster.leader(),
        messages=cluster.network.messages_sent,
        bytes=cluster.network.bytes_sent,
    )


def side_by_side(
    branches: Mapping[str, SimCluster], *, until: float, step: float = 0.5
) -> Comparison:
    """Run every branch to ``until`` in lock-step, sampling each one every ``step`` seconds.

    The branches must stand at the same time (forks of one moment do).
    """
    if len(branches) < 2:
        raise ValueError("branches: give at least two branches to compare")
    starts = {c.time for c in branches.values()}
    if len(starts) > 1:
        raise ValueError(f"branches: must stand at the same time (got {sorted(starts)})")
    start = starts.pop()
    check_number("until", until, low=start)
    check_number("step", step, low=0, low_open=True)
    comparison = Comparison(tuple(branches))
    for name, cluster in branches.items():
        comparison.samples[name] = [_sample(cluster)]
    steps = math.ceil((until - start) / step - 1e-9)
    for k in range(1, steps + 1):
        time = min(until, start + k * step)
        for name, cluster in branches.items():
            cluster.run(time)
            comparison.samples[name].append(_sample(cluster))
    return comparison
