"""Cassandra's FailureDetector.ArrivalWindow, ported as ExponentialPhiDetector."""

from __future__ import annotations

import math

import pytest

from emergent_lab.detector import ExponentialPhiDetector


def test_cassandra_arrival_window_numbers() -> None:
    # Cassandra's ArrivalWindowTest: window of 4, heartbeats every 111 ms.
    fd = ExponentialPhiDetector(max_sample_size=4)
    for now in (0.111, 0.222, 0.333, 0.444, 0.555):
        fd.heartbeat(now)
    # The 2 s seed interval has been pushed out: mean 0.111 s, so t / mean = 1 and 22.03.
    assert fd.mean == pytest.approx(0.111)
    assert fd.phi(0.666) == pytest.approx(0.434, abs=0.01)
    assert fd.phi(3.0) == pytest.approx(9.566, abs=0.01)
    assert fd.phi(0.666) == pytest.approx(1.0 / math.log(10.0), rel=1e-9)
    assert fd.phi(3.0) == pytest.approx((2.445 / 0.111) / math.log(10.0), rel=1e-9)


def test_phi_is_zero_and_available_before_any_heartbeat() -> None:
    fd = ExponentialPhiDetector()
    assert fd.phi(123.0) == 0.0
    assert fd.is_available(123.0)
    assert fd.last_heartbeat is None and fd.mean is None and fd.sample_count == 0


def test_first_heartbeat_seeds_the_window_with_the_estimate() -> None:
    fd = ExponentialPhiDetector(first_heartbeat_estimate=2.0)
    fd.heartbeat(10.0)
    assert fd.sample_count == 1
    assert fd.mean == 2.0
    assert fd.phi(12.0) == pytest.approx(1.0 / math.log(10.0))


def test_intervals_longer_than_max_interval_are_ignored() -> None:
    fd = ExponentialPhiDetector(max_interval=2.0)
    fd.heartbeat(0.0)
    fd.heartbeat(2.0)  # exactly max_interval: kept
    fd.heartbeat(6.0)  # 4 s, e.g. a partition: dropped
    assert fd.sample_count == 2
    assert fd.mean == pytest.approx(2.0)
    assert fd.last_heartbeat == 6.0


def test_recording_does_not_depend_on_availability() -> None:
    fd = ExponentialPhiDetector(threshold=0.1, max_interval=5.0)
    fd.heartbeat(0.0)
    assert not fd.is_available(1.0)
    fd.heartbeat(1.0)
    assert fd.sample_count == 2


def test_window_is_bounded() -> None:
    fd = ExponentialPhiDetector(max_sample_size=3)
    for now in (0.0, 1.0, 1.5, 2.0, 2.5):
        fd.heartbeat(now)
    assert fd.sample_count == 3
    assert fd.mean == pytest.approx(0.5)


def test_threshold_is_compared_directly_and_equality_is_available() -> None:
    fd = ExponentialPhiDetector(threshold=1.0)
    fd.heartbeat(0.0)
    fd.heartbeat(1.0)
    fd.heartbeat(2.0)  # window 2.0, 1.0, 1.0: mean 4/3
    mean = 4.0 / 3.0
    limit = 1.0 * math.log(10.0) * mean  # phi = silence / mean / ln 10 reaches 1 here
    assert fd.is_available(2.0 + limit * (1 - 1e-12))
    assert not fd.is_available(2.0 + limit * (1 + 1e-12))
    at_threshold = ExponentialPhiDetector(threshold=fd.phi(2.5))
    for now in (0.0, 1.0, 2.0):
        at_threshold.heartbeat(now)
    assert at_threshold.is_available(2.5)  # phi == threshold: Cassandra only convicts above


def test_zero_mean_window_does_not_divide_by_zero() -> None:
    fd = ExponentialPhiDetector(max_sample_size=1)
    fd.heartbeat(1.0)
    fd.heartbeat(1.0)  # two arrivals at the same instant: window [0.0]
    assert fd.mean == 0.0
    assert fd.phi(1.0) == 0.0 and fd.is_available(1.0)
    assert fd.phi(1.5) == math.inf and not fd.is_available(1.5)


def test_phi_grows_linearly_with_silence() -> None:
    fd = ExponentialPhiDetector()
    fd.heartbeat(0.0)
    assert fd.phi(4.0) == pytest.approx(2 * fd.phi(2.0))
    assert fd.phi(1e300) > 1e299 and fd.phi(1e300) < math.inf


def test_heartbeat_rejects_bad_times() -> None:
    fd = ExponentialPhiDetector()
    fd.heartbeat(3.0)
    with pytest.raises(ValueError, match="previous heartbeat"):
        fd.heartbeat(2.0)
    with pytest.raises(ValueError, match="finite"):
        fd.heartbeat(math.nan)
    assert fd.sample_count == 1


def test_invalid_settings_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"detector\.max_interval: must be a finite number > 0"):
        ExponentialPhiDetector(max_interval=0.0)
    with pytest.raises(ValueError, match=r"detector\.first_heartbeat_estimate"):
        ExponentialPhiDetector(first_heartbeat_estimate=math.inf)
    with pytest.raises(ValueError, match=r"detector\.threshold.*got nan"):
        ExponentialPhiDetector(threshold=math.nan)
