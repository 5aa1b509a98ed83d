"""Phi-accrual liveness for view entries of the array engine, updated in place.

The exact engine keeps one ``DetectorBank`` per node; at a million nodes the
array engine cannot afford per-node objects, so here the detector state of
every entry of every view lives in flat arrays and is updated with the same
formulas: Akka's bootstrap intervals, the threshold turned into a
standardised delay by :func:`~emergent_lab.detector.akka.suspect_y`, and
Cassandra's ``PHI_FACTOR``. Because phi only grows with silence, an entry is
alive exactly while ``now < suspect_at`` (``<=`` for Cassandra), one
comparison per entry.

One approximation: the interval window keeps running sums only. Below
``max_sample_size`` intervals (1,000 by default, i.e. the first 1,000
heartbeats) the mean and deviation are exactly those of the scalar
detectors; beyond it, each new interval replaces one *mean* interval instead
of the oldest one, which keeps the statistics stable without a ring buffer
per entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from emergent_lab.detector.akka import akka_bootstrap, suspect_y
from emergent_lab.detector.cassandra import PHI_FACTOR
from emergent_lab.detector.params import DetectorParams

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class DetectorState:
    """Detector fields of some entries (any shape, all arrays alike)."""

    last: FloatArray
    """Time of the latest heartbeat arrival."""
    count: npt.NDArray[np.int32] | FloatArray
    """Intervals in the window (0: never heard); float where entries are packed in one table."""
    total: FloatArray
    total_sq: FloatArray
    suspect_at: FloatArray
    """When the entry stops being alive if nothing more is heard (+inf if never heard)."""


class EntryDetector:
    """The detector rules of one cluster, applied to arrays of entries.

    Args:
        params: the cluster's detector settings (Akka or Cassandra kind).
    """

    def __init__(self, params: DetectorParams) -> None:
        self.params = params
        self.akka = params.kind == "akka"
        estimate = params.resolved_first_heartbeat_estimate
        self.bootstrap = akka_bootstrap(estimate) if self.akka else (estimate,)
        self.y_star = suspect_y(params.threshold) if self.akka else math.nan

    def expected_silence(self, mean: float, std: float) -> float:
        """Silence after the last arrival at which phi reaches the threshold.

        For Akka that is ``mean + pause + y*·max(std, floor)``; for Cassandra
        ``threshold / PHI_FACTOR · mean``. This is the detection time a
        failover bound starts from.
        """
        p = self.params
        if self.akka:
            return mean + p.acceptable_heartbeat_pause + self.y_star * max(std, p.min_std_deviation)
        return p.threshold / PHI_FACTOR * mean

    def alive(self, suspect_at: FloatArray, now: float) -> BoolArray:
        """Akka: alive while phi < threshold; Cassandra convicts only when phi > threshold."""
        result: BoolArray = now < suspect_at if self.akka else now <= suspect_at
        return result

    def started(self, last: FloatArray) -> DetectorState:
        """Fresh detectors whose first heartbeat arrived at ``last`` (bootstrap window)."""
        count = np.full(last.shape, len(self.bootstrap), dtype=np.int32)
        total = np.full(last.shape, float(sum(self.bootstrap)))
        total_sq = np.full(last.shape, float(sum(x * x for x in self.bootstrap)))
        state = DetectorState(last.copy(), count, total, total_sq, np.empty(last.shape))
        self._refresh(state)
        return state

    def arrived(self, state: DetectorState, now: float) -> DetectorState:
        """The same detectors after a heartbeat arrival at ``now``.

        As in Akka, the interval is recorded only if the entry was still alive
        just before the arrival; Cassandra instead drops intervals longer than
        ``max_interval``. Either way an outage does not teach the detector to
        tolerate outages.
        """
        interval = now - state.last
        if self.akka:
            record = now < state.suspect_at
        else:
            record = interval <= self.params.max_interval
        count = state.count.astype(np.float64)
        full = count >= self.params.max_sample_size
        with np.errstate(invalid="ignore", divide="ignore"):
            dropped = np.where(full, state.total / count, 0.0)
            dropped_sq = np.where(full, state.total_sq / count, 0.0)
        total = np.where(record, state.total - dropped + interval, state.total)
        total_sq = np.where(
            record, state.total_sq - dropped_sq + interval * interval, state.total_sq
        )
        new_count = np.where(record & ~full, state.count + 1, state.count).astype(np.int32)
        out = DetectorState(
            np.full(state.last.shape, now), new_count, total, total_sq, state.suspect_at.copy()
        )
        self._refresh(out)
        return out

    def _refresh(self, state: DetectorState) -> None:
        count = np.maximum(state.count, 1)
        mean = state.total / count
        if self.akka:
            variance = np.maximum(state.total_sq / count - mean * mean, 0.0)
            std = np.maximum(np.sqrt(variance), self.params.min_std_deviation)
            pause = self.params.acceptable_heartbeat_pause
            suspect = state.last + (mean + pause) + self.y_star * std
        else:
            suspect = state.last + self.params.threshold / PHI_FACTOR * mean
        state.suspect_at[...] = np.where(state.count > 0, suspect, np.inf)
