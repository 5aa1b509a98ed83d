"""SWIM members alone on the simulated network: the detector measured by itself.

Why: Lifeguard's claim is about false positives (healthy members declared
dead) when some members are slow, and about detection time of real crashes.
Both are properties of the detector, so this harness runs only SWIM members
(no leader rule) on the same ``SimNetwork`` and scheduler as every cluster,
with one seeded generator, and records every declaration of death with
whether it was true.

A slow (CPU-starved) member is modelled as Lifeguard's paper does: it
handles each message it receives late, by an exponentially distributed delay
of the given mean, while its timers still fire on time, so its probes time
out although their acks are on the way, and its refutations of suspicions
about itself go out late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from emergent_lab.core.ids import IdTable, default_ids
from emergent_lab.detector.lifeguard import SwimParams
from emergent_lab.protocol.swim import SwimMember
from emergent_lab.protocol.swim_messages import KINDS, SwimMessage
from emergent_lab.sim.latency import ConstantLatency, LatencyModel
from emergent_lab.sim.network import SimNetwork
from emergent_lab.sim.scheduler import Scheduler


@dataclass
class Declarations:
    """Every "member X is dead" reached by a member, judged against the truth."""

    false: list[tuple[float, int, int]] = field(default_factory=list)
    """(time, observer, subject) where the subject was up."""
    detections: dict[int, dict[int, float]] = field(default_factory=dict)
    """Crashed member -> {observer: seconds from the crash to its declaration}."""


class SwimCluster:
    """``n`` SWIM members on a simulated network, with crashes and slow members.

    Args:
        n: how many members (``n0`` …).
        seed: the seed of the run's single generator.
        params: SWIM/Lifeguard settings (memberlist's LAN defaults by default).
        latency: the network's one-way delay model.
        loss: probability that a message is lost.
        slow: member index -> mean extra delay, in seconds, before it handles a message.
    """

    def __init__(
        self,
        n: int,
        *,
        seed: int = 0,
        params: SwimParams | None = None,
        latency: LatencyModel | None = None,
        loss: float = 0.0,
        slow: Mapping[int, float] | None = None,
    ) -> None:
        self.scheduler = Scheduler()
        self.rng = np.random.default_rng(seed)
        self.ids = IdTable(list(default_ids(n)))
        self.network = SimNetwork(
            self.scheduler,
            self.rng,
            self.ids,
            latency=latency or ConstantLatency(),
            loss=loss,
            kinds=KINDS,
        )
        self.params = params or SwimParams()
        self.slow = dict(slow or {})
        self.up = np.ones(n, dtype=bool)
        self.crashed_at: dict[int, float] = {}
        self.declarations = Declarations()
        everyone = np.arange(n, dtype=np.int64)
        self.members = [
            SwimMember(
                i,
                params=self.params,
                clock=self.scheduler,
                transport=self.network,
                rng=self.rng,
                members=partial(_all, everyone),
                on_change=partial(self._changed, i),
            )
            for i in range(n)
        ]
        for i, member in enumerate(self.members):
            self.network.attach(i, partial(self._deliver, i))
            member.start()

    def _deliver(self, index: int, message: SwimMessage) -> None:
        delay = self.slow.get(index)
        member = self.members[index]
        if delay:
            late = float(self.rng.exponential(delay))
            self.scheduler.schedule(late, partial(member.receive, message))
        else:
            member.receive(message)

    def _changed(self, observer: int, subject: int, dead: bool) -> None:
        if not dead or not self.up[observer]:
            return
        now = self.scheduler.now()
        if self.up[subject]:
            self.declarations.false.append((now, observer, subject))
        elif subject in self.crashed_at:
            seen = self.declarations.detections.setdefault(subject, {})
            seen.setdefault(observer, now - self.crashed_at[subject])

    def crash(self, index: int) -> None:
        """Stop a member at once; its messages in flight are lost."""
        self.members[index].stop()
        self.network.detach(index)
        self.up[index] = False
        self.crashed_at[index] = self.scheduler.now()

    def run(self, until: float) -> None:
        """Advance virtual time to ``until`` seconds."""
        self.scheduler.run(until=until)

    def false_positives_per_node_hour(self, *, healthy_only: bool = False) -> float:
        """False declarations per observing member per hour of virtual time so far.

        ``healthy_only`` counts only declarations about members that are not slow.
        """
        false = self.declarations.false
        if healthy_only:
            false = [f for f in false if f[2] not in self.slow]
        hours = self.scheduler.now() / 3600.0
        return len(false) / (len(self.members) * hours) if hours > 0 else 0.0


def _all(everyone: np.ndarray) -> np.ndarray:
    return everyone
