"""Raft's leader election (Ongaro & Ousterhout 2014, section 5.2), as a baseline.

Why it is here: the emergent pattern is usually compared with the Bully
algorithm, which like gossip lets each side of a partition pick a leader. A
quorum election does not: a Raft leader needs the votes of a majority of the
members, so a minority side elects nobody and there is at most one leader per
term. This module runs that election on the same simulated network, with the
same observer and report, so the difference is measured rather than asserted.

What is implemented, rule by rule of the paper's figure 2:

* terms: every message carries the sender's term; a node that sees a higher
  term adopts it and becomes a follower (a leader or candidate steps down);
  a message from a lower term is answered with the current term and
  otherwise ignored;
* randomized election timeouts: a follower that hears no AppendEntries from
  a current leader (and grants no vote) for a timeout drawn uniformly from
  ``ELECTION_TIMEOUT_ROUNDS`` heartbeat intervals, from the run's seeded
  generator, becomes a candidate: a new term, a vote for itself, RequestVote
  to every member;
* RequestVote with a majority: a node grants at most one vote per term (to
  the first candidate that asks; again to the same one); a candidate with
  votes from more than half of the members becomes leader;
* empty AppendEntries as heartbeats, every heartbeat interval, to every
  member; a candidate that gets one of its own term follows its sender;
* ``currentTerm`` and ``votedFor`` on stable storage: a restarted node keeps
  them (``recover``), as Raft requires (without it a node could vote twice in
  a term and two leaders could share it);
* check-quorum (Ongaro's thesis, section 6.2, etcd's ``CheckQuorum``): a
  leader that has not heard from a majority within the minimum election
  timeout steps down, so a leader cut off in a minority stops leading instead
  of leading its side for as long as the partition lasts.

No log replication is implemented beyond what the election needs: the logs
are empty, so the "candidate's log is at least as up-to-date" check of
RequestVote is trivially satisfied (the fields are still sent and counted in
the bytes). Membership is the id table (static, like the Bully's); joint
consensus for membership changes is not implemented, so a node that joins
simply enlarges the majority. PreVote (thesis 9.6) is not implemented either:
a node that was cut off returns with a higher term and deposes the leader, as
plain Raft does.

For the observer, ``opinion`` and ``recognised`` are the leader of the current
term once heard from (none during an election), ``acting`` is true on the
leader. Raft ignores scores: any node may win, so the report's "leader is
the best" is usually false, which is the point of comparing. A follower's
election timeout firing while it knew a leader is reported as its suspicion
of that leader (the detection time of a crash); a leader forgotten because of
a higher term is not a suspicion.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from emergent_lab.baselines.raft_messages import (
    KINDS,
    AppendEntries,
    AppendReply,
    RaftMessage,
    RequestVote,
    Vote,
)
from emergent_lab.core.ids import NO_NODE
from emergent_lab.detector import DetectorBank
from emergent_lab.protocol.member import Member, PeersHeld
from emergent_lab.protocol.messages import Message

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from emergent_lab.protocol.member import MemberOptions

ELECTION_TIMEOUT_ROUNDS = (3.0, 6.0)
"""The election timeout is drawn uniformly from this range, in heartbeat intervals.

The paper's advice is broadcast time << election timeout << MTBF and a range
whose width is about its minimum (150-300 ms there for ~10 ms RTTs); with one
heartbeat a second it gives three missed heartbeats before anyone stands,
close to the 3 s acceptable pause of the emergent protocol's default detector.
"""


class Role(Enum):
    """The three states of a Raft server."""

    FOLLOWER = "follower"
    CANDIDATE = "candidate"
    LEADER = "leader"


@dataclass(frozen=True)
class StableStorage:
    """What Raft keeps on disk and a restarted server reads back."""

    current_term: int = 0
    voted_for: int = NO_NODE


class RaftNode(Member):
    """A cluster member that elects its leader with Raft.

    It is a :class:`~emergent_lab.protocol.member.Member` for everything
    around the election (constructor, lifecycle, GC-like pauses, metrics,
    parameters and reporting to the listener), so a ``SimCluster`` and its
    observer drive it unchanged; it keeps no gossip view, only RequestVote
    and AppendEntries. The arguments are those of ``Member``; ``seeds`` is
    unused (every member is known from the id table) and ``rng`` draws the
    start phase and every election timeout.
    """

    static_membership = True
    """Every member is known from the id table."""
    message_kinds = KINDS

    def __init__(self, node_id: str, **members: Unpack[MemberOptions]) -> None:
        super().__init__(node_id, **members)
        self._detector = DetectorBank(self.params.detector, capacity=len(self.ids))
        self.stable = StableStorage()
        self.role = Role.FOLLOWER
        self.votes: set[int] = set()
        self.leader_id = NO_NODE
        """The leader of the current term, once heard from."""
        self._acks: dict[int, float] = {}
        """When each member last answered this leader's AppendEntries."""
        self._leader_since = 0.0
        self._election_epoch = 0

    # -- stable storage ------------------------------------------------------------

    @property
    def term(self) -> int:
        """The current term."""
        return self.stable.current_term

    @property
    def detector(self) -> DetectorBank:
        """Raft watches its leader with election timeouts, not phi: this bank is never fed."""
        return self._detector

    def peers_held(self) -> PeersHeld:
        """Raft holds no state of its peers (only the leader's id and term)."""
        none = np.zeros(0, dtype=np.int64)
        return PeersHeld(none, none, none, np.zeros(0))

    def recover(self, previous: Member) -> None:
        """Read back ``currentTerm`` and ``votedFor`` from the crashed incarnation."""
        if isinstance(previous, RaftNode):
            self.stable = replace(previous.stable)

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start as a follower: the heartbeat tick at a random phase, an election timer."""
        if self.running:
            return
        self.running = True
        self.started_at = self.clock.now()
        self._every("heartbeat", self._tick, self.rng.random())
        self._reset_election_timer()

    def leave(self) -> None:
        """Stop; without membership changes a leave is a crash to the others."""
        self.stop()

    def evaluate(self) -> None:
        """Nothing to re-check: Raft acts on its timers and messages, not on scores."""

    # -- timers --------------------------------------------------------------------------

    def _majority(self) -> int:
        return len(self.ids) // 2 + 1

    def _reset_election_timer(self) -> None:
        self._cancel_election_timer()
        low, high = ELECTION_TIMEOUT_ROUNDS
        delay = self.rng.uniform(low, high) * self.params.heartbeat_interval
        fire = partial(self._election_timer_fired, self._election_epoch)
        self._timers["election"] = self.clock.call_later(delay, fire)

    def _cancel_election_timer(self) -> None:
        self._election_epoch += 1
        timer = self._timers.pop("election", None)
        if timer is not None:
            timer.cancel()

    def _election_timer_fired(self, epoch: int) -> None:
        if not self.running or epoch != self._election_epoch:
            return
        if self._defer(partial(self._election_timer_fired, epoch)):
            return
        if self.leader_id not in (NO_NODE, self.index):
            self._suspect_leader()
        self._stand()

    def _tick(self) -> None:
        """Every heartbeat interval, a leader checks its quorum, then heartbeats."""
        if self.role is not Role.LEADER:
            return
        now = self.clock.now()
        window = ELECTION_TIMEOUT_ROUNDS[0] * self.params.heartbeat_interval
        heard = 1 + sum(1 for t in self._acks.values() if t >= now - window)
        if now - self._leader_since >= window and heard < self._majority():
            self._become_follower(NO_NODE)
            return
        self._broadcast(AppendEntries(self.index, self.term))

    # -- roles ------------------------------------------------------------------------------

    def _stand(self) -> None:
        """Become a candidate: a new term, a vote for itself, RequestVote to all."""
        self.stable = StableStorage(self.term + 1, self.index)
        self.role = Role.CANDIDATE
        self.votes = {self.index}
        self._set_leader(NO_NODE)
        self._reset_election_timer()
        if len(self.votes) >= self._majority():
            self._become_leader()
            return
        self._broadcast(RequestVote(self.index, self.term))

    def _become_leader(self) -> None:
        self._cancel_election_timer()
        self.role = Role.LEADER
        self._acks = {}
        self._leader_since = self.clock.now()
        self._set_leader(self.index)
        self._broadcast(AppendEntries(self.index, self.term))

    def _become_follower(self, leader: int) -> None:
        was_leader = self.role is Role.LEADER
        self.role = Role.FOLLOWER
        self._set_leader(leader)
        if was_leader or leader != NO_NODE:
            self._reset_election_timer()

    def _adopt_term(self, term: int) -> None:
        """A higher term seen: adopt it with no vote cast, and follow nobody yet."""
        self.stable = StableStorage(term, NO_NODE)
        if self.role is not Role.FOLLOWER or self.leader_id != NO_NODE:
            self._become_follower(NO_NODE)

    # -- what the observer sees ---------------------------------------------------------------

    def _set_leader(self, leader: int) -> None:
        """Follow ``leader`` (or nobody); a leader forgotten this way is not suspected."""
        previous = self.leader_id
        self.leader_id = leader
        alive = np.zeros(len(self.ids), dtype=bool)
        alive[self.index] = True
        if leader >= 0 and leader < alive.shape[0]:
            alive[leader] = True
        forgotten = previous not in (NO_NODE, leader, self.index)
        if forgotten and previous < self.alive_mask.shape[0]:
            self.alive_mask[previous] = False  # forgotten, not suspected
        self._set_alive(alive, self.clock.now())
        acting = self.role is Role.LEADER
        if (leader, leader, acting) == (self.opinion, self.recognised, self.acting):
            return
        self.opinion = leader
        self.recognised = leader
        self.acting = acting
        self._publish_own_state()
        self.listener.node_changed(self, self.clock.now())

    def _suspect_leader(self) -> None:
        """The election timeout fired while a leader was known: that is a suspicion of it."""
        alive = self.alive_mask.copy()
        if self.leader_id < alive.shape[0]:
            alive[self.leader_id] = False
        self._set_alive(alive, self.clock.now())

    # -- messages ------------------------------------------------------------------------------

    def _broadcast(self, message: RaftMessage) -> None:
        for member in range(len(self.ids)):
            if member != self.index:
                self._send(member, message)

    def _send(self, dst: int, message: RaftMessage) -> None:
        # Transport.send is typed for the gossip messages; SimNetwork needs only
        # .kind and .wire_bytes, which these have too.
        self.transport.send(self.index, dst, message)  # type: ignore[arg-type]

    def receive(self, message: Message | RaftMessage) -> None:
        """Handle one Raft message (the transport calls this on delivery)."""
        if not self.running or not isinstance(message, RaftMessage):
            return
        if self._defer(partial(self.receive, message)):
            return
        if message.term > self.term:
            self._adopt_term(message.term)
        if isinstance(message, RequestVote):
            self._on_request_vote(message)
        elif isinstance(message, Vote):
            self._on_vote(message)
        elif isinstance(message, AppendEntries):
            self._on_append_entries(message)
        elif isinstance(message, AppendReply) and message.success:
            if self.role is Role.LEADER and message.term == self.term:
                self._acks[message.sender] = self.clock.now()

    def _on_request_vote(self, message: RequestVote) -> None:
        voted_for = self.stable.voted_for
        granted = message.term == self.term and voted_for in (NO_NODE, message.sender)
        if granted:
            self.stable = StableStorage(self.term, message.sender)
            self._reset_election_timer()
        self._send(message.sender, Vote(self.index, self.term, granted))

    def _on_vote(self, message: Vote) -> None:
        if self.role is not Role.CANDIDATE or message.term != self.term or not message.granted:
            return
        self.votes.add(message.sender)
        if len(self.votes) >= self._majority():
            self._become_leader()

    def _on_append_entries(self, message: AppendEntries) -> None:
        if message.term < self.term:
            self._send(message.sender, AppendReply(self.index, self.term, False))
            return
        # Same term: its sender won this term's election (one leader per term).
        if self.leader_id != message.sender or self.role is not Role.FOLLOWER:
            self._become_follower(message.sender)
        else:
            self._reset_election_timer()
        self._send(message.sender, AppendReply(self.index, self.term, True))
