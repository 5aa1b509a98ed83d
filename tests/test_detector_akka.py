"""Akka's PhiAccrualFailureDetector: the cases of Akka's AccrualFailureDetectorSpec, in seconds."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import pytest

from emergent_lab.detector import PhiAccrualDetector
from emergent_lab.detector.akka import HeartbeatHistory, akka_phi, suspect_y


def hand_phi(time_diff: float, mean: float, std: float) -> float:
    """The logistic-approximation phi, written out independently of the code under test.

    -log10(1 - CDF) with CDF = 1 / (1 + e) is -log10(e / (1 + e)), which keeps its digits
    for large y where 1 - CDF would round to 0.
    """
    y = (time_diff - mean) / std
    e = math.exp(-y * (1.5976 + 0.070566 * y * y))
    return -math.log10(e / (1.0 + e))


def cdf(phi: float) -> float:
    return 1.0 - math.pow(10.0, -phi)


def clock(*intervals_ms: int) -> Iterator[float]:
    """Like Akka's fakeTimeGenerator: each detector call consumes the next time."""
    total = 0
    for interval in intervals_ms:
        total += interval
        yield total / 1000.0


# --- the phi function --------------------------------------------------------------------------


def test_good_enough_cumulative_distribution_function() -> None:
    assert cdf(akka_phi(0.0, 0.0, 10.0)) == pytest.approx(0.5, abs=0.001)
    assert cdf(akka_phi(6.0, 0.0, 10.0)) == pytest.approx(0.7257, abs=0.001)
    assert cdf(akka_phi(15.0, 0.0, 10.0)) == pytest.approx(0.9332, abs=0.001)
    assert cdf(akka_phi(20.0, 0.0, 10.0)) == pytest.approx(0.97725, abs=0.001)
    assert cdf(akka_phi(25.0, 0.0, 10.0)) == pytest.approx(0.99379, abs=0.001)
    assert cdf(akka_phi(35.0, 0.0, 10.0)) == pytest.approx(0.99977, abs=0.001)
    assert cdf(akka_phi(40.0, 0.0, 10.0)) == pytest.approx(0.99997, abs=0.0001)
    assert cdf(akka_phi(22.0, 20.0, 3.0)) == pytest.approx(0.7475, abs=0.001)


def test_phi_function_increases_monotonically() -> None:
    values = [akka_phi(float(x), 0.0, 10.0) for x in range(41)]
    assert all(a < b for a, b in itertools.pairwise(values))


def test_outliers_without_losing_precision_or_raising() -> None:
    assert akka_phi(10.0, 0.0, 1.0) == pytest.approx(38.0, abs=1.0)
    assert akka_phi(-25.0, 0.0, 1.0) == 0.0
    # Beyond float range: Java yields inf / -0.0 silently, Python must not raise.
    assert akka_phi(1e6, 0.0, 1.0) == math.inf
    assert akka_phi(1e300, 0.0, 1e-300) == math.inf
    assert akka_phi(-1e6, 0.0, 1.0) == 0.0
    assert math.copysign(1.0, akka_phi(-1e6, 0.0, 1.0)) == 1.0  # no -0.0


AKKA_REALISTIC = {0.0: 0.0, 0.5: 0.1, 1.0: 0.3, 1.2: 1.6, 1.4: 4.7, 1.6: 10.8, 1.7: 15.3}


def test_realistic_phi_values() -> None:
    for time_diff, expected in AKKA_REALISTIC.items():
        assert akka_phi(time_diff, 1.0, 0.1) == pytest.approx(expected, abs=0.1)
    # y = 2 at 1.2 s: e = exp(-2 (1.5976 + 0.070566 * 4)), phi = -log10(e / (1 + e)).
    e = math.exp(-2.0 * (1.5976 + 0.070566 * 4.0))
    assert -math.log10(e / (1.0 + e)) == pytest.approx(1.643, abs=0.0005)
    assert akka_phi(1.2, 1.0, 0.1) == pytest.approx(-math.log10(e / (1.0 + e)), rel=1e-12)
    for time_diff in AKKA_REALISTIC:
        assert akka_phi(time_diff, 1.0, 0.1) == pytest.approx(
            hand_phi(time_diff, 1.0, 0.1), rel=1e-9, abs=1e-12
        )


def test_larger_std_deviation_gives_lower_phi() -> None:
    assert akka_phi(1.1, 1.0, 0.5) < akka_phi(1.1, 1.0, 0.1)


def test_realistic_phi_values_from_heartbeats() -> None:
    # Window of two: after the bootstrap pair, intervals 0.9 and 1.1 leave mean 1.0, std 0.1.
    fd = PhiAccrualDetector(max_sample_size=2, min_std_deviation=0.01)
    for now in (0.0, 0.9, 2.0):
        fd.heartbeat(now)
    assert fd.mean == pytest.approx(1.0, rel=1e-12)
    assert fd.std_deviation == pytest.approx(0.1, rel=1e-9)
    for time_diff, expected in AKKA_REALISTIC.items():
        phi = fd.phi(2.0 + time_diff)
        assert phi == pytest.approx(expected, abs=0.1)
        assert phi == pytest.approx(hand_phi(time_diff, 1.0, 0.1), rel=1e-6, abs=1e-9)


def test_suspect_y_is_where_phi_reaches_the_threshold() -> None:
    for threshold in (0.05, math.log10(2.0), 1.0, 3.0, 8.0, 12.0, 50.0):
        y = suspect_y(threshold)
        assert hand_phi(y, 0.0, 1.0) == pytest.approx(threshold, rel=1e-9)
        assert akka_phi(y - 1e-6, 0.0, 1.0) < threshold < akka_phi(y + 1e-6, 0.0, 1.0)


# --- the detector ------------------------------------------------------------------------------


def test_phi_is_zero_and_available_when_no_heartbeats() -> None:
    fd = PhiAccrualDetector()
    assert fd.phi(0.0) == 0.0
    assert fd.phi(1000.0) == 0.0
    assert fd.is_available(1000.0)
    assert fd.last_heartbeat is None
    assert fd.mean is None and fd.std_deviation is None and fd.sample_count == 0


def test_bootstrap_mean_and_std_deviation() -> None:
    fd = PhiAccrualDetector(first_heartbeat_estimate=2.0)
    fd.heartbeat(5.0)
    # Two intervals mean -/+ mean/4: 1.5 and 2.5, mean 2.0, population std 0.5.
    assert fd.sample_count == 2
    assert fd.mean == pytest.approx(2.0)
    assert fd.std_deviation == pytest.approx(0.5)
    assert fd.last_heartbeat == 5.0


def test_phi_based_on_guess_when_only_one_heartbeat() -> None:
    times = clock(0, 1000, 1000, 1000)
    fd = PhiAccrualDetector(first_heartbeat_estimate=1.0)
    fd.heartbeat(next(times))
    assert fd.phi(next(times)) == pytest.approx(0.3, abs=0.2)
    assert fd.phi(next(times)) == pytest.approx(4.5, abs=0.3)
    assert fd.phi(next(times)) > 15.0


def test_phi_using_first_interval_after_second_heartbeat() -> None:
    times = clock(0, 100, 100, 100)
    fd = PhiAccrualDetector()
    fd.heartbeat(next(times))
    assert fd.phi(next(times)) > 0.0
    fd.heartbeat(next(times))
    assert fd.phi(next(times)) > 0.0


def test_available_after_a_series_of_successful_heartbeats() -> None:
    times = clock(0, 1000, 100, 100)
    fd = PhiAccrualDetector()
    for _ in range(3):
        fd.heartbeat(next(times))
    assert fd.last_heartbeat is not None
    assert fd.is_available(next(times))


def test_unavailable_when_heartbeats_are_missed() -> None:
    times = clock(0, 1000, 100, 100, 7000)
    fd = PhiAccrualDetector(threshold=3.0)
    for _ in range(3):
        fd.heartbeat(next(times))
    assert fd.is_available(next(times))  # 1.2 s
    assert not fd.is_available(next(times))  # 8.2 s


def test_available_again_after_being_marked_dead() -> None:
    # 1000 regular intervals, a 5 minute pause, then a 7 s pause that must trip it again.
    times = clock(0, *[1000] * 999, 300_000, 100, 900, 100, 7000, 100, 900, 100, 900)
    fd = PhiAccrualDetector(threshold=8.0, acceptable_heartbeat_pause=3.0)
    for _ in range(1000):
        fd.heartbeat(next(times))
    assert not fd.is_available(next(times))  # after the long pause
    fd.heartbeat(next(times))
    assert fd.is_available(next(times))
    fd.heartbeat(next(times))
    assert not fd.is_available(next(times))  # after the 7 s pause
    fd.heartbeat(next(times))
    assert fd.is_available(next(times))
    fd.heartbeat(next(times))
    assert fd.is_available(next(times))


def test_interval_after_failure_is_not_recorded() -> None:
    fd = PhiAccrualDetector(threshold=3.0)
    fd.heartbeat(0.0)
    fd.heartbeat(1.0)
    assert fd.sample_count == 3
    assert not fd.is_available(100.0)
    fd.heartbeat(100.0)  # the 99 s silence would skew the stats: dropped
    assert fd.sample_count == 3
    assert fd.last_heartbeat == 100.0
    assert fd.is_available(101.0)


def test_acceptable_pause_tolerates_missing_heartbeats() -> None:
    times = clock(0, 1000, 1000, 1000, 4000, 1000, 1000)
    fd = PhiAccrualDetector(acceptable_heartbeat_pause=3.0)
    for _ in range(4):
        fd.heartbeat(next(times))
    assert fd.is_available(next(times))  # 4 s of silence, 1 s expected + 3 s accepted
    fd.heartbeat(next(times))
    assert fd.is_available(next(times))


def test_fails_after_the_acceptable_pause() -> None:
    times = clock(0, 1000, 1000, 1000, 1000, 1000, 500, 500, 5000)
    fd = PhiAccrualDetector(acceptable_heartbeat_pause=3.0)
    for _ in range(6):
        fd.heartbeat(next(times))
    assert fd.is_available(next(times))
    fd.heartbeat(next(times))
    assert not fd.is_available(next(times))


def test_uses_only_max_sample_size_intervals() -> None:
    times = clock(0, 100, 100, 100, 100, 600, 500, 500, 500, 500, 500)
    fd = PhiAccrualDetector(max_sample_size=3)
    for _ in range(4):  # 100 ms intervals
        fd.heartbeat(next(times))
    phi1 = fd.phi(next(times))
    for _ in range(4):  # 500 ms intervals: the 100 ms ones drop out of the window
        fd.heartbeat(next(times))
    phi2 = fd.phi(next(times))
    assert phi2 == pytest.approx(phi1, abs=0.001)
    assert fd.sample_count == 3
    assert fd.mean == pytest.approx(0.5)


def test_phi_increases_monotonically_with_silence() -> None:
    fd = PhiAccrualDetector()
    for now in (0.0, 1.0, 2.1, 2.9, 4.0):
        fd.heartbeat(now)
    values = [fd.phi(4.0 + k * 0.05) for k in range(60)]
    assert all(a <= b for a, b in itertools.pairwise(values))
    assert values[0] < values[-1]


def test_long_silence_is_infinitely_suspicious_without_raising() -> None:
    fd = PhiAccrualDetector()
    fd.heartbeat(0.0)
    assert fd.phi(1e9) == math.inf
    assert not fd.is_available(1e9)
    assert fd.phi(-1e9) == 0.0


def test_heartbeat_rejects_time_going_backwards_or_not_finite() -> None:
    fd = PhiAccrualDetector()
    fd.heartbeat(5.0)
    with pytest.raises(ValueError, match="previous heartbeat"):
        fd.heartbeat(4.0)
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="finite"):
            fd.heartbeat(bad)
    assert fd.last_heartbeat == 5.0 and fd.sample_count == 2


def test_invalid_settings_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"detector\.threshold: must be a finite number > 0"):
        PhiAccrualDetector(threshold=-1.0)
    with pytest.raises(ValueError, match=r"detector\.min_std_deviation"):
        PhiAccrualDetector(min_std_deviation=0.0)
    with pytest.raises(ValueError, match=r"detector\.max_sample_size: must be an integer >= 1"):
        PhiAccrualDetector(max_sample_size=0)


# --- heartbeat statistics ----------------------------------------------------------------------


def history(max_sample_size: int, *intervals: float) -> HeartbeatHistory:
    stats = HeartbeatHistory(max_sample_size)
    for interval in intervals:
        stats.append(interval)
    return stats


def test_history_mean_and_variance() -> None:
    stats = history(20, 100, 200, 125, 340, 130)
    assert stats.mean == pytest.approx(179.0, abs=1e-5)
    assert stats.variance == pytest.approx(7584.0, abs=1e-5)


def test_history_has_zero_variance_for_one_sample() -> None:
    assert history(600, 1000).variance == pytest.approx(0.0, abs=1e-5)


def test_history_is_capped_by_max_sample_size() -> None:
    history3 = history(3, 100, 110, 90)
    assert history3.mean == pytest.approx(100.0, abs=1e-5)
    assert history3.variance == pytest.approx(66.6666667, abs=1e-5)
    history3.append(140)
    assert history3.mean == pytest.approx(113.333333, abs=1e-5)
    assert history3.variance == pytest.approx(422.222222, abs=1e-5)
    history3.append(80)
    assert history3.mean == pytest.approx(103.333333, abs=1e-5)
    assert history3.variance == pytest.approx(688.88888889, abs=1e-5)
    assert history3.intervals == (90, 140, 80)


def test_history_std_deviation_survives_rounding_below_zero() -> None:
    stats = history(3, 0.1, 0.1, 0.1)
    assert stats.std_deviation >= 0.0
    assert stats.std_deviation == pytest.approx(0.0, abs=1e-7)
