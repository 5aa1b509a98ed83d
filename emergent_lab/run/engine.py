"""The contract every engine implements, and the figures a report reads from it.

SimPy's lesson: one base contract, written once, that every environment
keeps. Both engines (the exact, event-driven :mod:`emergent_lab.exact` and
the round-based :mod:`emergent_lab.array`) offer virtual time, ``run`` and
``run_for``, actions called live or scheduled with ``at``, the resolution of
the target ``"leader"``, the faults and changes so far (``events``), the
cluster timeline and the counters a report needs. Code above the engines
(the report, scenarios, sweeps, measurements, live sources) reads an engine
through this contract only, so a third engine is added beside them without
touching those.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from emergent_lab.core.ids import IdTable
from emergent_lab.run.config import ClusterConfig
from emergent_lab.run.events import EventRecord
from emergent_lab.run.observer import ClusterRecord
from emergent_lab.sim.eventlog import EventLog

MAX_NODES: Mapping[tuple[str, str], int] = MappingProxyType(
    {
        ("exact", "full"): 5_000,
        ("exact", "topk"): 100_000,
        ("array", "full"): 10_000_000,
        ("array", "topk"): 10_000_000,
    }
)
"""The largest cluster each (engine, view) accepts, so a size that cannot finish is refused
before anything is built. The exact engine's full views grow as n² (3,000 nodes peaked at
3.1 GiB, so 5,000 take about 9 GiB and 10,000 would not fit this 24 GiB machine); a top-k
node keeps k candidates, so its bound is time, not memory; the array engine is bounded by
its ten-million-node goal."""


def max_nodes(engine: str, view: str) -> int:
    """The largest ``cluster.nodes`` that ``engine`` accepts with ``view``."""
    return MAX_NODES[engine, view]


class Counters(NamedTuple):
    """What a run has sent and what its detectors got wrong, so far."""

    messages: int
    dropped: int
    bytes: int
    false_suspicions: int
    """Suspicions of a node that was up and reachable at that moment."""
    unreachable_suspicions: int
    """Suspicions of a node that was up but cut off (partition, cut link)."""


class Detection(NamedTuple):
    """How the members detected one crash: mean and slowest delay, and by how many observers."""

    mean_s: float
    max_s: float
    observers: int


class Engine(Protocol):
    """A cluster of either engine, as the report, scenarios and measurements read it."""

    config: ClusterConfig
    ids: IdTable
    events: list[EventRecord]
    """Faults and changes so far, live or scheduled, in the order they happened."""

    @property
    def time(self) -> float:
        """Virtual time now, in seconds."""
        ...

    @property
    def size(self) -> int:
        """Members the cluster was configured with."""
        ...

    @property
    def timeline(self) -> Sequence[ClusterRecord]:
        """The cluster as the observer recorded it, one record per change."""
        ...

    @property
    def log(self) -> EventLog:
        """The event log whose digest identifies the run."""
        ...

    def run(self, until: float) -> None:
        """Advance virtual time to ``until``."""
        ...

    def run_for(self, duration: float) -> None:
        """Advance virtual time by ``duration``."""
        ...

    def at(self, time: float, action: str, **arguments: Any) -> None:
        """Schedule ``action`` at virtual ``time`` (validated now, applied then)."""
        ...

    def resolve(self, node: str) -> str:
        """A node id, or whoever leads now for ``"leader"``; an error names the field."""
        ...

    def leader(self) -> str | None:
        """The leader a convergence-threshold share of the live members recognises."""
        ...

    def counters(self) -> Counters:
        """Messages, bytes and detector mistakes so far."""
        ...

    def opinion_changes(self, since: float) -> int:
        """Switches of a live node from one leader to another at or after ``since``."""
        ...

    def detection(self, node: int, at: float) -> Detection | None:
        """How the members detected the crash of node index ``node`` at ``at``, if any did."""
        ...
