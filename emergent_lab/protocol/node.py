"""One node of the emergent-leader protocol, independent of any transport.

A node heartbeats, gossips its view with push-pull exchanges, watches its
peers with a phi-accrual detector and applies the leader rule of DESIGN.md:
follow the best node believed alive, switch only when another beats it by
more than the emergence threshold, and recognise a leader once the
convergence-threshold fraction of the live members share that opinion.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

from emergent_lab.protocol.ids import IdTable
from emergent_lab.protocol.messages import (
    STATUS_LEFT,
    STATUS_UP,
    GossipAck,
    GossipAck2,
    GossipSyn,
    Message,
    state_wire_bytes,
    version_key,
)
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.protocol.transport import (
    Cancellable,
    Clock,
    NodeListener,
    SilentListener,
    Transport,
)
from emergent_lab.protocol.view import MergeResult, View
from emergent_lab.score import ScoreFunction

NO_NODE = -1


class Node:
    """A gossiping member that forms an opinion on who leads.

    Args:
        node_id: this node's id (also its tie-break rank among equal scores).
        ids: the id table shared with the transport's codec.
        params: timing, fanout, thresholds and detector settings.
        score: the cluster's score function; the node scores itself with it.
        metrics: the node's own metrics, the inputs of its score.
        clock: the time source and timers (virtual in the simulator).
        transport: where messages go.
        rng: this node's share of the run's seeded generator.
        seeds: ids to contact when the node knows no live peer (joining); this
            node's own id may be among them (it then is a seed itself).
        generation: the incarnation; a restart must use a higher one.
        listener: told about opinion, recognition and suspicion changes.
    """

    static_membership = False
    """Whether a node knows every member from the start (it learns them by gossip)."""

    def __init__(
        self,
        node_id: str,
        *,
        ids: IdTable,
        params: ProtocolParams,
        score: ScoreFunction,
        metrics: Mapping[str, float],
        clock: Clock,
        transport: Transport,
        rng: np.random.Generator,
        seeds: Sequence[str] = (),
        generation: int = 1,
        listener: NodeListener | None = None,
    ) -> None:
        self.node_id = node_id
        self.ids = ids
        self.index = ids.intern(node_id)
        self.params = params
        self.score_function = score
        self.metrics: dict[str, float] = dict(metrics)
        self.clock = clock
        self.transport = transport
        self.rng = rng
        seed_set = {ids.intern(s) for s in seeds}
        self.is_seed = self.index in seed_set
        self.seeds = np.array(sorted(seed_set - {self.index}), dtype=np.int64)
        self.generation = int(generation)
        self.listener: NodeListener = listener if listener is not None else SilentListener()
        self.view = View(self.index, params.detector, capacity=len(ids))
        self.version = 0
        self.heartbeat_count = 0
        self.status = STATUS_UP
        self.score = score.score(self.metrics)
        self.opinion = NO_NODE
        self.recognised = NO_NODE
        self.acting = False
        self.running = False
        self.paused_until = -math.inf
        self.started_at = math.inf
        self.alive_mask = np.zeros(self.view.capacity, dtype=bool)
        self._timers: dict[str, Cancellable] = {}
        self._publish_own_state()

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        """Begin heartbeating and gossiping, each at a random phase of its interval.

        Random phases keep a cluster that starts at one instant from gossiping
        in lock-step, as real processes never do.
        """
        if self.running:
            return
        self.running = True
        self.started_at = self.clock.now()
        self.evaluate()
        self._every("heartbeat", self._heartbeat_tick, self.rng.random())
        self._every("gossip", self._gossip_tick, self.rng.random())

    def stop(self) -> None:
        """Stop at once, as in a crash: timers cancelled, messages ignored."""
        self.running = False
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def pause(self, duration: float) -> None:
        """Stall for ``duration`` seconds, like a GC pause: alive but silent.

        Messages and timers that fall in the stall are handled when it ends,
        in the order they came, as a stalled process finds them in its buffers.
        """
        self.paused_until = max(self.paused_until, self.clock.now() + duration)

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

    def recover(self, previous: Node) -> None:
        """Take what survives a crash from the incarnation before this one.

        Nothing, for the emergent protocol: a restart begins with an empty view
        under a new generation. A protocol with stable storage (Raft's term and
        vote) overrides this; the cluster calls it before ``start``.
        """

    # -- changes from outside -------------------------------------------------

    def set_metrics(self, metrics: Mapping[str, float]) -> None:
        """Replace some of this node's metrics; its score follows."""
        self.metrics.update(metrics)
        self._rescore()

    def set_score_function(self, score: ScoreFunction) -> None:
        """Adopt a new score function (a cluster-wide weight change)."""
        self.score_function = score
        self._rescore()

    def set_params(self, params: ProtocolParams) -> None:
        """Adopt new protocol parameters; intervals apply from the next tick."""
        detector_changed = params.detector != self.params.detector
        self.params = params
        if detector_changed:
            self.view.detector.set_params(params.detector)
        if self.running:
            self.evaluate()

    def _rescore(self) -> None:
        self.score = self.score_function.score(self.metrics)
        self._publish_own_state()
        if self.running:
            self.evaluate()

    # -- own state ------------------------------------------------------------

    def _publish_own_state(self) -> None:
        """Write this node's state into its own view under a new version."""
        self.version += 1
        v = self.view
        i = self.index
        v.key[i] = version_key(self.generation, self.version)
        v.heartbeat[i] = self.heartbeat_count
        v.score[i] = self.score
        v.opinion[i] = self.opinion
        v.status[i] = self.status
        v.metrics[i] = dict(self.metrics)
        v.state_bytes[i] = state_wire_bytes(self.node_id, self.id_of(self.opinion), self.metrics)
        v.known[i] = True
        v.invalidate()

    # -- timers ----------------------------------------------------------------

    def _interval(self, name: str) -> float:
        p = self.params
        return p.heartbeat_interval if name == "heartbeat" else p.gossip_interval

    def _every(self, name: str, action: Callable[[], None], phase: float) -> None:
        """Run ``action`` every interval of ``name``, read afresh at each tick.

        Timers are partials of methods, never closures, so that a copy of the
        cluster (a forked run) schedules on its own nodes.
        """
        tick = partial(self._timer_fired, name, action)
        self._timers[name] = self.clock.call_later(phase * self._interval(name), tick)

    def _timer_fired(self, name: str, action: Callable[[], None]) -> None:
        tick = partial(self._timer_fired, name, action)
        if not self.running or self._defer(tick):
            return
        action()
        self._timers[name] = self.clock.call_later(self._interval(name), tick)

    def _defer(self, callback: Callable[[], None]) -> bool:
        """Hold ``callback`` until a pause ends; True if it was held.

        Held callbacks are not tracked: they check ``running`` when they fire.
        """
        now = self.clock.now()
        if now < self.paused_until:
            self.clock.call_later(self.paused_until - now, callback)
            return True
        return False

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
        gone = v.known & (v.detector.suspect_at + self.params.gc_after < now)
        gone[self.index] = False
        if np.count_nonzero(gone):
            v.collect(gone.nonzero()[0])

    # -- peer selection ----------------------------------------------------------

    def _pick_live(self, k: int) -> np.ndarray:
        live: np.ndarray = self.alive_mask.nonzero()[0]
        live = live[live != self.index]
        if live.size <= k:
            return live
        return np.asarray(self.rng.choice(live, size=k, replace=False))

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
        dead = (v.known & ~self.alive_mask & (v.status == STATUS_UP)).nonzero()[0]
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
        if self._defer(partial(self.receive, message)):
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

    def _merge(self, deltas: Any) -> MergeResult:
        result = self.view.merge(deltas, self.clock.now())
        if result.accepted.size:
            if self.alive_mask.shape[0] < self.view.capacity:
                self.alive_mask = _pad(self.alive_mask, self.view.capacity)
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
        alive = v.known & (v.status == STATUS_UP) & self._available(now)
        alive[self.index] = self.status == STATUS_UP
        self._set_alive(alive, now)

        members = alive.nonzero()[0]
        rank = self.ids.rank
        opinion = self.opinion
        recognised = NO_NODE
        if self.joining(now):
            opinion = NO_NODE
        elif members.size:
            recognised = self._recognition(members)
            best = best_candidate(members, v.score[members], rank)
            if opinion < 0 or not alive[opinion] or recognised != opinion:
                opinion = best
            elif (
                best != opinion
                and v.score[best] > v.score[opinion] + self.params.emergence_threshold
            ):
                opinion = best
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

    def _available(self, now: float) -> np.ndarray:
        """Per peer of the view, whether the failure detector holds it up (phi below threshold).

        The one place liveness comes from, so another detector (SWIM) can stand in.
        """
        available: np.ndarray = self.view.detector.available(now)
        return available

    def joining(self, now: float) -> bool:
        """Whether this node still waits to hear from a peer before holding an opinion.

        A node that has seeds but has heard from no peer yet is not a cluster
        of one; it holds no opinion until it hears back. A seed itself waits
        at most ``gc_after`` (by then a seed that never answered would have
        been collected) and then leads itself, as Akka's first seed forms a
        cluster after its seed-node timeout; any other node keeps waiting, or
        every node whose seeds are down would lead a cluster of its own.
        Keys, not ``known``: a survivor that buried every peer has heard from them.
        """
        if not self.seeds.size or int(np.count_nonzero(self.view.key)) > 1:
            return False
        return not self.is_seed or now - self.started_at < self.params.gc_after

    def _set_alive(self, alive: np.ndarray, now: float) -> None:
        """Adopt a new liveness mask and tell the listener whom it now suspects or trusts."""
        previous = self.alive_mask
        if previous.shape[0] < alive.shape[0]:
            previous = _pad(previous, alive.shape[0])
        self.alive_mask = alive
        self.view.suspect(self.view.known & (self.view.status == STATUS_UP) & ~alive)
        flipped = previous != alive
        if np.count_nonzero(flipped):
            suspected = (flipped & previous).nonzero()[0]
            restored = (flipped & alive).nonzero()[0]
            self.listener.suspicions_changed(self, suspected, restored, now)

    def _recognition(self, members: np.ndarray) -> int:
        """The opinion held by at least the convergence-threshold share of ``members``."""
        held = self.view.opinion[members]
        held = held[held >= 0]
        if not held.size:
            return NO_NODE
        counts = np.bincount(held)
        top = (counts == counts[counts.argmax()]).nonzero()[0]
        leader = int(top[np.argmin(self.ids.rank[top])]) if top.size > 1 else int(top[0])
        # int(): a NumPy integer compared with a float takes NumPy's slow scalar path.
        if int(counts[leader]) >= self.params.convergence_threshold * members.size - 1e-9:
            return leader
        return NO_NODE

    # -- read-only helpers for observers ----------------------------------------------

    def alive_peers(self) -> list[str]:
        """Ids this node believed alive at its last evaluation (itself included)."""
        return [self.ids.ids[i] for i in np.flatnonzero(self.alive_mask)]

    def phi_of(self, peer: str) -> float:
        """This node's current phi for ``peer`` (0.0 if it never heard of it)."""
        j = self.ids.index.get(peer)
        if j is None or j >= self.view.capacity:
            return 0.0
        return float(self.view.detector.phi(self.clock.now(), np.array([j]))[0]) + 0.0

    def id_of(self, index: int) -> str | None:
        """The id behind an index, or None for ``NO_NODE``."""
        return self.ids.ids[index] if index >= 0 else None


def best_candidate(members: np.ndarray, scores: np.ndarray, rank: np.ndarray) -> int:
    """Highest score; equal scores go to the id that sorts first."""
    top = members[scores == scores[scores.argmax()]]  # argmax: a C call, unlike max()
    return int(top[np.argmin(rank[top])]) if top.size > 1 else int(top[0])


def _pad(mask: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate([mask, np.zeros(n - mask.shape[0], dtype=bool)])
