"""Akka's phi accrual failure detector for one peer, with the exact Akka semantics.

Port of ``akka.remote.PhiAccrualFailureDetector`` (Hayashibara et al. 2004) with
times in float seconds supplied by the caller, so the simulator's virtual clock
drives it. The interval window (``HeartbeatHistory``) and the time check are
shared with the Cassandra variant.
"""

from __future__ import annotations

import math
from collections import deque

from emergent_lab.detector.params import DetectorParams

# Coefficients of the logistic approximation of the normal CDF used by Akka:
# CDF(y) ~= 1 / (1 + exp(-y * (A + B * y**2))), error 0.00014 at +-3.16.
LOGISTIC_A = 1.5976
LOGISTIC_B = 0.070566


def check_heartbeat_time(now: float, last: float | None) -> None:
    """Reject a heartbeat time that would corrupt the interval statistics.

    A negative interval (time going backwards) or a non-finite time would be
    recorded as a sample and poison the mean for the rest of the run.

    Raises:
        ValueError: if ``now`` is not finite or earlier than ``last``.
    """
    if not math.isfinite(now):
        raise ValueError(f"heartbeat time: must be a finite number of seconds (got {now!r})")
    if last is not None and now < last:
        raise ValueError(
            f"heartbeat time: must be >= the previous heartbeat {last!r} (got {now!r})"
        )


def akka_phi(time_diff: float, mean: float, std_deviation: float) -> float:
    """Phi after ``time_diff`` seconds of silence, for intervals ~ N(mean, std²).

    This is Akka's ``phi(timeDiff, mean, stdDeviation)``, i.e. -log10(1 - CDF),
    computed in whichever of two algebraically equal forms keeps precision.
    Where Java quietly yields inf or -0.0, Python raises, so both ends are
    handled: a very early time gives 0.0 and a very long silence gives +inf.
    """
    y = (time_diff - mean) / std_deviation
    try:
        e = math.exp(-y * (LOGISTIC_A + LOGISTIC_B * y * y))
    except OverflowError:  # y hugely negative: the heartbeat is far from due
        return 0.0
    if time_diff > mean:
        p = e / (1.0 + e)
    else:
        p = 1.0 - 1.0 / (1.0 + e)
    # p underflows to 0 after a long silence; max() also turns -0.0 into 0.0.
    return max(0.0, -math.log10(p)) if p > 0.0 else math.inf


def suspect_y(threshold: float) -> float:
    """The standardised delay y* at which phi reaches ``threshold``.

    Both branches of ``akka_phi`` equal -log10(e / (1 + e)), which increases
    strictly with y, so phi < threshold iff y < y*, where y* solves
    ``B y³ + A y = c`` with ``c = -ln(p / (1 - p))`` and ``p = 10**-threshold``.
    This lets a bank of detectors test availability with one comparison per
    peer instead of evaluating exp/log. For thresholds above ~300 the float phi
    saturates to inf slightly before y*; such thresholds have no practical use.
    """
    x = threshold * math.log(10.0)
    c = x + math.log(-math.expm1(-x))  # = -ln(p / (1 - p)), stable for tiny and huge thresholds
    # y(c) is odd, so solve for |c| with Cardano's formula (no cancellation for c >= 0) ...
    q = abs(c) / (2.0 * LOGISTIC_B)
    r = LOGISTIC_A / (3.0 * LOGISTIC_B)
    u = (q + math.sqrt(q * q + r**3)) ** (1.0 / 3.0)
    y = math.copysign(u - r / u, c)
    # ... then polish with Newton steps, since u - r/u loses digits when c is small.
    for _ in range(3):
        if not math.isfinite(y):
            break
        y -= (LOGISTIC_B * y**3 + LOGISTIC_A * y - c) / (3.0 * LOGISTIC_B * y * y + LOGISTIC_A)
    return y


def akka_bootstrap(first_heartbeat_estimate: float) -> tuple[float, float]:
    """The two intervals Akka seeds a new peer's history with.

    mean ± mean/4 gives the expected mean and a deliberately wide standard
    deviation, so a peer heard only once still becomes unavailable eventually.
    """
    spread = first_heartbeat_estimate / 4.0
    return (first_heartbeat_estimate - spread, first_heartbeat_estimate + spread)


class HeartbeatHistory:
    """Bounded window of inter-arrival intervals with running sums.

    Running sums make mean and variance O(1) per heartbeat, as in Akka; the
    order of float operations is fixed (drop oldest, then add) so the
    vectorised ``DetectorBank`` reproduces these numbers bit for bit.
    """

    def __init__(self, max_sample_size: int) -> None:
        self._max_sample_size = max_sample_size
        self._intervals: deque[float] = deque()
        self._total = 0.0
        self._total_sq = 0.0

    def append(self, interval: float) -> None:
        """Record ``interval``, dropping the oldest one when the window is full."""
        if len(self._intervals) == self._max_sample_size:
            dropped = self._intervals.popleft()
            self._total -= dropped
            self._total_sq -= dropped * dropped
        self._intervals.append(interval)
        self._total += interval
        self._total_sq += interval * interval

    @property
    def count(self) -> int:
        """Number of intervals in the window."""
        return len(self._intervals)

    @property
    def intervals(self) -> tuple[float, ...]:
        """The window, oldest first."""
        return tuple(self._intervals)

    @property
    def mean(self) -> float:
        """Mean interval; only meaningful when ``count > 0``."""
        return self._total / len(self._intervals)

    @property
    def variance(self) -> float:
        """Population variance from the running sums (may be a hair below 0)."""
        mean = self.mean
        return self._total_sq / len(self._intervals) - mean * mean

    @property
    def std_deviation(self) -> float:
        """Population standard deviation; rounding that makes variance < 0 gives 0."""
        return math.sqrt(max(self.variance, 0.0))


class WindowedDetector:
    """What both phi detectors share: validated settings, an interval window, the last beat."""

    def __init__(self, params: DetectorParams) -> None:
        self._params = params
        self._history = HeartbeatHistory(params.max_sample_size)
        self._last: float | None = None

    @property
    def params(self) -> DetectorParams:
        """The validated settings of this detector."""
        return self._params

    @property
    def last_heartbeat(self) -> float | None:
        """Time of the latest heartbeat, None before the first."""
        return self._last

    @property
    def sample_count(self) -> int:
        """Number of intervals in the window (the bootstrap ones included)."""
        return self._history.count

    @property
    def mean(self) -> float | None:
        """Mean interval used by phi, None before the first heartbeat."""
        return self._history.mean if self._history.count else None


class PhiAccrualDetector(WindowedDetector):
    """Akka's phi accrual failure detector for a single peer.

    An interval is recorded only if the peer was still available just before
    the heartbeat arrived: the first heartbeat after a failure must not teach
    the detector that long silences are normal.
    """

    def __init__(
        self,
        threshold: float = 8.0,
        max_sample_size: int = 1000,
        min_std_deviation: float = 0.1,
        acceptable_heartbeat_pause: float = 0.0,
        first_heartbeat_estimate: float = 1.0,
    ) -> None:
        super().__init__(
            DetectorParams(
                kind="akka",
                threshold=threshold,
                max_sample_size=max_sample_size,
                min_std_deviation=min_std_deviation,
                acceptable_heartbeat_pause=acceptable_heartbeat_pause,
                first_heartbeat_estimate=first_heartbeat_estimate,
            )
        )

    @property
    def std_deviation(self) -> float | None:
        """Standard deviation used by phi (floored), None before the first heartbeat."""
        return self._floored_std() if self._history.count else None

    def _floored_std(self) -> float:
        return max(self._history.std_deviation, self._params.min_std_deviation)

    def heartbeat(self, now: float) -> None:
        """Record a heartbeat arriving at ``now``.

        Raises:
            ValueError: if ``now`` is not finite or earlier than the last heartbeat.
        """
        check_heartbeat_time(now, self._last)
        if self._last is None:
            for interval in akka_bootstrap(self._params.resolved_first_heartbeat_estimate):
                self._history.append(interval)
        elif self.is_available(now):
            self._history.append(now - self._last)
        self._last = now

    def phi(self, now: float) -> float:
        """Suspicion level at ``now``; 0.0 for a peer never heard (treated as healthy)."""
        if self._last is None:
            return 0.0
        mean = self._history.mean + self._params.acceptable_heartbeat_pause
        return akka_phi(now - self._last, mean, self._floored_std())

    def is_available(self, now: float) -> bool:
        """Whether the peer counts as alive at ``now`` (phi below the threshold)."""
        return self.phi(now) < self._params.threshold
