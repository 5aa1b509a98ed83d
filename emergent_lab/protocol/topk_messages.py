"""The messages of bounded (top-k) gossip, and their size on the wire.

Full-membership gossip sends a digest of every node it knows and a state of
every node that changed: bytes per node grow like n. A top-k node offers only
its own state and its k best candidates, each with its *liveness* (what its
detector knows of the candidate: the last heartbeat's age and the interval
statistics, so a receiver that has never heard of the candidate judges it as
its sender does), and every answer carries the sender's opinion, which the
receiver keeps in a ring of its last k partners' opinions: a bounded sample
of the cluster's opinions instead of everyone's. Every message is then at
most k + 1 entries, whatever n is; only the ids grow (like log n).

The exchange keeps the shape of Scuttlebutt's SYN-ACK-ACK2:

* :class:`TopKSyn`: the initiator's digest, ``(node, version key)`` of its own
  state and of each candidate;
* :class:`TopKAck`: the receiver's states newer than that digest (or absent
  from it), its opinion, and the ids whose newer state it wants;
* :class:`TopKAck2`: the initiator's states asked for, and its opinion.

In the simulator the liveness travels as the sender's detector fields
(clocks are one virtual clock); on a wire it would be the age of the last
heartbeat and the mean and deviation of the intervals, which is what
:data:`LIVENESS_BYTES` counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.messages import DIGEST_ENTRY_BYTES, HEADER_BYTES

TOPK_STATE_BYTES = 8 + 4 + 8
"""Bytes per state besides its id: version key, heartbeat, score (no metrics: a score suffices)."""
LIVENESS_BYTES = 4 + 2 + 4 + 4
"""Bytes of a candidate's liveness: heartbeat age (f32), intervals (u16), mean and std (f32)."""


class Liveness(NamedTuple):
    """What a holder's detector knows of a candidate (running sums, see ``detector.sums``)."""

    last: float
    intervals: float
    total: float
    total_sq: float
    suspect_at: float


class TopKState(NamedTuple):
    """One state on the wire: a node's version, heartbeat and score.

    ``liveness`` is None for the sender's own state, which the receiver hears
    first-hand (a first hearing, now).
    """

    node: int
    key: int
    heartbeat: int
    score: float
    liveness: Liveness | None

    def wire_bytes(self, ids: IdTable) -> int:
        """Its id, the fixed fields and, for a candidate, its liveness."""
        extra = LIVENESS_BYTES if self.liveness is not None else 0
        return int(ids.id_bytes[self.node]) + TOPK_STATE_BYTES + extra


def _opinion_bytes(ids: IdTable, opinion: int) -> int:
    """An opinion is an id, or one byte for none."""
    return int(ids.id_bytes[opinion]) if opinion >= 0 else 1


@dataclass(frozen=True, slots=True)
class TopKSyn:
    """Round opener: ``(node, key)`` of the sender's own state and of its candidates."""

    sender: int
    digest: tuple[tuple[int, int], ...]

    kind = "syn"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header plus one entry (id and version) per state offered."""
        return HEADER_BYTES + sum(
            int(ids.id_bytes[node]) + DIGEST_ENTRY_BYTES for node, _ in self.digest
        )


@dataclass(frozen=True, slots=True)
class TopKAck:
    """The receiver's answer: newer states, its opinion, and the states it wants."""

    sender: int
    states: tuple[TopKState, ...]
    opinion: int
    request: tuple[int, ...]

    kind = "ack"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header, the states, the opinion and one id per state requested."""
        requested = sum(int(ids.id_bytes[node]) for node in self.request)
        states = sum(state.wire_bytes(ids) for state in self.states)
        return HEADER_BYTES + states + _opinion_bytes(ids, self.opinion) + requested


@dataclass(frozen=True, slots=True)
class TopKAck2:
    """The initiator's reply: the states asked for, and its opinion."""

    sender: int
    states: tuple[TopKState, ...]
    opinion: int

    kind = "ack2"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header, the states and the opinion."""
        states = sum(state.wire_bytes(ids) for state in self.states)
        return HEADER_BYTES + states + _opinion_bytes(ids, self.opinion)


TopKMessage = TopKSyn | TopKAck | TopKAck2
