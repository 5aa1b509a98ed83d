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

from emergent_lab.array.kernels.phi import refresh
from emergent_lab.core.arrays import BoolArray, FloatArray
from emergent_lab.detector.akka import suspect_y
from emergent_lab.detector.params import DetectorParams
from emergent_lab.detector.rule import alive_mask, deadline, detector_rule
from emergent_lab.detector.sums import bootstrap_sums, heartbeat_arrived


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
        self.y_star = suspect_y(params.threshold) if self.akka else math.nan
        self.rule: FloatArray = detector_rule(params)
        """The settings as the compiled kernels read them (:data:`RULE_FIELDS`)."""

    def expected_silence(self, mean: float, std: float) -> float:
        """Silence after the last arrival at which phi reaches the threshold.

        For Akka that is ``mean + pause + y*·max(std, floor)``; for Cassandra
        ``threshold / PHI_FACTOR · mean``. This is the detection time a
        failover bound starts from.
        """
        return deadline(self.rule, 0.0, mean, max(std, self.params.min_std_deviation))

    def alive(self, suspect_at: FloatArray, now: float) -> BoolArray:
        """Akka: alive while phi < threshold; Cassandra convicts only when phi > threshold."""
        result: BoolArray = np.empty(suspect_at.shape, dtype=bool)
        alive_mask(self.rule, suspect_at.ravel(), now, result.ravel())
        return result

    def started(self, last: FloatArray) -> DetectorState:
        """Fresh detectors whose first heartbeat arrived at ``last`` (bootstrap window)."""
        intervals, sums, squares = bootstrap_sums(self.params)
        count = np.full(last.shape, intervals, dtype=np.int32)
        total = np.full(last.shape, sums)
        total_sq = np.full(last.shape, squares)
        suspect_at = np.empty(last.shape)
        refresh(
            self.rule,
            last.ravel(),
            count.ravel(),
            total.ravel(),
            total_sq.ravel(),
            suspect_at.ravel(),
        )
        return DetectorState(last.copy(), count, total, total_sq, suspect_at)

    def arrived(self, state: DetectorState, now: float) -> DetectorState:
        """The same detectors after a heartbeat arrival at ``now`` (see :func:`heartbeat_arrived`).

        The merge kernels apply the same rule entry by entry; this array form
        is how the rule is checked against the scalar detectors.
        """
        out = DetectorState(
            np.full(state.last.shape, now),
            state.count.astype(np.int32),
            state.total.astype(np.float64),
            state.total_sq.astype(np.float64),
            state.suspect_at.astype(np.float64),
        )
        for i in np.ndindex(state.last.shape):
            count, total, total_sq, suspect_at = heartbeat_arrived(
                self.rule,
                now,
                float(state.last[i]),
                float(state.count[i]),
                float(state.total[i]),
                float(state.total_sq[i]),
                float(state.suspect_at[i]),
            )
            out.count[i], out.total[i], out.total_sq[i], out.suspect_at[i] = (
                count,
                total,
                total_sq,
                suspect_at,
            )
        return out
