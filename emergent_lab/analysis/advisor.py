"""The detector tuning advisor: replay a heartbeat trace, then recommend a setting for a target.

Why: operators ask how to choose a phi threshold, and the honest answer is
"from your own network's timing": replay what was measured through each
detector at a range of settings, measure false suspicions per hour against
detection time, and pick the fastest setting that meets the false-alarm
budget. Pure functions, no printing, so the CLI, a notebook and the tests
share them.

Assumptions (``ASSUMPTIONS`` says them to the user):

* the trace is one watched peer at one observer; rates are per watched
  peer (a node watching m peers sees m times as many);
* phi detectors (Akka's, Cassandra's) and the fixed timeout are replayed
  exactly by ``lessons.phi`` (a false suspicion: convicted before the next
  heartbeat came; detection: from the last heartbeat before a crash, at 20
  crash points spread over the trace); their first-heartbeat estimate is
  the trace's median interval, Cassandra's ``max_interval`` twice it;
* SWIM needs RTTs: a probe round fails when the direct ack takes longer than
  the probe interval and each of ``indirect_checks`` indirect paths (two
  RTTs drawn from the trace) longer than what is left after the probe
  timeout, as in memberlist's ``probeNode``; a failed round is a suspicion,
  and a false positive only when the suspect cannot refute, i.e. every round
  until the suspicion timeout fails too. A lone suspicion runs to the
  Lifeguard maximum (nobody confirms it), plain SWIM's to the minimum. SWIM's
  detection time is 1.5 probe intervals (waiting for a probe, then its
  round) plus the minimum suspicion timeout, reached when enough members
  confirm a real crash (Lifeguard) or from the start (plain).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emergent_lab.analysis.phi import Outcome, phi_outcome, timeout_outcome
from emergent_lab.analysis.traces import Trace
from emergent_lab.detector import DetectorParams
from emergent_lab.detector.lifeguard import SwimParams, suspicion_bounds

ASSUMPTIONS = (
    "rates are per watched peer (a node watching m peers sees m times as many); "
    "phi detectors and the fixed timeout are replayed on the arrivals, detection "
    "timed from the last heartbeat before a crash; SWIM (only with RTTs) counts a "
    "suspicion that no later probe round refutes before its timeout, and detects in "
    "1.5 probe intervals plus the minimum suspicion timeout"
)
AKKA_THRESHOLDS = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0)
CASSANDRA_THRESHOLDS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 8.0)
TIMEOUT_INTERVALS = (1.5, 2.0, 3.0, 5.0, 8.0, 12.0)
"""Fixed timeouts, in median heartbeat intervals."""
SWIM_MULTS = (2, 4, 6)
"""Suspicion multipliers tried (memberlist's LAN default is 4)."""
PER_HOUR = {"hour": 1.0, "day": 1 / 24, "week": 1 / 168}
TARGET = re.compile(r"^\s*([0-9.eE+-]+)\s*(?:per|/)\s*(?:node[- ])?(hour|day|week)\s*$")


@dataclass(frozen=True)
class Row:
    """One detector at one setting on the trace."""

    detector: str
    setting: str
    false_per_hour: float
    detection_s: float | None


@dataclass(frozen=True)
class Recommendation:
    """The fastest row within the target, or None, and what the trace can tell."""

    row: Row | None
    target_per_hour: float
    note: str
    per_detector: dict[str, Row]
    """The fastest row within the target of each detector that has one."""


def parse_target(text: str) -> float:
    """``"1 per node-day"`` (or ``"3/hour"``, ``"0.5 per week"``) as false suspicions per hour.

    Raises:
        ValueError: naming ``--target`` and the accepted forms.
    """
    match = TARGET.match(text)
    number = float(match.group(1)) if match and _is_number(match.group(1)) else -1.0
    if match is None or not (math.isfinite(number) and number > 0):
        raise ValueError(
            f"--target: expected 'N per node-hour', 'N per node-day' or 'N per node-week' "
            f"with N > 0 (got {text!r})"
        )
    return number * PER_HOUR[match.group(2)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def replay(
    trace: Trace,
    *,
    akka: Sequence[float] = AKKA_THRESHOLDS,
    cassandra: Sequence[float] = CASSANDRA_THRESHOLDS,
    timeouts: Sequence[float] | None = None,
    pause: float = 0.0,
    nodes: int = 10,
    seed: int = 0,
) -> list[Row]:
    """Every detector at every setting on ``trace``: false suspicions/hour and detection time.

    Args:
        trace: the heartbeats (and RTTs, for SWIM).
        akka: Akka phi thresholds.
        cassandra: Cassandra phi thresholds (its phi is silence / (mean · ln 10)).
        timeouts: fixed timeouts in seconds (default: multiples of the median interval).
        pause: Akka's acceptable heartbeat pause, in seconds.
        nodes: the cluster size SWIM's suspicion timeout scales with.
        seed: draws SWIM's indirect paths.
    """
    times = trace.arrivals
    interval = float(np.median(np.diff(times)))
    rows = []
    for threshold in akka:
        params = DetectorParams(
            kind="akka",
            threshold=threshold,
            acceptable_heartbeat_pause=pause,
            first_heartbeat_estimate=interval,
        )
        rows.append(_row("akka", f"phi {threshold:g}", phi_outcome(times, params)))
    for threshold in cassandra:
        params = DetectorParams(
            kind="cassandra",
            threshold=threshold,
            first_heartbeat_estimate=interval,
            max_interval=2.0 * interval,
        )
        rows.append(_row("cassandra", f"phi {threshold:g}", phi_outcome(times, params)))
    for timeout in timeouts if timeouts is not None else [m * interval for m in TIMEOUT_INTERVALS]:
        rows.append(_row("timeout", f"{timeout:.3g} s", timeout_outcome(times, timeout)))
    if trace.rtts is not None:
        rng = np.random.default_rng(seed)
        for lifeguard in (False, True):
            for mult in SWIM_MULTS:
                swim = SwimParams(suspicion_mult=mult, lifeguard=lifeguard)
                rows.append(swim_row(trace.rtts, swim, hours=trace.hours, nodes=nodes, rng=rng))
    return rows


def _row(detector: str, setting: str, outcome: Outcome) -> Row:
    detection = outcome.mean_detection_s
    return Row(detector, setting, outcome.false_suspicions_per_hour, detection)


def swim_row(
    rtts: np.ndarray, params: SwimParams, *, hours: float, nodes: int, rng: np.random.Generator
) -> Row:
    """SWIM's false positives per hour on RTT samples, and its detection time (see module)."""
    interval, timeout = params.probe_interval, params.probe_timeout
    rounds = max(int(hours * 3600.0 / interval), 1)
    direct = rtts[np.arange(rounds) % rtts.size]
    helpers = rng.choice(rtts, size=(rounds, params.indirect_checks, 2)).sum(axis=2)
    failed = (direct > interval) & (helpers > interval - timeout).all(axis=1)
    k, low, high = suspicion_bounds(params, nodes)
    lasting = high if params.lifeguard and k > 0 else low
    span = math.ceil(lasting / interval)
    false = 0
    for start in np.flatnonzero(failed).tolist():
        if failed[start : start + span + 1].all() and start + span < rounds:
            false += 1
    name = "swim+lifeguard" if params.lifeguard else "swim"
    setting = f"mult {params.suspicion_mult} ({low:g}-{lasting:g} s)"
    return Row(name, setting, false / hours, 1.5 * interval + low)


def recommend(rows: Sequence[Row], target_per_hour: float, *, hours: float) -> Recommendation:
    """The row that detects fastest while within ``target_per_hour`` false suspicions.

    A rate is only known to the trace's resolution: with no event in ``hours``
    the rate is below about 3 / hours per hour (95 %, the rule of three), so a
    target below that cannot be confirmed by this trace, and the note says so.
    """
    within = [r for r in rows if r.detection_s is not None and r.false_per_hour <= target_per_hour]
    best = min(within, key=_speed, default=None)
    per_detector: dict[str, Row] = {}
    for row in sorted(within, key=_speed):
        per_detector.setdefault(row.detector, row)
    resolution = 3.0 / hours
    if best is None:
        note = "no setting tried meets the target; widen the ranges or relax the target"
    elif target_per_hour < resolution:
        note = (
            f"the trace covers {hours:.3g} h: a rate below {resolution:.3g}/h cannot be "
            f"told from zero; record about {3.0 / target_per_hour:.3g} h to confirm the target"
        )
    else:
        note = f"measured {best.false_per_hour:.3g}/h over {hours:.3g} h of trace"
    return Recommendation(best, target_per_hour, note, per_detector)


def _speed(row: Row) -> tuple[float, float]:
    return (math.inf if row.detection_s is None else row.detection_s, row.false_per_hour)
