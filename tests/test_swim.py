"""SWIM with Lifeguard on the simulated network: detection bound, suspicion timers, refutation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from emergent_lab.baselines.swim_cluster import SwimCluster
from emergent_lab.detector.lifeguard import SwimParams
from emergent_lab.protocol.swim import SwimMember
from emergent_lab.protocol.swim_messages import ALIVE, DEAD, SUSPECT, Ack, Ping, Update
from emergent_lab.sim.scheduler import Scheduler


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[int, Any]] = []

    def send(self, src: int, dst: int, message: Any) -> None:
        self.sent.append((dst, message))


def lone_member(lifeguard: bool = True) -> tuple[SwimMember, Scheduler, Recorder]:
    """Member 0 of ten (so LAN defaults give min 4 s, max 24 s, k = 2), not probing.

    Its probe timer is cancelled so that its own (unanswered) probes add no
    suspicions of their own: only the messages the test hands it count.
    """
    clock, transport = Scheduler(), Recorder()
    member = SwimMember(
        0,
        params=SwimParams(lifeguard=lifeguard),
        clock=clock,
        transport=transport,  # type: ignore[arg-type]
        rng=np.random.default_rng(0),
        members=lambda: np.arange(10, dtype=np.int64),
    )
    member.start()
    assert member._timer is not None
    member._timer.cancel()
    return member, clock, transport


def suspect_from(origin: int, member: int = 1) -> Ping:
    return Ping(origin, 1, (Update(SUSPECT, member, 0, origin),))


@pytest.mark.parametrize(
    ("lifeguard", "confirm_at", "dead_at"),
    [
        # plain SWIM: the fixed minimum, 4 * max(1, log10 10) * 1 s = 4 s.
        (False, None, 4.0),
        # Lifeguard, nobody confirms: the maximum, 6 * 4 s = 24 s.
        (True, None, 24.0),
        # Lifeguard, one independent confirmation at 1 s: 24 - ln2/ln3 * 20 = 11.381 s
        # after the suspicion began (worked in test_detector_lifeguard).
        (True, 1.0, 11.381),
    ],
)
def test_suspicion_timer_follows_lifeguard(
    lifeguard: bool, confirm_at: float | None, dead_at: float
) -> None:
    member, clock, _ = lone_member(lifeguard)
    member.receive(suspect_from(2))
    if confirm_at is not None:
        clock.run(until=confirm_at)
        member.receive(suspect_from(2))  # the same origin again counts for nothing
        member.receive(suspect_from(3))
    clock.run(until=dead_at - 0.01)
    assert member.status[1] == SUSPECT
    clock.run(until=dead_at + 0.01)
    assert member.status[1] == DEAD


def test_a_suspected_member_refutes_with_a_higher_incarnation_and_worse_health() -> None:
    member, _, transport = lone_member()
    member.receive(Ping(2, 7, (Update(SUSPECT, 0, 0, 2),)))
    assert member.incarnation == 1 and member.awareness.score == 1
    ack = transport.sent[-1][1]
    assert isinstance(ack, Ack) and Update(ALIVE, 0, 1, 0) in ack.updates


def test_an_alive_with_a_higher_incarnation_ends_a_suspicion() -> None:
    member, clock, _ = lone_member()
    member.receive(suspect_from(2))
    member.receive(Ping(1, 2, (Update(ALIVE, 1, 1, 1),)))
    clock.run(until=30.0)
    assert member.status[1] == ALIVE


N = 8
PROBE = SwimParams().probe_interval
BOUND_S = 2 * (N - 1) * PROBE + PROBE + 6 * 4.0 * PROBE
"""Every live member declares a crashed one dead within this many seconds.

Each member probes the others in a shuffled round-robin: the crashed member
comes up in some member's list within 2(n - 1) probe intervals (the rest of
the current round and the whole next); that probe fails within one more
interval; every member that hears the suspicion declares the crash at most
the unconfirmed maximum (6 x 4 s at n = 8) after hearing it."""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_swim_detects_a_crash_within_its_stated_bound(seed: int) -> None:
    cluster = SwimCluster(N, seed=seed)
    cluster.run(20)
    cluster.crash(3)
    cluster.run(20 + BOUND_S)
    seen = cluster.declarations.detections.get(3, {})
    assert sorted(seen) == [i for i in range(N) if i != 3]
    # Never sooner than the minimum suspicion (a suspicion must have lasted 4 s).
    assert all(4.0 <= t <= BOUND_S for t in seen.values())
    assert cluster.declarations.false == []
