"""The JSON wire format of everything that crosses the broker, and its validation.

Four kinds of payload travel: the three gossip messages (addressed to one
node), a device's heartbeat, the retained leader, and a node's retained
status. Decoding is the only door into a process, so it checks everything
before anything is used: size, JSON syntax (no NaN or infinity, no duplicate
keys), schema (exact keys), types, ranges and id syntax. A bad payload raises
:class:`Rejected` with one reason from :data:`REASONS`, so callers count it
and drop it; nothing else may escape.

In memory the protocol refers to nodes by the indices of an
:class:`~emergent_lab.core.ids.IdTable`; on the wire they are ids. Each
process keeps its own table, and this module translates at the edge: a digest
array becomes ``{id: [generation, version]}``, a
:class:`~emergent_lab.protocol.messages.StateBatch` a list of state objects and
an opinion index an id (or ``null``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emergent_lab.core.ids import IdTable, validate_node_id
from emergent_lab.mqtt.admission import Admission
from emergent_lab.protocol.messages import (
    STATUS_LEFT,
    STATUS_UP,
    GossipAck,
    GossipAck2,
    GossipSyn,
    Message,
    StateBatch,
    split_key,
    state_wire_bytes,
    version_key,
)

WIRE_VERSION = 1
MAX_GOSSIP_BYTES = 256 * 1024
"""Largest gossip payload accepted: room for a digest of a few thousand nodes."""
MAX_SMALL_BYTES = 8 * 1024
"""Largest device heartbeat or leader payload accepted."""
MAX_STATUS_BYTES = 64 * 1024
"""Largest node status accepted (it lists the node's view of its peers)."""
MAX_ENTRIES = 4096
"""Most ids one message may name (digest entries, states, requests, peers)."""
MAX_METRICS = 32
"""Most metrics one node or device may report."""
MAX_GENERATION = 2**31 - 1
"""Generations fit 31 bits so a version key stays a positive int64."""
MAX_COUNTER = 2**32 - 1
"""Versions and device heartbeats fit the low 32 bits of a version key."""
MAX_PHI_ON_WIRE = 1e6
"""Phi is capped when sent, since JSON has no infinity."""

REASONS = (
    "too_large",
    "not_json",
    "version",
    "schema",
    "type",
    "not_finite",
    "out_of_range",
    "bad_id",
    "too_many_nodes",
    "wrong_topic",
    "bad_metrics",
    "unsigned",
    "bad_signature",
    "replay",
)
"""Every reason a payload can be rejected for, in the order ``observe`` lists them."""

_METRIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""Matched in full: ``$`` would accept a trailing newline."""
_STATUS_NAMES = {STATUS_UP: "up", STATUS_LEFT: "left"}
_STATUS_CODES = {name: code for code, name in _STATUS_NAMES.items()}
SIG = "sig"
"""The key of the optional signature; every schema allows it."""


class Rejected(Exception):
    """A payload failed validation; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# -- JSON in and out -------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise Rejected("not_finite", f"{name} is not a finite number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise Rejected("not_finite", f"{text} overflows a float")
    return number


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise Rejected("schema", "duplicate key in an object")
    return obj


def parse_json(payload: bytes, *, limit: int) -> dict[str, Any]:
    """Parse one payload into a JSON object, refusing anything ambiguous or oversized.

    Duplicate keys are refused because two readers could pick different
    values, and a signature must cover exactly what is used.

    Raises:
        Rejected: ``too_large``, ``not_json``, ``not_finite`` or ``schema``.
    """
    if len(payload) > limit:
        raise Rejected("too_large", f"{len(payload)} bytes (limit {limit})")
    try:
        value = json.loads(
            payload.decode("utf-8"),
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_object,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Rejected("not_json", type(error).__name__) from None
    if not isinstance(value, dict):
        raise Rejected("schema", "payload is not a JSON object")
    return value


def dump_json(obj: Mapping[str, Any]) -> bytes:
    """Compact JSON with sorted keys: the same bytes for the same object."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


# -- field checks -----------------------------------------------------------------


def _check_keys(obj: Mapping[str, Any], required: set[str]) -> None:
    """Exactly ``required`` (plus an optional signature): unknown keys are refused too."""
    keys = set(obj) - {SIG}
    missing = required - keys
    if missing:
        raise Rejected("schema", f"missing key(s) {', '.join(sorted(missing))}")
    unknown = keys - required
    if unknown:
        raise Rejected("schema", f"unknown key(s) {', '.join(sorted(unknown))}")


def _check_version(obj: Mapping[str, Any]) -> None:
    if obj.get("v") != WIRE_VERSION or isinstance(obj.get("v"), bool):
        raise Rejected("version", f"v must be {WIRE_VERSION} (got {obj.get('v')!r})")


def _int(value: Any, name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected("type", f"{name} must be an integer")
    if not 0 <= value <= high:
        raise Rejected("out_of_range", f"{name} must be in [0, {high}]")
    return value


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejected("type", f"{name} must be a number")
    if not low <= value <= high:
        raise Rejected("out_of_range", f"{name} must be in [{low:g}, {high:g}]")
    return float(value)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise Rejected("type", f"{name} must be true or false")
    return value


def _node_id(value: Any, name: str) -> str:
    try:
        return validate_node_id(value, field=name)
    except ValueError as error:
        raise Rejected("bad_id", str(error)) from None


def _optional_id(value: Any, name: str) -> str | None:
    return None if value is None else _node_id(value, name)


def _entries(value: Any, name: str, kind: type[list[Any]] | type[dict[str, Any]]) -> Any:
    if not isinstance(value, kind):
        raise Rejected("type", f"{name} must be a JSON {'object' if kind is dict else 'array'}")
    size = len(value)
    if size > MAX_ENTRIES:
        raise Rejected("too_large", f"{name} has {size} entries (limit {MAX_ENTRIES})")
    return value


def _metrics(value: Any, name: str = "metrics") -> dict[str, float]:
    if not isinstance(value, dict):
        raise Rejected("type", f"{name} must be a JSON object")
    if len(value) > MAX_METRICS:
        raise Rejected("too_large", f"{name} has {len(value)} entries (limit {MAX_METRICS})")
    metrics: dict[str, float] = {}
    for key, raw in value.items():
        if not _METRIC_NAME.fullmatch(key):
            raise Rejected("bad_metrics", f"{name}: invalid metric name {key[:70]!r}")
        metrics[key] = _number(raw, f"{name}.{key}", -1e300, 1e300)
    return metrics


# -- gossip ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GossipEnvelope:
    """A decoded gossip message with who sent it, to whom, and its freshness counter."""

    sender: str
    to: str
    generation: int
    seq: int
    message: Message
    refused: int = 0
    """States left out because their nodes could not be admitted."""


def _state_object(batch: StateBatch, row: int, ids: IdTable) -> dict[str, Any]:
    generation, version = split_key(int(batch.key[row]))
    opinion = int(batch.opinion[row])
    return {
        "node": ids.ids[int(batch.idx[row])],
        "generation": generation,
        "version": version,
        "heartbeat": int(batch.heartbeat[row]),
        "score": float(batch.score[row]),
        "opinion": ids.ids[opinion] if opinion >= 0 else None,
        "status": _STATUS_NAMES[int(batch.status[row])],
        "metrics": dict(batch.metrics[row] or {}),
    }


def encode_gossip(
    message: Message, ids: IdTable, *, to: str, generation: int, seq: int
) -> dict[str, Any]:
    """The wire object of a gossip message (unsigned; see :mod:`emergent_lab.mqtt.auth`).

    ``generation`` and ``seq`` are the sender process's incarnation and a
    counter it bumps per message, so receivers can refuse replays.
    """
    obj: dict[str, Any] = {
        "v": WIRE_VERSION,
        "type": message.kind,
        "from": ids.ids[message.sender],
        "to": to,
        "generation": generation,
        "seq": seq,
    }
    if isinstance(message, GossipSyn):
        held = np.flatnonzero(message.digest)
        obj["digest"] = {ids.ids[int(i)]: list(split_key(int(message.digest[i]))) for i in held}
    else:
        deltas = message.deltas
        obj["states"] = [_state_object(deltas, row, ids) for row in range(len(deltas))]
        if isinstance(message, GossipAck):
            obj["request"] = [ids.ids[int(i)] for i in message.request]
    return obj


@dataclass
class _ParsedState:
    node: str
    key: int
    heartbeat: int
    score: float
    opinion: str | None
    status: int
    metrics: dict[str, float] = field(default_factory=dict)


_STATE_KEYS = {
    "node",
    "generation",
    "version",
    "heartbeat",
    "score",
    "opinion",
    "status",
    "metrics",
}


def _parse_state(value: Any) -> _ParsedState:
    if not isinstance(value, dict):
        raise Rejected("type", "a state must be a JSON object")
    _check_keys(value, _STATE_KEYS)
    status = value["status"]
    if not isinstance(status, str) or status not in _STATUS_CODES:
        raise Rejected("schema", "state.status must be 'up' or 'left'")
    return _ParsedState(
        node=_node_id(value["node"], "state.node"),
        key=version_key(
            _int(value["generation"], "state.generation", MAX_GENERATION),
            _int(value["version"], "state.version", MAX_COUNTER),
        ),
        heartbeat=_int(value["heartbeat"], "state.heartbeat", 2**62),
        score=_number(value["score"], "state.score", 0.0, 1.0),
        opinion=_optional_id(value["opinion"], "state.opinion"),
        status=_STATUS_CODES[status],
        metrics=_metrics(value["metrics"], "state.metrics"),
    )


def _parse_states(value: Any) -> list[_ParsedState]:
    states = [_parse_state(item) for item in _entries(value, "states", list)]
    if len({s.node for s in states}) != len(states):
        raise Rejected("schema", "states name the same node twice")
    return states


def _batch(states: list[_ParsedState], ids: IdTable) -> StateBatch:
    metrics = np.empty(len(states), dtype=object)
    for row, state in enumerate(states):
        metrics[row] = state.metrics
    return StateBatch(
        idx=np.array([ids.index[s.node] for s in states], dtype=np.int64),
        key=np.array([s.key for s in states], dtype=np.int64),
        heartbeat=np.array([s.heartbeat for s in states], dtype=np.int64),
        score=np.array([s.score for s in states], dtype=np.float64),
        opinion=np.array(
            [ids.index[s.opinion] if s.opinion is not None else -1 for s in states],
            dtype=np.int64,
        ),
        status=np.array([s.status for s in states], dtype=np.int8),
        metrics=metrics,
        state_bytes=np.array(
            [state_wire_bytes(s.node, s.opinion, s.metrics) for s in states], dtype=np.int64
        ),
    )


def decode_gossip(obj: Mapping[str, Any], admission: Admission) -> GossipEnvelope:
    """Validate a gossip object and translate its ids to indices of the process's table.

    Ids enter the table only through ``admission`` and only once the whole
    message is valid, so a rejected message leaves the table as it was. An id
    merely named (in a digest, a request, as an opinion) is not admitted: a
    digest entry or request for an unknown id is ignored and an unknown
    opinion reads as "none" (the holder's next version, a heartbeat later,
    names it again). A state of an unknown node is admitted as vouched for by
    the sender, within the sender's quota; states beyond it are left out and
    counted in ``GossipEnvelope.refused``.

    Raises:
        Rejected: on any problem, with its reason (``too_many_nodes`` if
            even the sender cannot be admitted).
    """
    _check_version(obj)
    kind = obj.get("type")
    common = {"v", "type", "from", "to", "generation", "seq"}
    if kind == "syn":
        _check_keys(obj, common | {"digest"})
    elif kind == "ack":
        _check_keys(obj, common | {"states", "request"})
    elif kind == "ack2":
        _check_keys(obj, common | {"states"})
    else:
        raise Rejected("schema", "type must be 'syn', 'ack' or 'ack2'")
    sender = _node_id(obj["from"], "from")
    to = _node_id(obj["to"], "to")
    generation = _int(obj["generation"], "generation", MAX_GENERATION)
    seq = _int(obj["seq"], "seq", 2**62)
    ids = admission.ids
    if kind == "syn":
        digest: dict[str, int] = {}
        for node, pair in _entries(obj["digest"], "digest", dict).items():
            if not isinstance(pair, list) or len(pair) != 2:
                raise Rejected("type", "a digest entry must be [generation, version]")
            digest[_node_id(node, "digest")] = version_key(
                _int(pair[0], "digest.generation", MAX_GENERATION),
                _int(pair[1], "digest.version", MAX_COUNTER),
            )
        _admit_sender(admission, sender, set(digest))
        dense = np.zeros(len(ids), dtype=np.int64)
        for node, key in digest.items():
            if node in ids.index:
                dense[ids.index[node]] = key
        return GossipEnvelope(sender, to, generation, seq, GossipSyn(ids.index[sender], dense))
    states = _parse_states(obj["states"])
    request: list[str] = []
    if kind == "ack":
        request = [_node_id(n, "request") for n in _entries(obj["request"], "request", list)]
    named = {s.node for s in states} | {s.opinion for s in states if s.opinion is not None}
    _admit_sender(admission, sender, named | set(request))
    protect = named | {sender}
    admitted = [s for s in states if admission.admit(s.node, sender, protect)]
    refused = len(states) - len(admitted)
    for state in admitted:
        if state.opinion is not None and state.opinion not in ids.index:
            state.opinion = None
    batch = _batch(admitted, ids)
    if kind == "ack":
        wanted = np.array(sorted({ids.index[n] for n in request if n in ids.index}), dtype=np.int64)
        message: Message = GossipAck(ids.index[sender], batch, wanted)
    else:
        message = GossipAck2(ids.index[sender], batch)
    return GossipEnvelope(sender, to, generation, seq, message, refused)


def _admit_sender(admission: Admission, sender: str, named: set[str]) -> None:
    """A gossip sender vouches for itself; without room for it the message is refused."""
    if not admission.admit(sender, sender, named):
        limit = admission.max_ids
        raise Rejected("too_many_nodes", f"no room for sender {sender} (limit {limit} ids)")


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
