"""SWIM's settings and Lifeguard's formulas, as HashiCorp's memberlist computes them.

Why a separate module: these few formulas decide how fast SWIM declares a
member dead and how much a slow member is trusted, and they are what the
tests check against memberlist's own source, so they are written once, as
pure functions, and used by the simulated SWIM member (``detector.swim``),
the trace replay of the tuning advisor and the tests.

Source: github.com/hashicorp/memberlist, commit 1b4c746c (2026-07-24):

* ``config.go`` ``DefaultLANConfig``: ``ProbeInterval`` 1 s,
  ``ProbeTimeout`` 500 ms, ``IndirectChecks`` 3, ``SuspicionMult`` 4,
  ``SuspicionMaxTimeoutMult`` 6, ``AwarenessMaxMultiplier`` 8,
  ``RetransmitMult`` 4.
* ``util.go`` ``suspicionTimeout``:
  ``nodeScale = max(1, log10(max(1, n)))``;
  ``timeout = SuspicionMult * Duration(nodeScale*1000) * interval / 1000``
  (the float is truncated to whole thousandths first).
* ``state.go`` ``suspectNode``: ``k = SuspicionMult - 2``, or 0 when
  ``n - 2 < k``; ``min = suspicionTimeout(SuspicionMult, n, ProbeInterval)``;
  ``max = SuspicionMaxTimeoutMult * min``.
* ``suspicion.go`` ``remainingSuspicionTime``:
  ``frac = log(c + 1) / log(k + 1)``; ``raw = max - frac * (max - min)``;
  ``timeout = floor(1000 * raw)`` ms, at least ``min``; minus the time
  elapsed since the suspicion began. With ``k < 1`` the timer is ``min``.
* ``awareness.go``: the health score stays in ``[0, max - 1]``;
  ``ScaleTimeout(t) = t * (score + 1)``. ``state.go`` ``probeNode`` scales
  the probe interval (and so the wait for indirect acks) by it, not the
  direct ``ProbeTimeout``; a successful probe applies -1, a failed one
  ``expectedNacks - nacksReceived`` (or +1 when no nacks are expected), and
  ``refute`` (a member told it is suspected) applies +1.
* ``util.go`` ``retransmitLimit``: ``RetransmitMult * ceil(log10(n + 1))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class SwimParams:
    """SWIM and Lifeguard settings, memberlist's ``DefaultLANConfig`` by default.

    Attributes:
        probe_interval: seconds between probes of one member (scaled by awareness).
        probe_timeout: seconds to wait for a direct ack before indirect probes.
        indirect_checks: k, members asked to probe on our behalf.
        suspicion_mult: the suspicion timeout in probe intervals, before scaling by n.
        suspicion_max_timeout_mult: the unconfirmed suspicion timeout, in minimum timeouts.
        awareness_max_multiplier: the largest factor local health may scale timeouts by.
        retransmit_mult: how many times an update is piggybacked, per log10(n + 1).
        lifeguard: Lifeguard on (awareness, nacks, confirmations shrinking the
            suspicion timeout from max to min) or off (plain SWIM with suspicion:
            a fixed ``min`` suspicion timeout and no local health).
    """

    probe_interval: float = 1.0
    probe_timeout: float = 0.5
    indirect_checks: int = 3
    suspicion_mult: int = 4
    suspicion_max_timeout_mult: int = 6
    awareness_max_multiplier: int = 8
    retransmit_mult: int = 4
    lifeguard: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "lifeguard":
                if not isinstance(value, bool):
                    raise ValueError(f"detector.lifeguard: must be true or false (got {value!r})")
            elif f.type == "int":
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError(f"detector.{f.name}: must be an integer >= 1 (got {value!r})")
            elif (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ValueError(f"detector.{f.name}: must be a finite number > 0 (got {value!r})")
        if self.probe_timeout > self.probe_interval:
            raise ValueError(
                f"detector.probe_timeout: must be <= probe_interval "
                f"({self.probe_interval:g}) (got {self.probe_timeout!r})"
            )


def suspicion_timeout(suspicion_mult: int, n: int, interval: float) -> float:
    """The minimum suspicion timeout in seconds (memberlist's ``suspicionTimeout``)."""
    node_scale = max(1.0, math.log10(max(1.0, float(n))))
    return suspicion_mult * math.trunc(node_scale * 1000) * interval / 1000


def suspicion_bounds(params: SwimParams, n: int) -> tuple[int, float, float]:
    """``(k, min, max)`` of a new suspicion in a cluster of ``n`` members (``suspectNode``)."""
    k = params.suspicion_mult - 2
    if n - 2 < k:
        k = 0
    low = suspicion_timeout(params.suspicion_mult, n, params.probe_interval)
    return k, low, params.suspicion_max_timeout_mult * low


def remaining_suspicion_time(
    confirmations: int, k: int, elapsed: float, low: float, high: float
) -> float:
    """Seconds left before the suspect is dead (memberlist's ``remainingSuspicionTime``).

    May be negative (the timer is then due at once).
    """
    if k < 1:
        return low - elapsed
    frac = math.log(confirmations + 1.0) / math.log(k + 1.0)
    raw = high - frac * (high - low)
    timeout = max(math.floor(1000.0 * raw) / 1000.0, low)
    return timeout - elapsed


def retransmit_limit(retransmit_mult: int, n: int) -> int:
    """How many times one update is piggybacked (memberlist's ``retransmitLimit``)."""
    return retransmit_mult * math.ceil(math.log10(n + 1))


class Awareness:
    """Lifeguard's local health score (memberlist's ``awareness``); 0 is healthy.

    Args:
        max_multiplier: ``AwarenessMaxMultiplier``; the score stays below it.
    """

    def __init__(self, max_multiplier: int) -> None:
        self.max = max_multiplier
        self.score = 0

    def apply_delta(self, delta: int) -> None:
        """Add ``delta``, keeping the score in ``[0, max - 1]`` (``ApplyDelta``)."""
        self.score = min(max(self.score + delta, 0), self.max - 1)

    def scale(self, timeout: float) -> float:
        """``ScaleTimeout``: ``timeout * (score + 1)``."""
        return timeout * (self.score + 1)
