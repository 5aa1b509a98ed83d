"""The Bully election's four messages and their size on the wire.

Every message carries its sender's score, so priorities travel with the
election itself: a node learns who outranks whom from the messages it gets,
and a changed score shows up with the sender's next message.
"""

from __future__ import annotations

from dataclasses import dataclass

from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.messages import HEADER_BYTES

SCORE_BYTES = 8
"""The sender's score, as a float64."""

ELECTION_KINDS = ("election", "answer", "coordinator")
"""The kinds that make an election's burst (heartbeats are the steady cost)."""
KINDS = (*ELECTION_KINDS, "heartbeat")


@dataclass(frozen=True, slots=True)
class BullyMessage:
    """What every Bully message holds: who sent it and the sender's score."""

    sender: int
    score: float

    kind = "bully"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header, the sender's id and its score."""
        return HEADER_BYTES + int(ids.id_bytes[self.sender]) + SCORE_BYTES


@dataclass(frozen=True, slots=True)
class Election(BullyMessage):
    """ELECTION, "I am holding one": sent to every member that may outrank the sender."""

    kind = "election"


@dataclass(frozen=True, slots=True)
class Answer(BullyMessage):
    """ANSWER, "I outrank you and take over": the reply to an election."""

    kind = "answer"


@dataclass(frozen=True, slots=True)
class Coordinator(BullyMessage):
    """COORDINATOR, "I am the coordinator": sent to every member by the winner."""

    kind = "coordinator"


@dataclass(frozen=True, slots=True)
class Heartbeat(BullyMessage):
    """The coordinator's periodic sign of life; followers' detectors feed on it."""

    kind = "heartbeat"
