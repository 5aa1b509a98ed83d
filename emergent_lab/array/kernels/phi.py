"""The phi-accrual detector of a view entry kept as running sums, compiled.

The array engine keeps an entry's interval statistics as running sums (a
full window drops one mean interval rather than the oldest), so updating
them is its own; the deadline they give is the detector's, written once in
:mod:`emergent_lab.detector.rule` (:func:`suspect_time`, which the exact
engine's detector bank calls too).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.compiled import compiled
from emergent_lab.detector.rule import AKKA, MAX_INTERVAL, MAX_SAMPLE, suspect_time


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
    oldest (see :mod:`emergent_lab.array.detector`).
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
