"""The three messages of a push-pull gossip exchange, and their size on the wire.

An exchange is Scuttlebutt / Cassandra's SYN-ACK-ACK2: the initiator sends a
digest of the versions it holds, the receiver answers with the newer states
the initiator lacks plus a request for the ones it lacks itself, and the
initiator sends those. In memory a digest is a dense array of version keys
indexed by the shared id table (0 = not held); a codec turns it into ids at
the edge of a real network.

A version key packs ``(generation, version)`` into one int64 so that "newer"
is one comparison: ``generation << 32 | version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.exchange import digest_size, id_total, total

VERSION_BITS = 32
STATUS_UP = 0
STATUS_LEFT = 1

HEADER_BYTES = 24
"""Bytes per message for the type, sender id length and framing."""
DIGEST_ENTRY_BYTES = 8
"""Bytes per digest entry besides the id: generation (u32) and version (u32)."""
STATE_ENTRY_BYTES = 8 + 4 + 8 + 1
"""Bytes per state besides ids and metrics: key, heartbeat, score, status."""


def version_key(generation: int, version: int) -> int:
    """Pack a ``(generation, version)`` pair so that larger means newer."""
    return (generation << VERSION_BITS) | version


def split_key(key: int) -> tuple[int, int]:
    """Unpack a version key into ``(generation, version)``."""
    return key >> VERSION_BITS, key & ((1 << VERSION_BITS) - 1)


@dataclass(frozen=True, slots=True)
class StateBatch:
    """Versioned node states travelling together; every array has one row per node."""

    idx: np.ndarray
    key: np.ndarray
    heartbeat: np.ndarray
    score: np.ndarray
    opinion: np.ndarray
    status: np.ndarray
    metrics: np.ndarray
    state_bytes: np.ndarray
    """Encoded size of each state, computed once by its owner (see ``state_wire_bytes``)."""

    def __len__(self) -> int:
        return int(self.idx.shape[0])

    def wire_bytes(self, ids: IdTable) -> int:
        """Size of these states in the compact binary encoding (a compiled sum)."""
        return total(self.state_bytes)


def state_wire_bytes(node_id: str, opinion_id: str | None, metrics: Mapping[str, float]) -> int:
    """Bytes of one state: ids, fixed fields, and each metric's name plus an 8-byte number."""
    opinion = len(opinion_id.encode()) if opinion_id is not None else 1
    named = sum(len(name.encode()) + 8 for name in metrics)
    return len(node_id.encode()) + opinion + named + STATE_ENTRY_BYTES


@dataclass(frozen=True, slots=True)
class GossipSyn:
    """Round opener: the sender's digest of every version it holds."""

    sender: int
    digest: np.ndarray

    kind = "syn"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header plus one entry (id and version) per held version."""
        id_bytes, entries = digest_size(self.digest, ids.id_bytes)
        return HEADER_BYTES + id_bytes + DIGEST_ENTRY_BYTES * entries


@dataclass(frozen=True, slots=True)
class GossipAck:
    """The receiver's answer: states newer than the digest, and what it wants back."""

    sender: int
    deltas: StateBatch
    request: np.ndarray

    kind = "ack"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header, the deltas, and one id per requested state."""
        return (
            HEADER_BYTES
            + self.deltas.wire_bytes(ids)
            + id_total(self.request, ids.id_bytes)
            + DIGEST_ENTRY_BYTES * len(self.request)
        )


@dataclass(frozen=True, slots=True)
class GossipAck2:
    """The initiator's reply: the states the receiver asked for."""

    sender: int
    deltas: StateBatch

    kind = "ack2"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header and the deltas."""
        return HEADER_BYTES + self.deltas.wire_bytes(ids)


Message = GossipSyn | GossipAck | GossipAck2
