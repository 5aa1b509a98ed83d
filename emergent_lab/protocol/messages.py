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
from emergent_lab.protocol.exchange import (
    BYTES,
    HEARTBEAT,
    IDX,
    KEY,
    OPINION,
    STATUS,
    digest_size,
    id_total,
    total,
)

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
    """Versioned node states travelling together; every array has one row per node.

    A batch gathered from a view (:meth:`StateBatch.packed`) keeps its integer
    fields as the rows of one array, ``table`` (:data:`~.exchange.BATCH_ROWS`),
    and its bytes on the wire, ``wire``, summed as it was gathered: it takes
    two allocations instead of seven, and a merge reads one array instead of
    six. A batch built field by field (a codec's, a test's) leaves both None;
    ``table`` is then stacked when a merge asks for it.
    """

    idx: np.ndarray
    key: np.ndarray
    heartbeat: np.ndarray
    score: np.ndarray
    opinion: np.ndarray
    status: np.ndarray
    metrics: np.ndarray
    state_bytes: np.ndarray
    """Encoded size of each state, computed once by its owner (see ``state_wire_bytes``)."""
    table: np.ndarray | None = None
    """The integer fields as rows of one array, when the batch was gathered packed."""
    wire: int | None = None
    """The sum of ``state_bytes``, when the gatherer counted it."""

    @staticmethod
    def packed(table: np.ndarray, score: np.ndarray, metrics: np.ndarray, wire: int) -> StateBatch:
        """A batch whose integer fields are the rows of ``table`` (``exchange.BATCH_ROWS``)."""
        return StateBatch(
            table[IDX], table[KEY], table[HEARTBEAT], score, table[OPINION], table[STATUS],
            metrics, table[BYTES], table, wire,
        )  # fmt: skip

    def rows(self) -> np.ndarray:
        """The integer fields as rows of one int64 array (``table``, or stacked now).

        A batch built field by field has no metrics stamps (``-1``): a merge
        copies the metrics of every state it takes from it.
        """
        if self.table is not None:
            return self.table
        fields = (self.idx, self.key, self.heartbeat, self.opinion, self.status, self.state_bytes)
        unknown = np.full(len(self.idx), -1, dtype=np.int64)  # metrics stamps: always copied
        rows = [np.asarray(f, dtype=np.int64) for f in (*fields, unknown)]
        return np.stack(rows).reshape(len(rows), -1)

    def __len__(self) -> int:
        return int(self.idx.shape[0])

    def wire_bytes(self, ids: IdTable) -> int:
        """Size of these states in the compact binary encoding (summed when gathered, else now)."""
        return self.wire if self.wire is not None else total(self.state_bytes)


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
