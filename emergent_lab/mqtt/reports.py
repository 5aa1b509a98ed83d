"""What crosses the broker besides gossip: device heartbeats, the leader, node statuses.

Each is decoded with the checks of :mod:`.wire`: a bad payload raises
:class:`~emergent_lab.mqtt.wire.Rejected` and is counted and dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emergent_lab.mqtt.wire import (
    MAX_COUNTER,
    MAX_GENERATION,
    MAX_PHI_ON_WIRE,
    REASONS,
    WIRE_VERSION,
    Rejected,
    _bool,
    _check_keys,
    _check_version,
    _entries,
    _int,
    _metrics,
    _node_id,
    _number,
    _optional_id,
)

# -- devices ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceReport:
    """One heartbeat of a device that does not gossip."""

    node: str
    generation: int
    heartbeat: int
    metrics: Mapping[str, float]

    def to_wire(self) -> dict[str, Any]:
        """The wire object (unsigned), as a device publishes it."""
        return {
            "v": WIRE_VERSION,
            "node": self.node,
            "generation": self.generation,
            "heartbeat": self.heartbeat,
            "metrics": dict(self.metrics),
        }


def decode_device(obj: Mapping[str, Any]) -> DeviceReport:
    """Validate a device heartbeat.

    Raises:
        Rejected: on any problem, with its reason.
    """
    _check_version(obj)
    _check_keys(obj, {"v", "node", "generation", "heartbeat", "metrics"})
    return DeviceReport(
        node=_node_id(obj["node"], "node"),
        generation=_int(obj["generation"], "generation", MAX_GENERATION),
        heartbeat=_int(obj["heartbeat"], "heartbeat", MAX_COUNTER),
        metrics=_metrics(obj["metrics"]),
    )


# -- leader ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaderAnnouncement:
    """The retained leader: who, since when (unix seconds), among how many members, and a stamp.

    ``by``, ``generation`` and ``seq`` stamp it: the announcing agent, its
    incarnation and a counter it bumps per announcement. Stamps of one
    announcer only grow, so a reader that saw ``(generation, seq)`` from
    ``by`` refuses anything not newer: a recorded announcement replayed later
    is recognisably stale.
    """

    leader: str | None
    since: float
    members: int
    by: str
    generation: int
    seq: int

    @property
    def stamp(self) -> tuple[int, int]:
        """``(generation, seq)`` of the announcer: only grows."""
        return (self.generation, self.seq)

    def to_wire(self) -> dict[str, Any]:
        """The wire object (unsigned)."""
        return {
            "v": WIRE_VERSION,
            "leader": self.leader,
            "since": self.since,
            "members": self.members,
            "by": self.by,
            "generation": self.generation,
            "seq": self.seq,
        }


def decode_leader(obj: Mapping[str, Any]) -> LeaderAnnouncement:
    """Validate a leader announcement.

    Raises:
        Rejected: on any problem, with its reason.
    """
    _check_version(obj)
    _check_keys(obj, {"v", "leader", "since", "members", "by", "generation", "seq"})
    return LeaderAnnouncement(
        leader=_optional_id(obj["leader"], "leader"),
        since=_number(obj["since"], "since", 0.0, 1e11),
        members=_int(obj["members"], "members", 2**31),
        by=_node_id(obj["by"], "by"),
        generation=_int(obj["generation"], "generation", MAX_GENERATION),
        seq=_int(obj["seq"], "seq", 2**62),
    )


# -- node status -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerSummary:
    """One row of a node's view, as its status reports it."""

    node: str
    generation: int
    heartbeat: int
    score: float
    phi: float
    alive: bool


@dataclass(frozen=True)
class NodeStatus:
    """A full node's retained presence; offline ones (its will) carry no summary."""

    node: str
    generation: int
    online: bool
    heartbeat: int = 0
    score: float = 0.0
    opinion: str | None = None
    recognised: str | None = None
    acting: bool = False
    metrics: Mapping[str, float] = field(default_factory=dict)
    peers: tuple[PeerSummary, ...] = ()
    rejected: Mapping[str, int] = field(default_factory=dict)
    sent: int = 0
    sent_bytes: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The wire object (unsigned)."""
        obj: dict[str, Any] = {
            "v": WIRE_VERSION,
            "node": self.node,
            "generation": self.generation,
            "online": self.online,
        }
        if self.online:
            obj.update(
                heartbeat=self.heartbeat,
                score=self.score,
                opinion=self.opinion,
                recognised=self.recognised,
                acting=self.acting,
                metrics=dict(self.metrics),
                peers=[
                    [
                        p.node,
                        p.generation,
                        p.heartbeat,
                        p.score,
                        min(p.phi, MAX_PHI_ON_WIRE),
                        p.alive,
                    ]
                    for p in self.peers
                ],
                rejected=dict(self.rejected),
                sent=self.sent,
                sent_bytes=self.sent_bytes,
            )
        return obj


_SUMMARY_KEYS = {
    "heartbeat",
    "score",
    "opinion",
    "recognised",
    "acting",
    "metrics",
    "peers",
    "rejected",
    "sent",
    "sent_bytes",
}


def _peer(value: Any) -> PeerSummary:
    if not isinstance(value, list) or len(value) != 6:
        raise Rejected("type", "a peer must be [node, generation, heartbeat, score, phi, alive]")
    return PeerSummary(
        node=_node_id(value[0], "peers.node"),
        generation=_int(value[1], "peers.generation", MAX_GENERATION),
        heartbeat=_int(value[2], "peers.heartbeat", 2**62),
        score=_number(value[3], "peers.score", 0.0, 1.0),
        phi=_number(value[4], "peers.phi", 0.0, MAX_PHI_ON_WIRE),
        alive=_bool(value[5], "peers.alive"),
    )


def _counts(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise Rejected("type", "rejected must be a JSON object")
    unknown = set(value) - set(REASONS)
    if unknown:
        raise Rejected("schema", f"rejected: unknown reason(s) {', '.join(sorted(unknown))[:200]}")
    return {reason: _int(n, f"rejected.{reason}", 2**62) for reason, n in value.items()}


def decode_status(obj: Mapping[str, Any]) -> NodeStatus:
    """Validate a node status.

    Raises:
        Rejected: on any problem, with its reason.
    """
    _check_version(obj)
    online = _bool(obj.get("online"), "online")
    base = {"v", "node", "generation", "online"}
    _check_keys(obj, base | _SUMMARY_KEYS if online else base)
    node = _node_id(obj["node"], "node")
    generation = _int(obj["generation"], "generation", MAX_GENERATION)
    if not online:
        return NodeStatus(node, generation, online=False)
    return NodeStatus(
        node,
        generation,
        online=True,
        heartbeat=_int(obj["heartbeat"], "heartbeat", 2**62),
        score=_number(obj["score"], "score", 0.0, 1.0),
        opinion=_optional_id(obj["opinion"], "opinion"),
        recognised=_optional_id(obj["recognised"], "recognised"),
        acting=_bool(obj["acting"], "acting"),
        metrics=_metrics(obj["metrics"]),
        peers=tuple(_peer(p) for p in _entries(obj["peers"], "peers", list)),
        rejected=_counts(obj["rejected"]),
        sent=_int(obj["sent"], "sent", 2**62),
        sent_bytes=_int(obj["sent_bytes"], "sent_bytes", 2**62),
    )
