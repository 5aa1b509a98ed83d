"""Lesson 03: phi over time, and the threshold's trade-off between fast detection and false alarms.

Heartbeats are sent every ``interval`` seconds and arrive after a network
delay. ``steady`` delays are nearly constant; ``jittery`` delays are drawn
from the one-way delays measured between Seattle testbed devices (slice 1),
heavy tail included. Both detectors of the project (Akka's normal model and
Cassandra's exponential one) and a fixed timeout are fed the same arrivals.

A *false suspicion* is a moment when the detector convicts a peer that is
still sending: phi reaches the threshold before the next heartbeat arrives.
*Detection time* is the time from a crash (the peer's last send) until phi
reaches the threshold.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from emergent_lab.core.checks import check_number
from emergent_lab.detector import DetectorParams, make_detector
from emergent_lab.detector.akka import PhiAccrualDetector
from emergent_lab.detector.cassandra import ExponentialPhiDetector
from emergent_lab.detector.params import DetectorKind

Pattern = Literal["steady", "jittery"]
PATTERNS: tuple[Pattern, ...] = ("steady", "jittery")
Detector = PhiAccrualDetector | ExponentialPhiDetector
_SEARCH_S = 600.0
"""Longest silence searched for a detection (longer counts as never)."""


@functools.lru_cache(maxsize=1)
def seattle_one_way_delays() -> np.ndarray:
    """Measured one-way delays (RTT / 2) between distinct Seattle devices, slice 1, in s."""
    from emergent_lab.datasets import load_latency

    matrix = load_latency("seattle", slice=1)
    one_way = matrix.one_way_s()
    off = one_way[~np.eye(matrix.n_hosts, dtype=bool)]
    delays: np.ndarray = off[np.isfinite(off)]
    return delays


def arrivals(
    pattern: Pattern, *, seconds: float, interval: float = 1.0, seed: int = 0
) -> np.ndarray:
    """Arrival times of heartbeats sent at 0, interval, 2·interval, … for ``seconds``.

    A heartbeat overtaken by a later one is useless to the detector, so the
    arrivals are the running maximum of send time + delay (deduplicated).
    """
    check_number("seconds", seconds, low=0, low_open=True)
    check_number("interval", interval, low=0, low_open=True)
    if pattern not in PATTERNS:
        raise ValueError(f"pattern: unknown {pattern!r} (expected one of: {', '.join(PATTERNS)})")
    rng = np.random.default_rng(seed)
    sends = np.arange(0.0, seconds, interval)
    if pattern == "steady":
        delays = 0.02 + rng.normal(0.0, 0.005, size=sends.size).clip(-0.02, 0.02)
    else:
        delays = rng.choice(seattle_one_way_delays(), size=sends.size)
    out: np.ndarray = np.unique(np.maximum.accumulate(sends + delays))
    return out


def phi_trace(
    times: np.ndarray, params: DetectorParams, *, until: float, step: float = 0.05
) -> tuple[list[float], list[float]]:
    """Phi sampled every ``step`` seconds while the heartbeats ``times`` arrive.

    Returns:
        (sample times, phi at each); phi is capped at 50 so a long silence stays drawable.
    """
    detector = make_detector(params)
    grid = np.arange(0.0, until, step)
    out: list[float] = []
    k = 0
    for t in grid:
        while k < times.size and times[k] <= t:
            detector.heartbeat(float(times[k]))
            k += 1
        out.append(min(detector.phi(float(t)), 50.0))
    return grid.tolist(), out


@dataclass(frozen=True)
class Outcome:
    """How one detector setting did on one arrival sequence."""

    false_suspicions_per_hour: float
    mean_detection_s: float | None


def _silence_to_conviction(detector: Detector, last: float) -> float | None:
    """Seconds after the heartbeat at ``last`` until the detector convicts, if ever.

    Phi only grows while no heartbeat arrives, so bisection finds the instant.
    """
    lo, hi = last, last + _SEARCH_S
    if detector.is_available(hi):
        return None
    for _ in range(50):
        mid = (lo + hi) / 2
        if detector.is_available(mid):
            lo = mid
        else:
            hi = mid
    return hi - last


def _crash_points(times: np.ndarray, crashes: int) -> list[int]:
    """Indices of the heartbeats after which the peer is made to crash (evenly spread)."""
    return sorted(set(np.linspace(10, times.size - 1, crashes, dtype=int).tolist()))


def phi_outcome(times: np.ndarray, params: DetectorParams, *, crashes: int = 20) -> Outcome:
    """False suspicions per hour over ``times``, and the mean detection time of crashes.

    A crash is simulated after ``crashes`` evenly spread heartbeats: a copy of
    the detector, as it stood after that heartbeat, watches the silence. The
    detection time counts from that last heartbeat's arrival (the crash itself
    came up to one interval plus one delay earlier).
    """
    detector = make_detector(params)
    false = 0
    crash_at = set(_crash_points(times, crashes))
    detections: list[float] = []
    for k, t in enumerate(times.tolist()):
        if k and not detector.is_available(t - 1e-9):
            false += 1
        detector.heartbeat(t)
        if k in crash_at:
            found = _silence_to_conviction(copy.deepcopy(detector), t)
            if found is not None:
                detections.append(found)
    hours = float(times[-1] - times[0]) / 3600.0
    return Outcome(false / hours, sum(detections) / len(detections) if detections else None)


def timeout_outcome(times: np.ndarray, timeout: float) -> Outcome:
    """The same two figures for a fixed timeout: convict after ``timeout`` s of silence."""
    check_number("timeout", timeout, low=0, low_open=True)
    false = int((np.diff(times) > timeout).sum())
    hours = float(times[-1] - times[0]) / 3600.0
    return Outcome(false / hours, float(timeout))


def tradeoff(
    pattern: Pattern,
    *,
    akka: Sequence[float],
    cassandra: Sequence[float],
    timeouts: Sequence[float],
    hours: float = 2.0,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Rows of (detector, setting, false suspicions per hour, mean detection time).

    The two phi scales differ (Cassandra's phi of a silence is its length over
    the mean interval, times 1/ln 10), so each detector gets its own
    thresholds. Both run with the project's defaults otherwise.
    """
    times = arrivals(pattern, seconds=hours * 3600.0, seed=seed)
    rows: list[dict[str, Any]] = []
    kinds: tuple[tuple[DetectorKind, Sequence[float]], ...] = (
        ("akka", akka),
        ("cassandra", cassandra),
    )
    for kind, thresholds in kinds:
        for threshold in thresholds:
            result = phi_outcome(times, DetectorParams(kind=kind, threshold=threshold))
            rows.append(_row(pattern, kind, threshold, result))
    for timeout in timeouts:
        rows.append(_row(pattern, "timeout", timeout, timeout_outcome(times, timeout)))
    return rows


def curve(rows: Sequence[dict[str, Any]], detector: str) -> tuple[list[float], list[float]]:
    """(detection times, false suspicions per hour) of one detector's rows, for a plot."""
    picked = [r for r in rows if r["detector"] == detector and r["detection s"] is not None]
    return [r["detection s"] for r in picked], [r["false/hour"] for r in picked]


def _row(pattern: str, kind: str, setting: float, result: Outcome) -> dict[str, Any]:
    return {
        "heartbeats": pattern,
        "detector": kind,
        "setting": f"{setting:g} s" if kind == "timeout" else f"phi {setting:g}",
        "false/hour": result.false_suspicions_per_hour,
        "detection s": result.mean_detection_s,
    }
