"""The phi-accrual detector of a view entry, as compiled scalar rules.

The detector's settings travel as a small float array, ``rule``
(:data:`RULE_FIELDS`), so kernels need no Python objects.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from emergent_lab.arrays import FloatArray
from emergent_lab.scale.kernels import compiled

RULE_FIELDS = ("akka", "max_sample_size", "min_std", "pause", "y_star", "factor", "max_interval")
"""Detector settings as kernels read them: 1.0 for Akka's model (0.0 for
Cassandra's), the window size, Akka's minimum deviation, acceptable pause and
standardised threshold delay y*, Cassandra's threshold/PHI_FACTOR and its
longest recorded interval."""
AKKA, MAX_SAMPLE, MIN_STD, PAUSE, Y_STAR, FACTOR, MAX_INTERVAL = range(len(RULE_FIELDS))


@compiled
def is_alive(rule: FloatArray, suspect_at: float, now: float) -> bool:
    """Akka: alive while phi < threshold; Cassandra convicts only when phi > threshold."""
    return now < suspect_at if rule[AKKA] else now <= suspect_at


@compiled
def suspect_time(
    rule: FloatArray, last: float, count: float, total: float, total_sq: float
) -> float:
    """When an entry stops being alive if nothing more is heard (+inf if never heard).

    Akka: ``last + (mean + pause) + y*·max(std, floor)``; Cassandra:
    ``last + threshold / PHI_FACTOR · mean``.
    """
    if count <= 0:
        return math.inf
    mean = total / count
    if rule[AKKA]:
        variance = max(total_sq / count - mean * mean, 0.0)
        std = max(math.sqrt(variance), float(rule[MIN_STD]))
        return last + (mean + float(rule[PAUSE])) + float(rule[Y_STAR]) * std
    return last + float(rule[FACTOR]) * mean


@compiled
def refresh(
    rule: FloatArray,
    last: FloatArray,
    count: npt.NDArray[np.int32],
    total: FloatArray,
    total_sq: FloatArray,
    out: FloatArray,
) -> None:
    """``out[i] = suspect_time(...)`` for arrays of entries."""
    for i in range(last.size):
        out[i] = suspect_time(rule, last[i], count[i], total[i], total_sq[i])


@compiled
def heartbeat_arrived(
    rule: FloatArray,
    now: float,
    last: float,
    count: float,
    total: float,
    total_sq: float,
    suspect_at: float,
) -> tuple[float, float, float, float]:
    """An entry's detector after a heartbeat arrival: (count, total, total_sq, suspect_at).

    As in Akka, the interval is recorded only if the entry was still alive
    just before the arrival; Cassandra instead drops intervals longer than
    ``max_interval``. Either way an outage does not teach the detector to
    tolerate outages. A full window drops one mean interval instead of the
    oldest (see :mod:`emergent_lab.scale.detector`).
    """
    interval = now - last
    record = now < suspect_at if rule[AKKA] else interval <= rule[MAX_INTERVAL]
    if record:
        if count >= rule[MAX_SAMPLE]:
            total = total - total / count + interval
            total_sq = total_sq - total_sq / count + interval * interval
        else:
            total = total + interval
            total_sq = total_sq + interval * interval
            count += 1.0
    return count, total, total_sq, suspect_time(rule, now, count, total, total_sq)
