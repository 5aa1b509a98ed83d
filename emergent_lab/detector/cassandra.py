"""Cassandra's exponential phi failure detector for one peer.

Port of ``FailureDetector.ArrivalWindow`` (CASSANDRA-2597): inter-arrival times
are modelled as exponential, so phi is simply the silence divided by the mean
interval, scaled by Cassandra's ``PHI_FACTOR = 1 / ln 10`` to the same log10
scale as Akka's phi and compared with the threshold directly.
"""

from __future__ import annotations

import math

from emergent_lab.detector.akka import WindowedDetector, check_heartbeat_time
from emergent_lab.detector.params import DetectorParams

PHI_FACTOR = 1.0 / math.log(10.0)


def exponential_phi(time_diff: float, mean: float) -> float:
    """Phi after ``time_diff`` seconds of silence for exponential intervals of ``mean``.

    A window of zero-length intervals (heartbeats arriving at the same instant)
    has mean 0, where Cassandra would divide by zero; any later silence is then
    infinitely suspicious and no silence at all is not.
    """
    if mean > 0.0:
        return PHI_FACTOR * (time_diff / mean)
    return math.inf if time_diff > 0.0 else 0.0


class ExponentialPhiDetector(WindowedDetector):
    """Cassandra's exponential-distribution failure detector for a single peer.

    Unlike Akka's detector, recording does not depend on availability: every
    interval up to ``max_interval`` is kept, longer ones (partitions, pauses)
    are dropped so they cannot teach the detector to tolerate outages.
    """

    def __init__(
        self,
        threshold: float = 8.0,
        max_sample_size: int = 1000,
        first_heartbeat_estimate: float = 2.0,
        max_interval: float = 2.0,
    ) -> None:
        super().__init__(
            DetectorParams(
                kind="cassandra",
                threshold=threshold,
                max_sample_size=max_sample_size,
                first_heartbeat_estimate=first_heartbeat_estimate,
                max_interval=max_interval,
            )
        )

    @property
    def std_deviation(self) -> float | None:
        """Standard deviation of the window (informative only: phi ignores it)."""
        return self._history.std_deviation if self._history.count else None

    def heartbeat(self, now: float) -> None:
        """Record a heartbeat arriving at ``now``.

        Raises:
            ValueError: if ``now`` is not finite or earlier than the last heartbeat.
        """
        check_heartbeat_time(now, self._last)
        if self._last is None:
            self._history.append(self._params.resolved_first_heartbeat_estimate)
        elif now - self._last <= self._params.max_interval:
            self._history.append(now - self._last)
        self._last = now

    def phi(self, now: float) -> float:
        """Suspicion level at ``now``; 0.0 for a peer never heard (treated as healthy)."""
        if self._last is None:
            return 0.0
        return exponential_phi(now - self._last, self._history.mean)

    def is_available(self, now: float) -> bool:
        """Whether the peer counts as alive at ``now``: Cassandra convicts when phi > threshold."""
        return not self.phi(now) > self._params.threshold
