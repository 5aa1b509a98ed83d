"""The emergent-leader node with a bounded view: gossip whose cost does not grow with n.

A :class:`~emergent_lab.protocol.node.Node` gossips full membership: every
digest names every node and every heartbeat must reach everyone, so bytes
per node grow like n (143 bytes per node per second per member). This node
keeps only its k best candidates (:mod:`.topk_view`) and gossips those, with
their liveness and its opinion (:mod:`.topk_messages`): at most k + 1
entries a message, whatever n is.

Why the leader still emerges: the best node alive is at the head of every
list that holds it and is never evicted while it heartbeats; its own state
spreads by push-pull like any rumour, so after O(log n) rounds it is in
every list (see :mod:`emergent_lab.array.views` for the argument, which the
array engine's top-k view shares with this node rule for rule). Recognition
counts the opinions of the last k partners, a uniform sample, as long as
they are recent (:func:`~emergent_lab.protocol.rules.opinion_horizon`).

What it assumes, like the array engine: partners come from a uniform
peer-sampling service over the members (here the shared id table; a real
deployment runs one, such as Cyclon, whose few ids a round are not counted
in the bytes). When it is unsafe: a partition that hides all k candidates of
a node (every one it lists is on the other side) leaves it with no candidate
alive until gossip from its own side brings one, and if its peer sampling is
cut off too, leadership cannot re-emerge on its side.

A top-k node has no status field: ``leave`` stops it, and its peers suspect
it as after a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from emergent_lab.core.arrays import FloatArray, IntArray
from emergent_lab.core.ids import NO_NODE
from emergent_lab.detector import DetectorBank
from emergent_lab.detector.rule import detector_rule
from emergent_lab.detector.sums import bootstrap_sums, entry_phi
from emergent_lab.protocol.member import Member, PeersHeld, pad
from emergent_lab.protocol.messages import VERSION_BITS, version_key
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.protocol.rules import choose, opinion_horizon, seed_still_waits
from emergent_lab.protocol.topk_messages import TopKAck, TopKAck2, TopKMessage, TopKState, TopKSyn
from emergent_lab.protocol.topk_view import TopKList

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from emergent_lab.protocol.member import MemberOptions

DEFAULT_K = 8
"""Candidates a top-k node keeps unless told otherwise (the array engine's default too)."""


class TopKNode(Member):
    """A gossiping member with a bounded view (arguments as :class:`Member`, plus ``k``)."""

    acquaints_everyone = False
    """A top-k node never believes every member alive: only its k candidates."""

    def __init__(
        self, node_id: str, *, k: int = DEFAULT_K, **members: Unpack[MemberOptions]
    ) -> None:
        super().__init__(node_id, **members)
        self.k = k
        self.candidates = TopKList(
            self.index,
            k=k,
            rule=detector_rule(self.params.detector),
            first=bootstrap_sums(self.params.detector),
            horizon=opinion_horizon(self.params.detector),
            ids=self.ids,
        )
        self._alive: list[int] = []
        """Candidates alive at the last look (also set in ``alive_mask`` for readers)."""
        self._publish_own_state()

    @property
    def detector(self) -> DetectorBank:
        """A top-k node keeps its detectors inside its list's entries, not in a bank."""
        raise AttributeError("detector: a top-k node keeps its detectors in its candidates")

    def peers_held(self) -> PeersHeld:
        """The candidates this node lists."""
        entries = self.candidates.entries
        return PeersHeld(
            np.array([e.node for e in entries], dtype=np.int64),
            np.array([e.key >> VERSION_BITS for e in entries], dtype=np.int64),
            np.array([e.heartbeat for e in entries], dtype=np.int64),
            np.array([e.score for e in entries]),
        )

    def phi_of(self, peer: str) -> float:
        """This node's current phi for ``peer`` (0.0 if it does not list it)."""
        j = self.ids.index.get(peer)
        entry = self.candidates.holds(j) if j is not None else None
        if entry is None:
            return 0.0
        sums = (entry.last, entry.count, entry.total, entry.total_sq)
        return entry_phi(self.params.detector, self.clock.now(), *sums)

    def phis(self, peers: IntArray) -> FloatArray:
        """This node's current phi of each of ``peers`` (0.0 for one it does not list)."""
        return np.array([self.phi_of(self.ids.ids[j]) for j in peers.tolist()], dtype=np.float64)

    def silence_of(self, node: int) -> float | None:
        """The silence after which this node will suspect ``node`` (None if not listed)."""
        entry = self.candidates.holds(node)
        return None if entry is None else entry.suspect_at - entry.last

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Begin heartbeating and gossiping, each at a random phase of its interval."""
        self._start_ticking({"heartbeat": self._heartbeat_tick, "gossip": self._gossip_tick})

    def leave(self) -> None:
        """Stop; with no status to announce, peers suspect this node as after a crash."""
        self.stop()

    def set_params(self, params: ProtocolParams) -> None:
        """Adopt new parameters; detector changes apply to the deadlines computed from now."""
        if params.detector != self.params.detector:
            self.candidates.rule = detector_rule(params.detector)
            self.candidates.first = bootstrap_sums(params.detector)
            self.candidates.horizon = opinion_horizon(params.detector)
        self.params = params
        if self.running:
            self.evaluate()

    def _publish_own_state(self) -> None:
        self.version += 1

    def _own_state(self) -> TopKState:
        key = version_key(self.generation, self.version)
        return TopKState(self.index, key, self.heartbeat_count, self.score, None)

    # -- timers ------------------------------------------------------------------------

    def _heartbeat_tick(self) -> None:
        self.heartbeat_count += 1
        self._publish_own_state()

    def _gossip_tick(self) -> None:
        self.evaluate()
        own = self._own_state()
        syn = TopKSyn(self.index, ((own.node, own.key), *self.candidates.digest()))
        for peer in self._partners():
            self._send(peer, syn)

    def _partners(self) -> list[int]:
        """``fanout`` distinct members drawn uniformly, never this node (peer sampling)."""
        n = len(self.ids)
        count = min(self.params.fanout, n - 1)
        chosen: list[int] = []
        while len(chosen) < count:
            drawn = int(self.rng.integers(0, n - 1))
            drawn += drawn >= self.index
            if drawn not in chosen:
                chosen.append(drawn)
        return chosen

    def _send(self, peer: int, message: TopKMessage) -> None:
        # Transport.send is typed for full gossip's messages; the simulated
        # network needs only .kind and .wire_bytes, which these have too.
        self.transport.send(self.index, peer, message)  # type: ignore[arg-type]

    # -- messages ----------------------------------------------------------------------

    def receive(self, message: TopKMessage) -> None:  # type: ignore[override]
        """Handle one message of a top-k exchange (the transport calls this on delivery)."""
        if not self.running or self._defer(partial(self.receive, message)):
            return
        if isinstance(message, TopKSyn):
            digest = dict(message.digest)
            states = self.candidates.newer_than(digest, partner=message.sender)
            own = self._own_state()
            if own.key > digest.get(self.index, 0):
                states.append(own)
            wanted = tuple(self.candidates.wanted(message.digest))
            reply = TopKAck(self.index, tuple(states), self.opinion, wanted)
            self._send(message.sender, reply)
        elif isinstance(message, TopKAck):
            self._merge(message.sender, message.states, message.opinion)
            states = self.candidates.states(message.request)
            if self.index in message.request:
                states.append(self._own_state())
            self._send(message.sender, TopKAck2(self.index, tuple(states), self.opinion))
        else:
            self._merge(message.sender, message.states, message.opinion)

    def _merge(self, sender: int, states: Sequence[TopKState], opinion: int) -> None:
        now = self.clock.now()
        merged = self.candidates.merge(sender, states, opinion, now)
        self._suspect(merged.suspected, now)
        if merged.structural:
            self.evaluate()

    def _suspect(self, suspected: list[int], now: float) -> None:
        if suspected:
            found = np.array(suspected, dtype=np.int64)
            self.listener.suspicions_changed(self, found, np.zeros(0, dtype=np.int64), now)

    # -- the leader rule -----------------------------------------------------------------

    def evaluate(self) -> None:
        """Re-apply the leader rule to the candidates and recognition to the sampled opinions.

        The same decisions as ``Node.evaluate`` (:func:`~emergent_lab.protocol.rules.choose`,
        :func:`~emergent_lab.protocol.rules.recognise`), on what a top-k node sees.
        """
        now = self.clock.now()
        current = self.opinion
        look = self.candidates.look(now, own_score=self.score, current=current)
        self._suspect(look.suspected, now)
        self._set_alive_candidates(look.alive)
        joining = (  # as Node.joining
            bool(self.seeds.size)
            and not look.knows_peer
            and (
                not self.is_seed
                or bool(seed_still_waits(now - self.started_at, self.params.gc_after))
            )
        )
        threshold = self.params.convergence_threshold
        recognised = self.candidates.recognition(current, threshold, now)
        opinion = choose(
            current,
            look.current_alive,
            look.current_score,
            look.best,
            look.top,
            recognised,
            joining,
            self.params.emergence_threshold,
        )
        if opinion != current:
            self.opinion = opinion
            self._publish_own_state()
            recognised = self.candidates.recognition(opinion, threshold, now)
        recognised = NO_NODE if joining else recognised
        acting = recognised == self.index
        if recognised != self.recognised or acting != self.acting or opinion != current:
            self.recognised = recognised
            self.acting = acting
            self.listener.node_changed(self, now)

    def _set_alive_candidates(self, alive: list[int]) -> None:
        """Keep ``alive_mask`` (what readers of a member look at): this node and its candidates."""
        if self.alive_mask.shape[0] < len(self.ids):
            self.alive_mask = pad(self.alive_mask, len(self.ids))
        self.alive_mask[self._alive] = False
        self.alive_mask[alive] = True
        self.alive_mask[self.index] = True
        self._alive = alive
