"""The phi-accrual detector of one entry kept as running sums, compiled.

Views that cannot afford a window of intervals per entry (the array
engine's, and the exact engine's bounded top-k view) keep an entry's
interval statistics as running sums: a full window drops one mean interval
rather than the oldest. Updating them, and the phi they give (for display),
are written here once, for both; the deadline they give is the detector's,
written once in :mod:`emergent_lab.detector.rule` (:func:`suspect_time`).
"""

from __future__ import annotations

import numpy as np

from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.compiled import compiled
from emergent_lab.detector.akka import akka_bootstrap, akka_phi
from emergent_lab.detector.cassandra import exponential_phi
from emergent_lab.detector.params import DetectorParams
from emergent_lab.detector.rule import AKKA, MAX_INTERVAL, MAX_SAMPLE, suspect_time


def bootstrap_sums(params: DetectorParams) -> tuple[float, float, float]:
    """(count, total, total_sq) of an entry heard once: the detector's bootstrap intervals."""
    estimate = params.resolved_first_heartbeat_estimate
    intervals = akka_bootstrap(estimate) if params.kind == "akka" else (estimate,)
    return float(len(intervals)), float(sum(intervals)), float(sum(x * x for x in intervals))


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
    oldest, which keeps the statistics stable without a ring buffer per entry.
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


def entry_phi(
    params: DetectorParams, now: float, last: float, count: float, total: float, total_sq: float
) -> float:
    """Phi of one view entry at ``now``, from its running interval sums.

    Same formulas as ``PhiAccrualDetector.phi`` (mean plus the acceptable
    pause, floored deviation) and ``ExponentialPhiDetector.phi``; an entry
    never heard (no intervals) has phi 0, as there.
    """
    if count <= 0:
        return 0.0
    mean = total / count
    if params.kind != "akka":
        return exponential_phi(now - last, mean)
    std = max(float(np.sqrt(max(total_sq / count - mean * mean, 0.0))), params.min_std_deviation)
    return akka_phi(now - last, mean + params.acceptable_heartbeat_pause, std)
