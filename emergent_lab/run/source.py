"""What the dashboard reads from a cluster and asks of it: the ``ClusterSource`` protocol.

The dashboard never touches simulator internals (scheduler, network, node
objects). It reads snapshots and records through this small interface and
acts through its verbs, so the same dashboard drives the simulated cluster
(:class:`~emergent_lab.live.exact.SimClusterSource`) and a real one
(the MQTT bridge implements the same protocol). It lives in the engine, free of
any Jupyter import, so a headless reader of a live cluster uses the same
records. Node ids are strings everywhere; ``None`` means "no node" (no
opinion, no recognised leader).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, cast, runtime_checkable

import networkx as nx


class NodeState(NamedTuple):
    """One node as it is now: what it believes and what it is.

    A named tuple, not a dataclass: a frame builds one per node, and tuples
    are several times cheaper to build than frozen dataclasses.
    """

    node_id: str
    up: bool
    """Running (a paused node is up; a crashed or departed one is not)."""
    opinion: str | None
    """The node it follows."""
    recognised: str | None
    """The leader it recognises, or None while leadership is emerging for it."""
    acting: bool
    """Whether it acts as leader (it recognises itself)."""
    score: float
    metrics: Mapping[str, float]
    generation: int
    heartbeat: int
    suspected_by: int
    """How many up nodes that know this node currently believe it is not alive.

    For a down node, how many have detected its absence so far (a source
    that cannot tell reports 0).
    """


class PeerEntry(NamedTuple):
    """One row of a node's view: what it holds about one peer (a named tuple, as NodeState)."""

    peer: str
    generation: int
    heartbeat: int
    score: float
    phi: float
    alive: bool


@dataclass(frozen=True, slots=True)
class RecordedNode:
    """A node's recorded state at some past time (for replay)."""

    up: bool
    opinion: str | None
    recognised: str | None
    acting: bool


@dataclass(frozen=True, slots=True)
class ClusterPoint:
    """The cluster as the observer recorded it from ``time`` until the next point."""

    time: float
    up: int
    converged: bool
    leader: str | None
    """The leader every up node recognises (only when converged)."""
    acting: int
    """How many up nodes act as leader; more than one is split leadership."""
    agreement: float
    """Fraction of up nodes holding the most common opinion."""
    opinions: int
    """Number of distinct opinions among up nodes."""


@dataclass(frozen=True, slots=True)
class Mark:
    """An event on the timeline: a fault, a parameter change, a skipped action."""

    time: float
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class Message:
    """One gossip message that was sent, for the fading edges of the network view."""

    time: float
    sender: str
    receiver: str


@dataclass(frozen=True, slots=True)
class Traffic:
    """Counters since the cluster started, at ``time``; the dashboard differentiates them."""

    time: float
    messages: int
    bytes: int


class TrafficLog:
    """Samples of the traffic counters, one at each whole second a source passes.

    The dashboard draws rates averaged over a second. Sampling the counters
    when a frame is drawn would lose what a source advanced between two
    frames: a dashboard advanced 30 s in the cell that displays it would show
    one point. So a source samples as it advances (:meth:`due` tells it the
    whole seconds it is about to pass) and the dashboard reads the samples.
    """

    def __init__(self, start: Traffic) -> None:
        self.samples: list[Traffic] = [start]

    def due(self, until: float) -> range:
        """The whole seconds after the last sample, up to ``until``: sample at each."""
        return range(math.floor(self.samples[-1].time) + 1, math.floor(until) + 1)

    def add(self, sample: Traffic) -> None:
        """Keep ``sample`` if it is in a later second than the last one kept."""
        if math.floor(sample.time) > math.floor(self.samples[-1].time):
            self.samples.append(sample)

    def copy(self) -> TrafficLog:
        """An independent log with the same samples (for a forked source)."""
        twin = TrafficLog(self.samples[0])
        twin.samples = list(self.samples)
        return twin


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a source can do beyond the readings every source gives.

    A view asks a source for these (:func:`capabilities_of`) instead of
    testing its type, so a source of any engine, or of a real cluster, is
    shown with exactly the controls it supports.
    """

    refused: frozenset[str] = frozenset()
    """Verbs of :class:`ClusterSource` the source refuses (their controls are greyed out)."""
    size: int | None = None
    """Members of the cluster when only a sample of them is drawn (None: all are)."""
    max_size: int = 0
    """The largest cluster Reset may rebuild (0: the source cannot be rebuilt)."""
    graph: nx.Graph | None = None
    """The network's graph, if the cluster has one, to lay the nodes out along it."""


@runtime_checkable
class ClusterSource(Protocol):
    """A cluster as the dashboard sees it: readings, records and actions.

    Reads are cheap snapshots taken once per frame. Actions validate their
    input and raise ``ValueError`` naming the field, changing nothing, when
    it is bad; every accepted change is marked on the timeline.
    """

    @property
    def time(self) -> float:
        """Current (virtual or wall) time of the cluster, in seconds."""
        ...

    @property
    def seed(self) -> int:
        """The seed the cluster was built from (the flock view derives its own from it)."""
        ...

    def node_ids(self) -> Sequence[str]:
        """Every node ever seen, in a stable order (new nodes are appended)."""
        ...

    def nodes(self) -> Sequence[NodeState]:
        """The current state of every node, in ``node_ids()`` order."""
        ...

    def peers(self, observer: str) -> Sequence[PeerEntry]:
        """``observer``'s view of its peers (empty if it is down)."""
        ...

    def phi(self, observer: str, subject: str) -> float:
        """Phi of ``subject`` as ``observer``'s failure detector sees it now."""
        ...

    def phi_threshold(self) -> float:
        """Phi above which a node counts a peer as dead."""
        ...

    def leader(self) -> str | None:
        """The leader every up node recognises, or None while leadership is emerging."""
        ...

    def timeline(self, start: int = 0) -> Sequence[ClusterPoint]:
        """Recorded cluster points from index ``start`` on; only the last may still change."""
        ...

    def cluster_at(self, time: float) -> ClusterPoint | None:
        """The recorded cluster point in force at ``time``."""
        ...

    def node_at(self, node_id: str, time: float) -> RecordedNode | None:
        """A node's recorded state at ``time`` (None before it existed)."""
        ...

    def marks(self, start: int = 0) -> Sequence[Mark]:
        """Timeline marks from index ``start`` on."""
        ...

    def messages(self, since: float) -> Sequence[Message]:
        """A bounded sample of the gossip messages sent after ``since``."""
        ...

    def traffic(self, start: int = 0) -> Sequence[Traffic]:
        """Counter samples from index ``start`` on: one at each whole second passed.

        The first sample is the source's start (see :class:`TrafficLog`).
        """
        ...

    def weights(self) -> Mapping[str, float]:
        """The score weights in force (empty when the score function has none)."""
        ...

    def param(self, name: str) -> float:
        """A protocol parameter in force: a name accepted by :meth:`set_param`."""
        ...

    def loss_rate(self) -> float:
        """The message-loss probability in force."""
        ...

    def kill(self, node_id: str) -> None:
        """Crash a node."""
        ...

    def revive(self, node_id: str) -> None:
        """Restart a crashed node under a new generation."""
        ...

    def pause(self, node_id: str, duration: float) -> None:
        """Stall a node for ``duration`` seconds (alive but silent)."""
        ...

    def boost(self, node_id: str) -> None:
        """Make a node the best candidate by raising its metrics to their best values."""
        ...

    def partition(self, groups: Sequence[Sequence[str]] | str) -> None:
        """Split the network into groups, or ``"half"``."""
        ...

    def heal(self) -> None:
        """End partitions."""
        ...

    def loss(self, probability: float, duration: float | None = None) -> None:
        """Set message loss, for ``duration`` seconds only when given (a burst)."""
        ...

    def set_weights(self, weights: Mapping[str, float]) -> None:
        """Change score weights cluster-wide."""
        ...

    def set_param(self, name: str, value: float) -> None:
        """Change one protocol parameter cluster-wide (``fanout``, ``detector.threshold``…)."""
        ...

    def step(self) -> None:
        """Advance by one gossip round."""
        ...

    def advance(self, duration: float) -> None:
        """Advance by ``duration`` seconds (a real cluster simply lets time pass)."""
        ...


class Rebuildable(ClusterSource, Protocol):
    """A source whose Capabilities allow Reset (``max_size`` > 0)."""

    def rebuilt(self, seed: int, nodes: int) -> Rebuildable:
        """A fresh cluster with this seed and size and the parameters in force now."""
        ...


class Sampled(ClusterSource, Protocol):
    """A source that draws a sample of its nodes (``size`` is not None)."""

    def draw(self, node_id: str) -> None:
        """Add a node to the drawing."""
        ...


def capabilities_of(source: ClusterSource) -> Capabilities:
    """The source's capabilities; a source that states none can do the contract's verbs only."""
    stated = getattr(source, "capabilities", None)
    return cast(Capabilities, stated()) if callable(stated) else Capabilities()
