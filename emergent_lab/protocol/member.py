"""What every cluster member is, whatever protocol it runs: identity, lifecycle, timers, metrics.

The emergent node (:class:`~emergent_lab.protocol.node.Node`) and the
baselines' members (the Bully in :mod:`emergent_lab.baselines`) are siblings
on this base: they share the constructor every engine and transport calls,
starting and stopping, GC-like pauses, metrics and score, parameters, the
phi-accrual detector bank, and what they report to the listener. Each
protocol adds how it learns about its peers and how it picks a leader
(``start``, ``leave``, ``receive``, ``evaluate``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.ids import NO_NODE, IdTable
from emergent_lab.detector import DetectorBank
from emergent_lab.protocol.messages import STATUS_UP, Message
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.protocol.transport import (
    Cancellable,
    Clock,
    NodeListener,
    SilentListener,
    Transport,
)
from emergent_lab.score import ScoreFunction

if TYPE_CHECKING:
    from typing_extensions import NotRequired, TypedDict

    class MemberOptions(TypedDict):
        """:class:`Member`'s keyword arguments, for subclasses that pass them on unchanged.

        Every protocol's node is built by the same engines and transports with the
        same arguments; a subclass takes ``**members: Unpack[MemberOptions]`` and
        adds only its own, so the list is written once, here and in ``Member``.
        """

        ids: IdTable
        params: ProtocolParams
        score: ScoreFunction
        metrics: Mapping[str, float]
        clock: Clock
        transport: Transport
        rng: np.random.Generator
        seeds: NotRequired[Sequence[str]]
        generation: NotRequired[int]
        listener: NotRequired[NodeListener | None]


class PeersHeld(NamedTuple):
    """The peers a member holds something of, for a dashboard's peer table."""

    peer: IntArray
    generation: IntArray
    heartbeat: IntArray
    score: FloatArray


class Member:
    """A cluster member: the parts every protocol's node shares.

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
    """Whether a node knows every member from the start (else it learns them by gossip)."""
    acquaints_everyone = True
    """Whether a member comes to believe every live member alive (a top-k node never does)."""
    message_kinds: tuple[str, ...] = ()
    """Message kinds beside gossip's SYN, ACK and ACK2 that this class sends (for log codes)."""

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
        self.alive_mask: BoolArray = np.zeros(len(ids), dtype=bool)
        self._timers: dict[str, Cancellable] = {}

    @property
    def detector(self) -> DetectorBank:
        """The phi-accrual detectors this member keeps of its peers."""
        raise NotImplementedError

    # -- what each protocol adds -------------------------------------------------

    def start(self) -> None:
        """Begin the protocol's timers."""
        raise NotImplementedError

    def leave(self) -> None:
        """Leave the cluster (gracefully where the protocol can)."""
        raise NotImplementedError

    def evaluate(self) -> None:
        """Re-check liveness and leadership now."""
        raise NotImplementedError

    def receive(self, message: Message) -> None:
        """Handle one message (the transport calls this on delivery)."""
        raise NotImplementedError

    def peers_held(self) -> PeersHeld:
        """The peers this member holds something of (itself excluded)."""
        raise NotImplementedError

    def held_mask(self, size: int) -> BoolArray:
        """Per node index below ``size``: whether this member holds a state of it (not itself).

        What :meth:`peers_held` lists, as a fresh mask, without gathering what
        is held: the dashboard reads it for every node on every frame.
        """
        mask = np.zeros(size, dtype=bool)
        mask[self.peers_held().peer] = True
        return mask

    def recover(self, previous: Member) -> None:
        """Take what survives a crash from the incarnation before this one.

        Nothing by default (the emergent node restarts with an empty view under
        a new generation). A protocol with stable storage (Raft's term and
        vote) overrides this; the cluster calls it before ``start``.
        """

    # -- changes from outside -------------------------------------------------

    # -- own state ------------------------------------------------------------

    def _publish_own_state(self) -> None:
        """Make a change of this member's own state visible to its peers (if it gossips)."""

    # -- lifecycle -----------------------------------------------------------------

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

    # -- changes from outside -------------------------------------------------------

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
            self.detector.set_params(params.detector)
        if self.running:
            self.evaluate()

    def _rescore(self) -> None:
        self.score = self.score_function.score(self.metrics)
        self._publish_own_state()
        if self.running:
            self.evaluate()

    # -- timers -----------------------------------------------------------------------

    def _interval(self, name: str) -> float:
        p = self.params
        return p.heartbeat_interval if name == "heartbeat" else p.gossip_interval

    def _start_ticking(self, ticks: Mapping[str, Callable[[], None]]) -> None:
        """Run: evaluate once, then start each tick at a random phase of its interval.

        Random phases keep a cluster that starts at one instant from ticking in
        lock-step, as real processes never do; the first evaluation gives the
        member an opinion before its first tick.
        """
        if self.running:
            return
        self.running = True
        self.started_at = self.clock.now()
        self.evaluate()
        for name, action in ticks.items():
            self._every(name, action, self.rng.random())

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

    # -- liveness ---------------------------------------------------------------------

    def _set_alive(self, alive: np.ndarray, now: float) -> None:
        """Adopt a new liveness mask and tell the listener whom it now suspects or trusts."""
        previous = self.alive_mask
        self.alive_mask = alive
        self._report_flips(previous, alive, now)

    def _report_flips(self, previous: BoolArray, alive: BoolArray, now: float) -> None:
        """Tell the listener whose liveness differs between ``previous`` and ``alive``."""
        if previous.shape[0] < alive.shape[0]:
            previous = pad(previous, alive.shape[0])
        flipped = previous != alive
        if np.count_nonzero(flipped):
            suspected = (flipped & previous).nonzero()[0]
            restored = (flipped & alive).nonzero()[0]
            self.listener.suspicions_changed(self, suspected, restored, now)

    # -- read-only helpers for observers ----------------------------------------------

    def alive_peers(self) -> list[str]:
        """Ids this node believed alive at its last evaluation (itself included)."""
        return [self.ids.ids[i] for i in np.flatnonzero(self.alive_mask)]

    def phi_of(self, peer: str) -> float:
        """This node's current phi for ``peer`` (0.0 if it never heard of it)."""
        j = self.ids.index.get(peer)
        if j is None or j >= self.detector.capacity:
            return 0.0
        return float(self.detector.phi(self.clock.now(), np.array([j]))[0]) + 0.0

    def phis(self, peers: IntArray) -> FloatArray:
        """This node's current phi of each of ``peers`` (indices it holds), for a peer table."""
        phi: FloatArray = self.detector.phi(self.clock.now(), peers)
        return phi

    def id_of(self, index: int) -> str | None:
        """The id behind an index, or None for ``NO_NODE``."""
        return self.ids.ids[index] if index >= 0 else None


def pad(mask: BoolArray, n: int) -> BoolArray:
    """``mask`` extended with False to length ``n`` (ids interned since it was made)."""
    return np.concatenate([mask, np.zeros(n - mask.shape[0], dtype=bool)])
