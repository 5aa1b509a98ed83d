"""The three gossip messages on the wire, each addressed to one node, checked by :mod:`.wire`.

In memory the protocol refers to nodes by the indices of an
:class:`~emergent_lab.core.ids.IdTable`; on the wire they are ids. Each
process keeps its own table, and this module translates at the edge: a digest
array becomes ``{id: [generation, version]}``, a
:class:`~emergent_lab.protocol.messages.StateBatch` a list of state objects and
an opinion index an id (or ``null``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emergent_lab.core.ids import IdTable
from emergent_lab.mqtt.admission import Admission
from emergent_lab.mqtt.wire import (
    _STATUS_CODES,
    _STATUS_NAMES,
    MAX_COUNTER,
    MAX_GENERATION,
    WIRE_VERSION,
    Rejected,
    _check_keys,
    _check_version,
    _entries,
    _int,
    _metrics,
    _node_id,
    _number,
    _optional_id,
)
from emergent_lab.protocol.messages import (
    GossipAck,
    GossipAck2,
    GossipSyn,
    Message,
    StateBatch,
    split_key,
    state_wire_bytes,
    version_key,
)

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
