"""One node of the emergent-leader protocol, independent of any transport.

It is a :class:`~emergent_lab.protocol.member.Member` (lifecycle, timers,
metrics, detectors) that learns its peers by gossip.

A node heartbeats, gossips its view with push-pull exchanges, watches its
peers with a phi-accrual detector and applies the leader rule of DESIGN.md:
follow the best node believed alive, switch only when another beats it by
more than the emergence threshold, and recognise a leader once the
convergence-threshold fraction of the live members share that opinion.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from emergent_lab.core.arrays import BoolArray, IntArray
from emergent_lab.core.ids import NO_NODE
from emergent_lab.core.sample import choose
from emergent_lab.detector import DetectorBank
from emergent_lab.protocol.member import Member, PeersHeld, pad
from emergent_lab.protocol.messages import (
    STATUS_LEFT,
    STATUS_UP,
    VERSION_BITS,
    GossipAck,
    GossipAck2,
    GossipSyn,
    Message,
    StateBatch,
    state_wire_bytes,
    version_key,
)
from emergent_lab.protocol.rules import best_of, seed_still_waits
from emergent_lab.protocol.survey import collectable, lead, recognition
from emergent_lab.protocol.view import MergeResult, View

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from emergent_lab.protocol.member import MemberOptions


class Node(Member):
    """A gossiping member that forms an opinion on who leads (arguments as :class:`Member`)."""

    def __init__(self, node_id: str, **members: Unpack[MemberOptions]) -> None:
        super().__init__(node_id, **members)
        self.view = View(self.index, self.params.detector, capacity=len(self.ids))
        self.alive_mask = np.zeros(self.view.capacity, dtype=bool)
        self._tally = np.zeros(len(self.ids), dtype=np.int64)
        """Scratch counters of :func:`~emergent_lab.protocol.rules.recognise`."""
        self._votes = np.empty(self.view.capacity, dtype=np.int64)
        """Scratch for the opinions counted by the recognition."""
        self._publish_own_state()

    @property
    def detector(self) -> DetectorBank:
        """The detectors of this node's peers, kept in its view."""
        return self.view.detector

    def peers_held(self) -> PeersHeld:
        """Every peer whose state this node holds, as its view has it."""
        v = self.view
        held = np.flatnonzero(v.known)
        held = held[held != self.index]
        return PeersHeld(held, v.key[held] >> VERSION_BITS, v.heartbeat[held], v.score[held])

    def held_mask(self, size: int) -> BoolArray:
        """The view's known mask (a copy, up to ``size``), itself excluded."""
        mask: BoolArray = self.view.known[:size].copy()
        if self.index < mask.shape[0]:
            mask[self.index] = False
        return mask

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        """Begin heartbeating and gossiping, each at a random phase of its interval."""
        self._start_ticking({"heartbeat": self._heartbeat_tick, "gossip": self._gossip_tick})

    def leave(self) -> None:
        """Leave gracefully: tell some live peers this node is leaving, then stop."""
        if not self.running:
            return
        self.status = STATUS_LEFT
        self._publish_own_state()
        own = self.view.batch(np.array([self.index], dtype=np.int64))
        for peer in self._pick_live(self.params.fanout):
            self.transport.send(self.index, int(peer), GossipAck2(self.index, own))
        self.stop()

    def _publish_own_state(self) -> None:
        """Write this node's state into its own view under a new version.

        The metrics published are a copy of the node's own (which change in
        place), shared by every view the state reaches; it is made anew only
        when they changed, as a copy per heartbeat made a thousand objects a
        second at 1,000 nodes for the garbage collector to trace.
        """
        self.version += 1
        v = self.view
        i = self.index
        v.key[i] = version_key(self.generation, self.version)
        v.heartbeat[i] = self.heartbeat_count
        v.score[i] = self.score
        v.opinion[i] = self.opinion
        v.status[i] = self.status
        published = v.metrics[i]
        if published != self.metrics:  # a copy only when they changed, not every heartbeat
            published = dict(self.metrics)
        v.metrics[i] = published
        v.state_bytes[i] = state_wire_bytes(self.node_id, self.id_of(self.opinion), self.metrics)
        v.known[i] = True
        v.invalidate()

    # -- timers ----------------------------------------------------------------

    def _heartbeat_tick(self) -> None:
        self.heartbeat_count += 1
        self._publish_own_state()

    def _gossip_tick(self) -> None:
        now = self.clock.now()
        self._collect_dead(now)
        self.evaluate()
        digest = GossipSyn(self.index, self.view.digest())
        for peer in self._choose_gossip_targets():
            self.transport.send(self.index, int(peer), digest)

    def _collect_dead(self, now: float) -> None:
        v = self.view
        gone = np.empty(v.capacity, dtype=np.int64)
        suspect_at = v.detector.state().suspect_at
        count = collectable(v.known, suspect_at, self.params.gc_after, now, self.index, gone)
        if count:
            v.collect(gone[:count])

    # -- peer selection ----------------------------------------------------------

    def _pick_live(self, k: int) -> np.ndarray:
        live: np.ndarray = self.alive_mask.nonzero()[0]
        live = live[live != self.index]
        if live.size <= k:
            return live
        return choose(self.rng, live, k)

    def _choose_gossip_targets(self) -> list[int]:
        """Fanout live peers, maybe one believed dead, maybe a seed (as Cassandra does).

        Gossiping to a dead-looking peer with probability dead/(live+1) is what
        heals partitions; gossiping to a seed with probability
        seeds/(live+dead) keeps joining nodes and split-brain halves meeting.
        """
        v = self.view
        live = self._pick_live(self.params.fanout)
        targets: list[int] = live.tolist()
        n_live = int(np.count_nonzero(self.alive_mask)) - 1
        dead = v.suspected.nonzero()[0]  # held, up, not alive: as the tick's evaluation left it
        if dead.size and self.rng.random() < dead.size / (n_live + 1):
            pick = int(dead[self.rng.integers(dead.size)])
            if pick not in targets:
                targets.append(pick)
        seeds = self.seeds
        if seeds.size and not set(targets) & set(seeds.tolist()):
            if n_live <= 0 or self.rng.random() < seeds.size / (n_live + dead.size):
                targets.append(int(seeds[self.rng.integers(seeds.size)]))
        return targets

    # -- messages ------------------------------------------------------------------

    def receive(self, message: Message) -> None:
        """Handle one gossip message (the transport calls this on delivery)."""
        if not self.running:
            return
        if self.paused_until > self.clock.now() and self._defer(partial(self.receive, message)):
            return
        if isinstance(message, GossipSyn):
            send_idx, request = self.view.compare(message.digest)
            if send_idx.size or request.size:
                reply = GossipAck(self.index, self.view.batch(send_idx), request)
                self.transport.send(self.index, message.sender, reply)
        elif isinstance(message, GossipAck):
            self._merge(message.deltas)
            if message.request.size:
                deltas = self.view.batch(message.request)
                if len(deltas):
                    self.transport.send(self.index, message.sender, GossipAck2(self.index, deltas))
        elif isinstance(message, GossipAck2):
            self._merge(message.deltas)

    def admit(self, states: StateBatch) -> None:
        """Take states learned outside gossip as if gossiped (a device's own report, say).

        The same merge rules apply (newer versions only, tombstones kept, never
        a state of this node itself), and the node re-evaluates as after a
        gossip merge; a bridge mirroring devices calls this rather than
        forging a gossip message.
        """
        if not self.running or self._defer(partial(self.admit, states)):
            return
        self.view.ensure_capacity(len(self.ids))
        self._merge(states)

    def best_alive(self) -> int:
        """The best candidate this node believed alive at its last evaluation (or NO_NODE)."""
        members = np.flatnonzero(self.alive_mask)
        if not members.size:
            return NO_NODE
        return best_of(members, self.view.score, self.ids.rank)

    def _merge(self, deltas: StateBatch) -> MergeResult:
        result = self.view.merge(deltas, self.clock.now())
        if result.accepted.size:
            self.listener.states_merged(self, deltas, result)
            if self.alive_mask.shape[0] < self.view.capacity:
                self.alive_mask = pad(self.alive_mask, self.view.capacity)
            beats = result.heartbeats
            revived = np.count_nonzero(self.alive_mask[beats]) < beats.shape[0]
            if result.structural or revived:
                self.evaluate()
        return result

    # -- the leader rule ------------------------------------------------------------

    def evaluate(self) -> None:
        """Re-apply the leader rule and recognition to the current view.

        The emergence threshold protects a leader this node recognises: while
        leadership is still emerging (no opinion has reached the convergence
        threshold among the members it believes alive) the node simply follows
        the best candidate, so equal scores cannot freeze a cluster into many
        self-followers and a healed partition merges onto the better leader.

        Called on every gossip tick (liveness changes with the mere passing of
        time, as Akka's reaper tick notices) and whenever a merge changed a
        score, opinion, status or membership.
        """
        now = self.clock.now()
        v = self.view
        previous = self.alive_mask
        alive, members, flips = v.survey(
            now, self.status == STATUS_UP, previous, self._available(now)
        )
        self.alive_mask = alive
        if flips:
            self._report_flips(previous, alive, now)

        opinion = self.opinion
        recognised = NO_NODE
        if self.joining(now):
            opinion = NO_NODE
        elif members.size:
            self._fit_scratch()
            opinion, recognised = lead(
                members,
                alive,
                opinion,
                v.score,
                v.opinion,
                self.ids.rank,
                self.params.convergence_threshold,
                self.params.emergence_threshold,
                self._votes,
                self._tally,
            )
        opinion_changed = opinion != self.opinion
        if opinion_changed:
            self.opinion = opinion
            self._publish_own_state()
            recognised = self._recognition(members) if opinion >= 0 else NO_NODE
        acting = recognised == self.index
        if recognised != self.recognised or acting != self.acting or opinion_changed:
            self.recognised = recognised
            self.acting = acting
            self.listener.node_changed(self, now)

    def _available(self, now: float) -> BoolArray | None:
        """Per peer of the view, whether the failure detector holds it up (phi below threshold).

        The one place liveness comes from, so another detector (SWIM) can
        stand in with its verdicts; None, as here, leaves them to the view's
        phi detectors, judged within the survey (no array made for it).
        """
        return None

    def joining(self, now: float) -> bool:
        """Whether this node still waits to hear from a peer before holding an opinion.

        A node with seeds that has heard from no peer waits; a seed only
        while :func:`~emergent_lab.protocol.rules.seed_still_waits`. Keys,
        not ``known``: a survivor that buried every peer has heard from them.
        """
        if not self.seeds.size or int(np.count_nonzero(self.view.key)) > 1:
            return False
        return not self.is_seed or bool(
            seed_still_waits(now - self.started_at, self.params.gc_after)
        )

    def _fit_scratch(self) -> None:
        """Size the recognition's scratch: opinions may name ids the view lacks yet."""
        if self._tally.shape[0] < len(self.ids):
            self._tally = np.zeros(len(self.ids), dtype=np.int64)
        if self._votes.shape[0] < self.view.capacity:
            self._votes = np.empty(self.view.capacity, dtype=np.int64)

    def _recognition(self, members: IntArray) -> int:
        """The opinion held by at least the convergence-threshold share of ``members``."""
        self._fit_scratch()
        share, rank = self.params.convergence_threshold, self.ids.rank
        return recognition(members, self.view.opinion, share, rank, self._votes, self._tally)

    # -- read-only helpers for observers ----------------------------------------------
