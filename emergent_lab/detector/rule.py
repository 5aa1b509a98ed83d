"""The phi deadline, written once: when a peer stops being believed alive.

A phi-accrual detector suspects a peer once phi reaches the threshold, and
for both of its models that moment has a closed form in the arrival
statistics (mean, floored deviation, last arrival), so no engine needs to
evaluate phi itself to decide: Akka's logistic phi reaches the threshold at
``last + (mean + pause) + y*·std`` (y* the standardised delay at which it
does, :func:`~emergent_lab.detector.akka.suspect_y`); Cassandra's
exponential phi at ``last + threshold / PHI_FACTOR · mean``. The exact
engine's :class:`~emergent_lab.detector.bank.DetectorBank` and the array
engine's compiled kernels both call :func:`deadline` and :func:`is_alive`,
and both reach the deadline from a window's running sums with
:func:`suspect_time`, so the two cannot drift apart.

The settings travel as a small float array, the *rule*
(:data:`RULE_FIELDS`), so compiled code needs no Python objects.
"""

from __future__ import annotations

import math

import numpy as np

from emergent_lab.core.arrays import BoolArray, FloatArray
from emergent_lab.core.compiled import compiled
from emergent_lab.detector.akka import suspect_y
from emergent_lab.detector.cassandra import PHI_FACTOR
from emergent_lab.detector.params import DetectorParams

RULE_FIELDS = ("akka", "max_sample_size", "min_std", "pause", "y_star", "factor", "max_interval")
"""Detector settings as compiled code reads them: 1.0 for Akka's model (0.0 for
Cassandra's), the window size, Akka's minimum deviation, acceptable pause and
standardised threshold delay y*, Cassandra's threshold/PHI_FACTOR and its
longest recorded interval."""
AKKA, MAX_SAMPLE, MIN_STD, PAUSE, Y_STAR, FACTOR, MAX_INTERVAL = range(len(RULE_FIELDS))


def detector_rule(params: DetectorParams) -> FloatArray:
    """The rule array of ``params`` (:data:`RULE_FIELDS`)."""
    akka = params.kind == "akka"
    values = {
        "akka": float(akka),
        "max_sample_size": float(params.max_sample_size),
        "min_std": params.min_std_deviation,
        "pause": params.acceptable_heartbeat_pause,
        "y_star": suspect_y(params.threshold) if akka else math.nan,
        "factor": params.threshold / PHI_FACTOR,
        "max_interval": params.max_interval,
    }
    return np.array([values[name] for name in RULE_FIELDS])


@compiled
def deadline(rule: FloatArray, last: float, mean: float, std: float) -> float:
    """When a peer last heard at ``last`` stops being alive (``std`` already floored)."""
    if rule[AKKA]:
        return last + (mean + float(rule[PAUSE])) + float(rule[Y_STAR]) * std
    return last + float(rule[FACTOR]) * mean


@compiled
def deadlines(
    rule: FloatArray, last: FloatArray, mean: FloatArray, std: FloatArray, out: FloatArray
) -> None:
    """``out[i] = deadline(rule, last[i], mean[i], std[i])`` for arrays of peers."""
    for i in range(last.size):
        out[i] = deadline(rule, last[i], mean[i], std[i])


@compiled
def is_alive(rule: FloatArray, suspect_at: float, now: float) -> bool:
    """Akka: alive while phi < threshold; Cassandra convicts only when phi > threshold."""
    return now < suspect_at if rule[AKKA] else now <= suspect_at


@compiled
def alive_mask(rule: FloatArray, suspect_at: FloatArray, now: float, out: BoolArray) -> None:
    """``out[i] = is_alive(rule, suspect_at[i], now)`` for arrays of peers."""
    for i in range(suspect_at.size):
        out[i] = is_alive(rule, suspect_at[i], now)


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
        return deadline(rule, last, mean, max(math.sqrt(variance), float(rule[MIN_STD])))
    return deadline(rule, last, mean, 0.0)
