"""SWIM's messages (ping, ack, ping-req, nack) and the membership updates they carry.

Why their own module: SWIM disseminates membership by piggybacking updates
(alive, suspect, dead, each with an incarnation) on its probe traffic
instead of sending them separately, so every message holds a tuple of
updates and its size on the wire grows with them. Sizes follow memberlist's
fields (a sequence number, node names, an incarnation).
"""

from __future__ import annotations

from dataclasses import dataclass

from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.messages import HEADER_BYTES

SEQ_BYTES = 4
"""A probe's sequence number (uint32)."""
INCARNATION_BYTES = 4
"""An incarnation number (uint32)."""

ALIVE, SUSPECT, DEAD = 1, 2, 3
"""What an update says about a member (the same codes as a member's status)."""
KINDS = ("swim_ping", "swim_ack", "swim_ping_req", "swim_nack")


@dataclass(frozen=True, slots=True)
class Update:
    """A piggybacked membership update: ``member`` is ``state`` at ``incarnation``.

    ``origin`` is the member that suspected it (for Lifeguard's independent
    confirmations); for alive and dead updates it is the sender of the news.
    """

    state: int
    member: int
    incarnation: int
    origin: int

    def wire_bytes(self, ids: IdTable) -> int:
        """A type byte, two names and the incarnation."""
        names = int(ids.id_bytes[self.member]) + int(ids.id_bytes[self.origin])
        return 1 + names + INCARNATION_BYTES


@dataclass(frozen=True, slots=True)
class SwimMessage:
    """What every SWIM message holds: sender, sequence number, piggybacked updates."""

    sender: int
    seq: int
    updates: tuple[Update, ...] = ()

    kind = "swim"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header, the sender's id, the sequence number and the updates."""
        extra = sum(u.wire_bytes(ids) for u in self.updates)
        return HEADER_BYTES + int(ids.id_bytes[self.sender]) + SEQ_BYTES + extra


@dataclass(frozen=True, slots=True)
class Ping(SwimMessage):
    """Asks "are you alive?"; answered with an ack of the same sequence number."""

    kind = "swim_ping"


@dataclass(frozen=True, slots=True)
class Ack(SwimMessage):
    """The answer to a ping (or a relayed answer to a ping-req)."""

    kind = "swim_ack"


@dataclass(frozen=True, slots=True)
class PingReq(SwimMessage):
    """Asks "ping ``target`` for me": an indirect probe; ``nack`` asks for Lifeguard's nack."""

    target: int = -1
    nack: bool = False

    kind = "swim_ping_req"

    def wire_bytes(self, ids: IdTable) -> int:
        """The common fields, the target's id and the nack flag."""
        return SwimMessage.wire_bytes(self, ids) + int(ids.id_bytes[self.target]) + 1


@dataclass(frozen=True, slots=True)
class Nack(SwimMessage):
    """Lifeguard: "I relayed your ping-req but the target did not answer in time"."""

    kind = "swim_nack"
