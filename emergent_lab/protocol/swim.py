"""A SWIM member with HashiCorp's Lifeguard extensions, on any clock and transport.

Why: most gossip systems in production (Consul, Nomad, Serf) detect failures
with SWIM (Das, Gupta & Motivala 2002) as memberlist implements it, with
Lifeguard (Dadgar et al. 2018) added to stop slow members from causing false
positives. This member runs that detector on the simulated network so it can
be compared with phi accrual on the same faults, and used by the emergent
protocol instead of phi (``SwimNode``).

One protocol period, as memberlist's ``probeNode``: ping the next member of
a shuffled round-robin list; with no ack within ``probe_timeout`` ask
``indirect_checks`` random members to ping it (ping-req); with no ack by the
end of the (awareness-scaled) probe interval, suspect it. A suspicion is
piggybacked on later messages; the suspect refutes it with a higher
incarnation, or, when its timer ends, is declared dead. Membership updates
travel only piggybacked (up to ``MAX_PIGGYBACK`` per message, each sent at
most ``retransmit_limit`` times, fewest-sent first).

Lifeguard (``SwimParams.lifeguard``), with the formulas of ``detector.lifeguard``:

* local health (awareness): a failed probe raises the score by the nacks
  that did not come (or by 1 without nack helpers), a successful one lowers
  it, a refutation raises it; the probe interval is scaled by ``score + 1``;
* nacks: a relay that gets no ack from the target within 80 % of the probe
  timeout answers the requester with a nack, proof that the requester's own
  network works;
* dynamic suspicion: a suspicion starts at ``max`` and shrinks towards
  ``min`` as independent members confirm it.

Without Lifeguard the suspicion timeout is the fixed ``min`` and the probe
interval is never scaled. Not modelled: TCP fallback pings, push-pull state
sync, and the gossip-to-the-dead; the membership list is given by the owner
(``members``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from emergent_lab.detector.lifeguard import (
    Awareness,
    SwimParams,
    remaining_suspicion_time,
    retransmit_limit,
    suspicion_bounds,
)
from emergent_lab.protocol.swim_messages import (
    ALIVE,
    DEAD,
    SUSPECT,
    Ack,
    Nack,
    Ping,
    PingReq,
    SwimMessage,
    Update,
)
from emergent_lab.protocol.transport import Cancellable, Clock, Transport

UNKNOWN = 0
MAX_PIGGYBACK = 6
"""Updates carried per message (memberlist fills a UDP packet; six fit a small one)."""
NACK_FRACTION = 0.8
"""A relay nacks after this share of the probe timeout (memberlist's ``handleIndirectPing``)."""


@dataclass
class _Probe:
    target: int
    acked: bool = False
    nacks: int = 0
    expected_nacks: int = 0


@dataclass
class _Suspicion:
    k: int
    low: float
    high: float
    start: float
    incarnation: int
    confirmations: set[int] = field(default_factory=set)
    timer: Cancellable | None = None


class SwimMember:
    """One member's SWIM + Lifeguard failure detector.

    Args:
        index: this member's index in the id table.
        params: SWIM/Lifeguard settings.
        clock: time and timers.
        transport: where messages go (``send(src, dst, message)``).
        rng: draws the probe order and the indirect helpers.
        members: returns the indices this member should watch (itself may be among them).
        incarnation: the starting incarnation (a restart must start higher).
        defer: holds a callback while the owner is stalled; True if held.
        on_change: called with a member's index and whether it is now dead,
            when it is declared dead or comes back.
    """

    def __init__(
        self,
        index: int,
        *,
        params: SwimParams,
        clock: Clock,
        transport: Transport,
        rng: np.random.Generator,
        members: Callable[[], np.ndarray],
        incarnation: int = 0,
        defer: Callable[[Callable[[], None]], bool] | None = None,
        on_change: Callable[[int, bool], None] | None = None,
    ) -> None:
        self.index = index
        self.params = params
        self.clock = clock
        self.transport = transport
        self.rng = rng
        self.members = members
        self.incarnation = incarnation
        self._defer = defer if defer is not None else _never
        self._on_change = on_change if on_change is not None else _nothing
        self.awareness = Awareness(params.awareness_max_multiplier)
        self.status = np.zeros(0, dtype=np.int8)
        self.incarnations = np.zeros(0, dtype=np.int64)
        self.suspicions: dict[int, _Suspicion] = {}
        self._queue: dict[int, tuple[int, Update]] = {}
        """Per member, the newest update about it and how often it was sent."""
        self._order: list[int] = []
        self._probes: dict[int, _Probe] = {}
        self._relays: dict[int, tuple[int, int]] = {}
        """Our ping seq -> (requester, requester's seq), for ping-reqs we relay."""
        self._seq = 0
        self._learned = 0
        """How many members ``members()`` gave when last looked at."""
        self.running = False
        self._timer: Cancellable | None = None

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Announce this member alive and begin probing at a random phase."""
        self.running = True
        self._ensure(self.index + 1)
        self.status[self.index] = ALIVE
        self._enqueue(Update(ALIVE, self.index, self.incarnation, self.index))
        phase = float(self.rng.random()) * self.params.probe_interval
        self._timer = self.clock.call_later(phase, self._tick)

    def stop(self) -> None:
        """Stop probing (a crash): timers lapse, messages are ignored."""
        self.running = False
        if self._timer is not None:
            self._timer.cancel()
        for suspicion in self.suspicions.values():
            if suspicion.timer is not None:
                suspicion.timer.cancel()

    def available(self) -> np.ndarray:
        """Per member, whether it counts as up: alive or only suspected (SWIM's rule)."""
        alive: np.ndarray = (self.status == ALIVE) | (self.status == SUSPECT)
        return alive

    # -- bookkeeping -------------------------------------------------------------------

    def _ensure(self, n: int) -> None:
        if n > self.status.shape[0]:
            extra = n - self.status.shape[0]
            self.status = np.concatenate([self.status, np.zeros(extra, dtype=np.int8)])
            self.incarnations = np.concatenate([self.incarnations, np.zeros(extra, np.int64)])

    def watch(self) -> np.ndarray:
        """Take in the owner's members; ones never heard of count as alive at incarnation 0.

        Returns the members to watch (all but this one).
        """
        members = self.members()
        if members.size and members.size != self._learned:
            self._learned = members.size
            self._ensure(int(members.max()) + 1)
            new = members[self.status[members] == UNKNOWN]
            self.status[new] = ALIVE
        watched: np.ndarray = members[members != self.index]
        return watched

    def _size(self) -> int:
        return int(np.count_nonzero(self.available()))

    def _call(self, delay: float, action: Callable[[], None]) -> Cancellable:
        return self.clock.call_later(delay, partial(self._fire, action))

    def _fire(self, action: Callable[[], None]) -> None:
        if self.running and not self._defer(partial(self._fire, action)):
            action()

    # -- probing ----------------------------------------------------------------------

    def _interval(self) -> float:
        interval = self.params.probe_interval
        return self.awareness.scale(interval) if self.params.lifeguard else interval

    def _tick(self) -> None:
        if not self.running or self._defer(self._tick):
            return
        interval = self._interval()
        target = self._next_target()
        if target is not None:
            self._seq += 1
            seq = self._seq
            self._probes[seq] = _Probe(target)
            extra: tuple[Update, ...] = ()
            if self.status[target] == SUSPECT:  # a chance to refute at once
                extra = (Update(SUSPECT, target, int(self.incarnations[target]), self.index),)
            self._send(target, Ping(self.index, seq, extra + self._piggyback()))
            self._call(self.params.probe_timeout, partial(self._probe_timeout, seq, interval))
        self._timer = self.clock.call_later(interval, self._tick)

    def _next_target(self) -> int | None:
        while True:
            if not self._order:
                candidates = self.watch()
                candidates = candidates[self.available()[candidates]]
                if not candidates.size:
                    return None
                self._order = self.rng.permutation(candidates).tolist()
            target = self._order.pop()
            if self.available()[target]:
                return int(target)

    def _probe_timeout(self, seq: int, interval: float) -> None:
        probe = self._probes.get(seq)
        if probe is None or probe.acked:
            self._probes.pop(seq, None)
            return
        up = self.watch()
        up = up[self.available()[up] & (up != probe.target)]
        helpers = (
            up
            if up.size <= self.params.indirect_checks
            else self.rng.choice(up, size=self.params.indirect_checks, replace=False)
        )
        lifeguard = self.params.lifeguard
        for helper in helpers.tolist():
            request = PingReq(self.index, seq, self._piggyback(), probe.target, lifeguard)
            self._send(int(helper), request)
        probe.expected_nacks = len(helpers) if lifeguard else 0
        self._call(interval - self.params.probe_timeout, partial(self._probe_deadline, seq))

    def _probe_deadline(self, seq: int) -> None:
        probe = self._probes.pop(seq)
        if probe.acked:
            return
        if self.params.lifeguard:
            missing = probe.expected_nacks - probe.nacks
            self.awareness.apply_delta(missing if probe.expected_nacks else 1)
        self._suspect(probe.target, int(self.incarnations[probe.target]), self.index)

    # -- messages -----------------------------------------------------------------------

    def _send(self, dst: int, message: SwimMessage) -> None:
        # Transport.send is typed for the gossip messages; SimNetwork needs only
        # .kind and .wire_bytes, which these have too.
        self.transport.send(self.index, dst, message)  # type: ignore[arg-type]

    def receive(self, message: SwimMessage) -> None:
        """Apply the piggybacked updates, then handle the message itself."""
        if not self.running:
            return
        if self._defer(partial(self.receive, message)):
            return
        self.watch()
        for update in message.updates:
            self._apply(update)
        if isinstance(message, Ping):
            self._send(message.sender, Ack(self.index, message.seq, self._piggyback()))
        elif isinstance(message, PingReq):
            self._relay(message)
        elif isinstance(message, Ack):
            self._acked(message.seq)
        elif isinstance(message, Nack):
            probe = self._probes.get(message.seq)
            if probe is not None:
                probe.nacks += 1

    def _relay(self, request: PingReq) -> None:
        self._seq += 1
        self._relays[self._seq] = (request.sender, request.seq)
        self._send(request.target, Ping(self.index, self._seq, self._piggyback()))
        if request.nack:
            wait = NACK_FRACTION * self.params.probe_timeout
            self._call(wait, partial(self._nack_if_silent, self._seq))
        else:
            self._call(self.params.probe_interval, partial(self._forget_relay, self._seq))

    def _forget_relay(self, seq: int) -> None:
        self._relays.pop(seq, None)

    def _nack_if_silent(self, seq: int) -> None:
        relay = self._relays.pop(seq, None)
        if relay is not None:
            self._send(relay[0], Nack(self.index, relay[1]))

    def _acked(self, seq: int) -> None:
        relay = self._relays.pop(seq, None)
        if relay is not None:
            self._send(relay[0], Ack(self.index, relay[1], self._piggyback()))
            return
        probe = self._probes.get(seq)
        if probe is not None and not probe.acked:
            probe.acked = True
            if self.params.lifeguard:
                self.awareness.apply_delta(-1)

    # -- membership updates ----------------------------------------------------------------

    def _enqueue(self, update: Update) -> None:
        self._queue[update.member] = (0, update)

    def _piggyback(self) -> tuple[Update, ...]:
        if not self._queue:
            return ()
        limit = retransmit_limit(self.params.retransmit_mult, max(self._size(), 1))
        chosen = sorted(self._queue.items(), key=lambda item: (item[1][0], item[0]))
        out = []
        for member, (sent, update) in chosen[:MAX_PIGGYBACK]:
            out.append(update)
            if sent + 1 >= limit:
                del self._queue[member]
            else:
                self._queue[member] = (sent + 1, update)
        return tuple(out)

    def _apply(self, update: Update) -> None:
        member, incarnation = update.member, update.incarnation
        self._ensure(member + 1)
        if member == self.index:
            if update.state != ALIVE and incarnation >= self.incarnation:
                self._refute(incarnation)
            return
        known, status = int(self.incarnations[member]), int(self.status[member])
        if update.state == ALIVE:
            if status == UNKNOWN or incarnation > known:
                self._set(member, ALIVE, incarnation)
                self._enqueue(update)
        elif update.state == SUSPECT:
            self._suspect(member, incarnation, update.origin)
        elif status != DEAD and incarnation >= known:
            self._set(member, DEAD, incarnation)
            self._enqueue(update)

    def _refute(self, accused: int) -> None:
        """Told it is suspected or dead: a higher incarnation says it is alive."""
        self.incarnation = accused + 1
        if self.params.lifeguard:
            self.awareness.apply_delta(1)
        self._enqueue(Update(ALIVE, self.index, self.incarnation, self.index))

    def _set(self, member: int, status: int, incarnation: int) -> None:
        was = int(self.status[member])
        self.status[member] = status
        self.incarnations[member] = incarnation
        if status != SUSPECT:
            suspicion = self.suspicions.pop(member, None)
            if suspicion is not None and suspicion.timer is not None:
                suspicion.timer.cancel()
        if (was == DEAD) != (status == DEAD):
            self._on_change(member, status == DEAD)

    def _suspect(self, member: int, incarnation: int, origin: int) -> None:
        """Start or confirm a suspicion of ``member`` (memberlist's ``suspectNode``)."""
        status, known = int(self.status[member]), int(self.incarnations[member])
        if status in (UNKNOWN, DEAD) or incarnation < known:
            return
        suspicion = self.suspicions.get(member)
        if status == SUSPECT and suspicion is not None:
            if self.params.lifeguard and origin not in suspicion.confirmations:
                if len(suspicion.confirmations) - 1 < suspicion.k:
                    suspicion.confirmations.add(origin)
                    self._rearm(member, suspicion)
            return
        self._set(member, SUSPECT, incarnation)
        k, low, high = suspicion_bounds(self.params, self._size())
        if not self.params.lifeguard:
            k, high = 0, low
        suspicion = _Suspicion(k, low, high, self.clock.now(), incarnation, {origin})
        self.suspicions[member] = suspicion
        self._rearm(member, suspicion)
        self._enqueue(Update(SUSPECT, member, incarnation, origin))

    def _rearm(self, member: int, suspicion: _Suspicion) -> None:
        if suspicion.timer is not None:
            suspicion.timer.cancel()
        confirmed = len(suspicion.confirmations) - 1
        elapsed = self.clock.now() - suspicion.start
        left = remaining_suspicion_time(
            confirmed, suspicion.k, elapsed, suspicion.low, suspicion.high
        )
        suspicion.timer = self._call(max(left, 0.0), partial(self._suspicion_over, member))

    def _suspicion_over(self, member: int) -> None:
        suspicion = self.suspicions.get(member)
        if suspicion is None or int(self.status[member]) != SUSPECT:
            return
        self._set(member, DEAD, suspicion.incarnation)
        self._enqueue(Update(DEAD, member, suspicion.incarnation, self.index))


def _never(callback: Callable[[], None]) -> bool:
    return False


def _nothing(member: int, dead: bool) -> None:
    return None
