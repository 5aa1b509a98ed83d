"""The four messages of Raft's leader election and their size on the wire.

Field for field they are the RPCs of the Raft paper (Ongaro & Ousterhout 2014,
figure 2) that the election needs: RequestVote and AppendEntries with their
replies. The log fields are carried (and sized) although the logs stay empty,
so the byte counts are those a real Raft implementation would pay for its
heartbeats and votes.
"""

from __future__ import annotations

from dataclasses import dataclass

from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.messages import HEADER_BYTES

TERM_BYTES = 8
"""A term or a log index, as a uint64."""

ELECTION_KINDS = ("request_vote", "vote")
"""The kinds that make an election's burst (AppendEntries heartbeats are the steady cost)."""
KINDS = (*ELECTION_KINDS, "append_entries", "append_reply")


@dataclass(frozen=True, slots=True)
class RaftMessage:
    """What every Raft message holds: its sender and the sender's current term."""

    sender: int
    term: int

    kind = "raft"

    def wire_bytes(self, ids: IdTable) -> int:
        """Header, the sender's id and the term."""
        return HEADER_BYTES + int(ids.id_bytes[self.sender]) + TERM_BYTES


@dataclass(frozen=True, slots=True)
class RequestVote(RaftMessage):
    """RequestVote(term, candidateId, lastLogIndex, lastLogTerm): "vote for me"."""

    kind = "request_vote"

    def wire_bytes(self, ids: IdTable) -> int:
        """The common fields plus lastLogIndex and lastLogTerm (both 0: empty logs)."""
        return RaftMessage.wire_bytes(self, ids) + 2 * TERM_BYTES


@dataclass(frozen=True, slots=True)
class Vote(RaftMessage):
    """The reply to RequestVote: (term, voteGranted)."""

    granted: bool = False

    kind = "vote"

    def wire_bytes(self, ids: IdTable) -> int:
        """The common fields plus one byte for voteGranted."""
        return RaftMessage.wire_bytes(self, ids) + 1


@dataclass(frozen=True, slots=True)
class AppendEntries(RaftMessage):
    """AppendEntries(term, leaderId, prevLogIndex, prevLogTerm, [], leaderCommit): a heartbeat."""

    kind = "append_entries"

    def wire_bytes(self, ids: IdTable) -> int:
        """The common fields plus prevLogIndex, prevLogTerm and leaderCommit; no entries."""
        return RaftMessage.wire_bytes(self, ids) + 3 * TERM_BYTES


@dataclass(frozen=True, slots=True)
class AppendReply(RaftMessage):
    """The reply to AppendEntries: (term, success)."""

    success: bool = False

    kind = "append_reply"

    def wire_bytes(self, ids: IdTable) -> int:
        """The common fields plus one byte for success."""
        return RaftMessage.wire_bytes(self, ids) + 1
