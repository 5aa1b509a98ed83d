"""The Bully algorithm (Garcia-Molina 1982): an explicit election, as a baseline.

A node that suspects its coordinator holds an election: it sends ELECTION to
every member that may outrank it and waits. A member that outranks the sender
replies ANSWER and holds its own election; a candidate that hears no ANSWER
within a timeout has won and sends COORDINATOR to everyone. A node that
outranks the coordinator it is told about starts an election and "bullies" it
out, which is also how a recovered or better node takes over.

Priority is the cluster's score, ties going to the id that sorts first
(``node_sort_key``), exactly the order of the emergent leader rule, so the
observer's "best node" means the same thing for both. With the ``lowest-id``
score preset every score is equal and the lowest id wins.

How liveness is learned: the coordinator sends its own HEARTBEAT to every
member each heartbeat interval, and each follower feeds the arrival times into
the same phi-accrual ``DetectorBank``, with the same ``detector`` parameters,
as the emergent protocol. It does not reuse the gossip because the classic
Bully needs only the coordinator's liveness: coordinator heartbeats cost
``n - 1`` small messages per interval where gossip costs ``fanout`` exchanges of
``O(n)``-sized digests per node, and that difference (steady cost versus burst
cost) is one of the claims this baseline exists to measure. Membership is the
id table (static membership, as the paper assumes): dead members are still
sent ELECTIONs, and simply never answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from emergent_lab.baselines.messages import (
    KINDS,
    Answer,
    BullyMessage,
    Coordinator,
    Election,
    Heartbeat,
)
from emergent_lab.baselines.priorities import Priorities
from emergent_lab.core.ids import NO_NODE
from emergent_lab.detector import DetectorBank
from emergent_lab.detector.rule import is_alive
from emergent_lab.protocol.member import Member, PeersHeld
from emergent_lab.protocol.messages import Message
from emergent_lab.sim.network import SimNetwork

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from emergent_lab.protocol.member import MemberOptions

ANSWER_TIMEOUT_ROUNDS = 1.0
"""Heartbeat intervals a candidate waits for an ANSWER before it declares itself."""
COORDINATOR_TIMEOUT_ROUNDS = 2.0
"""Heartbeat intervals a node that got an ANSWER waits for COORDINATOR before retrying."""


class BullyNode(Member):
    """A cluster member that elects its coordinator with the Bully algorithm.

    It is a :class:`~emergent_lab.protocol.member.Member`, a sibling of the
    emergent ``Node`` (constructor, lifecycle, GC-like pauses, metrics,
    parameters, the detector bank and reporting to the listener), so a
    ``SimCluster`` and its observer drive it unchanged; it keeps no gossip
    view, only the election's messages and the coordinator's heartbeats. For
    the observer, ``opinion`` is the coordinator the node follows,
    ``recognised`` is that coordinator once announced (none while an
    election runs), and ``acting`` is true on the coordinator itself.

    Args:
        node_id: this node's id.
        ids: the id table; its ids are the members (static membership).
        params: heartbeat interval (also the unit of the election timeouts)
            and the detector settings.
        score: the cluster's score function; the score is the priority.
        metrics: the node's own metrics.
        clock: the time source and timers.
        transport: where messages go.
        rng: this node's share of the run's generator (start phase).
        seeds: unused by the Bully (every member is known); kept for the
            common constructor.
        generation: the incarnation, bumped on restart.
        listener: told about coordinator and suspicion changes.
    """

    static_membership = True
    """Every member is known from the id table; only the coordinator is watched."""
    message_kinds = KINDS

    def __init__(self, node_id: str, **members: Unpack[MemberOptions]) -> None:
        super().__init__(node_id, **members)
        self._detector = DetectorBank(self.params.detector, capacity=len(self.ids))
        self.priorities = Priorities(self.ids, self.index)
        """Scores learned from other members' messages (unknown: may outrank us)."""
        self._outbox: dict[type[BullyMessage], BullyMessage] = {}
        """The last message of each kind this node made: sent again while its score holds."""
        self.electing = False
        self.answered = False
        self._watched = NO_NODE
        """The coordinator whose heartbeats feed the detector (none on the coordinator)."""
        self._timer_epoch = 0

    @property
    def detector(self) -> DetectorBank:
        """The detectors of the members; only the coordinator's is fed."""
        return self._detector

    def peers_held(self) -> PeersHeld:
        """The members whose heartbeats this node has heard, with the scores they sent."""
        heard = np.flatnonzero(self._detector.known)
        heard = heard[heard != self.index]
        scores = self.priorities.scores_of(heard)
        zeros = np.zeros(heard.size, dtype=np.int64)
        return PeersHeld(heard, zeros, zeros, scores)

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        """Begin the heartbeat tick (at a random phase); the first tick elects."""
        if self.running:
            return
        self.running = True
        self._every("heartbeat", self._tick, self.rng.random())

    def leave(self) -> None:
        """Stop; the Bully has no graceful leave, so the others detect the silence."""
        self.stop()

    # -- timers -----------------------------------------------------------------

    def _after(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` unless another election timer replaces it."""
        self._cancel_election_timer()
        fire = partial(self._fire, self._timer_epoch, action)
        self._timers["election"] = self.clock.call_later(delay, fire)

    def _fire(self, epoch: int, action: Callable[[], None]) -> None:
        if not self.running or epoch != self._timer_epoch:
            return
        if self._defer(partial(self._fire, epoch, action)):
            return
        action()

    def _cancel_election_timer(self) -> None:
        self._timer_epoch += 1
        timer = self._timers.pop("election", None)
        if timer is not None:
            timer.cancel()

    def _tick(self) -> None:
        if self.opinion == self.index and not self.electing:
            self._broadcast(Heartbeat)
        self.evaluate()

    # -- priorities -------------------------------------------------------------

    def _score_of(self, index: int) -> float | None:
        return self.score if index == self.index else self.priorities.score_of(index)

    def _outranks(self, a: int, b: int) -> bool:
        """Whether member ``a`` has priority over ``b`` (unknown scores: no)."""
        score_a, score_b = self._score_of(a), self._score_of(b)
        if score_a is None or score_b is None:
            return False
        return self.priorities.outranks(a, score_a, b, score_b)

    # -- sending ----------------------------------------------------------------

    def _message(self, kind: type[BullyMessage]) -> BullyMessage:
        """This node's message of ``kind``, made once and sent again while its score holds.

        A message is immutable and says only who sent it and the sender's
        score, so one object serves every recipient of an election or a
        broadcast (the network sizes it once), instead of n objects alive at
        once in the simulator's queue.
        """
        message = self._outbox.get(kind)
        if message is None or message.score != self.score:
            message = self._outbox[kind] = kind(self.index, self.score)
        return message

    def _send_to(self, members: Sequence[int], kind: type[BullyMessage]) -> None:
        """Send this node's message of ``kind`` to each of ``members``, in their order.

        On the simulated network the messages go as one batch (``send_all``:
        the same run, a fraction of the cost per message).
        """
        message = self._message(kind)
        transport = self.transport
        # Transport.send is typed for the gossip messages; SimNetwork needs
        # only .kind and .wire_bytes, which these have too.
        if isinstance(transport, SimNetwork):
            transport.send_all(self.index, members, message)  # type: ignore[arg-type]
            return
        me = self.index
        for member in members:
            transport.send(me, member, message)  # type: ignore[arg-type]

    def _broadcast(self, kind: type[BullyMessage]) -> None:
        me = self.index
        self._send_to([member for member in range(len(self.ids)) if member != me], kind)

    # -- the election -----------------------------------------------------------

    def start_election(self) -> None:
        """Hold an election: ELECTION to every member that may outrank this node.

        Public so that a test or a lesson can make a chosen node start one
        (the worst case is the lowest-priority node starting it).
        """
        if not self.running or self.electing:
            return
        self.electing = True
        self.answered = False
        self._follow(NO_NODE)
        higher = self.priorities.challengers(self.score)
        if not higher.size:
            self._win()
            return
        self._send_to(higher.tolist(), Election)
        self._after(ANSWER_TIMEOUT_ROUNDS * self.params.heartbeat_interval, self._answer_timeout)

    def _answer_timeout(self) -> None:
        if self.electing and not self.answered:
            self._win()

    def _coordinator_timeout(self) -> None:
        """An ANSWER came but no COORDINATOR: the one who answered died too; again."""
        self.electing = False
        self.start_election()

    def _win(self) -> None:
        self._cancel_election_timer()
        self.electing = False
        self._watch(NO_NODE)
        self._follow(self.index)
        self._broadcast(Coordinator)

    def _adopt(self, coordinator: int) -> None:
        """Follow ``coordinator`` and watch its heartbeats (and only its)."""
        self._cancel_election_timer()
        self.electing = False
        self._watch(coordinator)
        self._heard(coordinator)
        self._follow(coordinator)

    def _watch(self, member: int) -> None:
        """Watch ``member`` from now on, forgetting the one watched before.

        A coordinator that stepped down stops heartbeating without having
        failed; forgetting it keeps its silence from counting as a suspicion.
        """
        previous = self._watched
        if previous not in (NO_NODE, member):
            self._detector.reset(np.array([previous], dtype=np.int64))
            if previous < self.alive_mask.shape[0]:
                self.alive_mask[previous] = False  # forgotten, not suspected
        self._watched = member

    def _heard(self, member: int) -> None:
        """Record a sign of life of the coordinator for the failure detector.

        The checked ``heartbeat`` would verify that one index, in range, at
        the simulator's own (never decreasing) time, is unique and in order:
        true by construction here, and checking it cost more than the arrival.
        """
        detector = self._detector
        if detector.capacity < len(self.ids):
            detector.ensure_capacity(len(self.ids))
        detector.heartbeat_unchecked(np.array([member], dtype=np.int64), self.clock.now())

    def _follow(self, coordinator: int) -> None:
        recognised = NO_NODE if self.electing else coordinator
        acting = recognised == self.index and recognised != NO_NODE
        if (coordinator, recognised, acting) == (self.opinion, self.recognised, self.acting):
            return
        self.opinion = coordinator
        self.recognised = recognised
        self.acting = acting
        self._publish_own_state()
        self.listener.node_changed(self, self.clock.now())

    # -- messages ---------------------------------------------------------------

    def receive(self, message: Message | BullyMessage) -> None:
        """Handle one Bully message (the transport calls this on delivery).

        Run once per message of a failover (about 2.5 million at n = 1,000),
        so it asks only what the message's kind needs: an ANSWER needs no
        comparison, and the pause check makes no callback unless paused.
        """
        if not self.running or not isinstance(message, BullyMessage):
            return
        if self.paused_until > self.clock.now() and self._defer(partial(self.receive, message)):
            return
        sender, score = message.sender, message.score
        priorities = self.priorities
        priorities.learn(sender, score)
        if isinstance(message, Answer):
            if self.electing and not self.answered:
                self.answered = True
                self._after(
                    COORDINATOR_TIMEOUT_ROUNDS * self.params.heartbeat_interval,
                    self._coordinator_timeout,
                )
            return
        above_sender = priorities.outranks(self.index, self.score, sender, score)
        if isinstance(message, Election):
            if above_sender:
                # One recipient: straight to the transport, no batch.
                self.transport.send(self.index, sender, self._message(Answer))  # type: ignore[arg-type]
                self.start_election()
        elif above_sender:
            self.start_election()  # a lower coordinator: bully it out
        elif isinstance(message, Coordinator) or self._better_than_current(sender):
            self._adopt(sender)
        elif sender == self.opinion:
            self._heard(sender)

    def _better_than_current(self, member: int) -> bool:
        """Whether a heartbeat's sender should replace the coordinator followed now."""
        current = self.opinion
        if member == current:
            return False
        return current == NO_NODE or self.electing or self._outranks(member, current)

    # -- the check on every tick --------------------------------------------------

    def evaluate(self) -> None:
        """Re-check the coordinator's liveness; suspect it, or bully a lower one.

        An election starts when there is no coordinator (first start,
        restart), when the detector suspects it, or when this node now
        outranks it (its own score rose).

        Only the watched coordinator's detector is ever fed (``_heard``), and
        watching another forgets the one before (``_watch``), so every other
        member is never heard: the liveness mask is this node and, while its
        detector says so, the watched coordinator. Checking that one detector
        instead of all n keeps a tick's cost from growing with the cluster.
        """
        now = self.clock.now()
        detector = self._detector
        if detector.capacity < len(self.ids):
            detector.ensure_capacity(len(self.ids))
        alive = np.zeros(len(self.ids), dtype=bool)
        alive[self.index] = True
        watched = self._watched
        if watched != NO_NODE and detector.sample_count[watched] > 0:
            alive[watched] = is_alive(detector.state().rule, detector.suspect_at[watched], now)
        self._set_alive(alive, now)
        if not self.running or self.electing:
            return
        coordinator = self.opinion
        if (
            coordinator == NO_NODE
            or not alive[coordinator]
            or self._outranks(self.index, coordinator)
        ):
            self.start_election()
