"""The array engine's parts against their references: detectors, theory curves, the KS test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emergent_lab.analysis import (
    failover_bound,
    ks_critical,
    ks_statistic,
    push_pull_rounds,
    push_rounds,
)
from emergent_lab.analysis.compare import agreement
from emergent_lab.array.detector import EntryDetector
from emergent_lab.detector import DetectorParams, make_detector


@pytest.mark.parametrize(
    "params",
    [
        DetectorParams(threshold=8.0),
        DetectorParams(threshold=3.0, acceptable_heartbeat_pause=0.5, min_std_deviation=0.2),
        DetectorParams(kind="cassandra", threshold=5.0),
    ],
)
def test_entry_detectors_suspect_exactly_when_the_scalar_detector_does(
    params: DetectorParams,
) -> None:
    rng = np.random.default_rng(1)
    detector = EntryDetector(params)
    for _peer in range(6):
        arrivals = np.cumsum(rng.uniform(0.5, 1.5, size=12))
        scalar = make_detector(params)
        state = detector.started(arrivals[:1])
        scalar.heartbeat(float(arrivals[0]))
        for t in arrivals[1:]:
            state = detector.arrived(state, float(t))
            scalar.heartbeat(float(t))
        probes = arrivals[-1] + np.linspace(0.0, 12.0, 241)
        expected = [scalar.is_available(float(t)) for t in probes]
        got = [bool(detector.alive(state.suspect_at, float(t))[0]) for t in probes]
        assert got == expected


def test_an_interval_after_an_outage_is_not_learnt() -> None:
    detector = EntryDetector(DetectorParams(threshold=8.0))
    state = detector.started(np.array([0.0]))
    for t in (1.0, 2.0, 3.0):
        state = detector.arrived(state, t)
    before = state.suspect_at[0] - state.last[0]
    state = detector.arrived(state, 60.0)  # long after it was suspected
    assert state.suspect_at[0] - state.last[0] == pytest.approx(before)


def test_theory_curves_are_the_textbook_formulas() -> None:
    assert push_pull_rounds(81, 1) == pytest.approx(4 + math.log2(math.log(81)))
    # Fanout 2: log5 n + ln ln n / ln 3.
    assert push_pull_rounds(625, 2) == pytest.approx(4 + math.log(math.log(625)) / math.log(3))
    assert push_rounds(1024, 1) == pytest.approx(10 + math.log(1024))
    assert push_rounds(1000, 3) == pytest.approx(math.log(1000) / math.log(4) + math.log(1000) / 3)
    assert push_pull_rounds(10**6, 2) < push_pull_rounds(10**6, 1) < push_rounds(10**6, 1)
    assert failover_bound(6.0, 27, 0.5) == pytest.approx(6.0 + 3 * 0.5)


def test_ks_statistic_and_critical_value() -> None:
    assert ks_statistic([1, 2, 3, 4], [1, 2, 3, 4]) == 0.0
    assert ks_statistic([1, 2, 3, 4], [5, 6, 7]) == 1.0
    assert ks_statistic([1, 2, 3, 4], [3, 4, 5, 6]) == 0.5
    # Tabulated large-sample coefficient c(0.05) = 1.358.
    assert ks_critical(100, 100, 0.05) == pytest.approx(1.358 * math.sqrt(2 / 100), rel=1e-3)
    with pytest.raises(ValueError, match="samples"):
        ks_statistic([], [1.0])


def test_agreement_allows_a_bounded_lag_of_the_array_engine_and_nothing_else() -> None:
    rng = np.random.default_rng(3)
    exact = list(10 + rng.normal(0, 0.2, 12))
    late = [x + 0.5 for x in exact]
    assert not agreement(late, exact, tolerance=0.2).agrees  # no lag allowed: rejected
    allowed = agreement(late, exact, tolerance=0.2, lag=1.0)
    assert allowed.agrees and allowed.lag == pytest.approx(0.5)
    assert not agreement(late, exact, tolerance=0.2, lag=0.25).agrees  # later than allowed
    early = [x - 0.5 for x in exact]
    assert not agreement(early, exact, tolerance=0.2, lag=1.0).agrees  # never early
    wider = list(10 + rng.normal(0, 2.0, 12))
    assert not agreement(wider, exact, tolerance=0.2, lag=1.0).agrees  # another shape
    unfinished = agreement([*exact[:-1], math.inf], exact, tolerance=0.2, lag=1.0)
    assert unfinished.unfinished == 1 and not unfinished.agrees
