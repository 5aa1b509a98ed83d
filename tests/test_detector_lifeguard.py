"""Lifeguard's formulas against numbers worked by hand from memberlist's source.

Every expected value below is written out, not computed by the code under
test; the working is in the comments (memberlist commit 1b4c746c: util.go
``suspicionTimeout``, state.go ``suspectNode``, suspicion.go
``remainingSuspicionTime``, awareness.go ``ApplyDelta``/``ScaleTimeout``).
"""

from __future__ import annotations

import pytest

from emergent_lab.detector.lifeguard import (
    Awareness,
    SwimParams,
    remaining_suspicion_time,
    retransmit_limit,
    suspicion_bounds,
    suspicion_timeout,
)

LAN = SwimParams()


@pytest.mark.parametrize(
    ("n", "expected_k", "expected_min", "expected_max"),
    [
        # n = 3: n - 2 = 1 < k = 4 - 2 = 2, so k = 0; log10(3) < 1, scale 1: 4 s; max 6 * 4.
        (3, 0, 4.0, 24.0),
        # n = 4: n - 2 = 2, not < 2, so k = 2; scale 1.
        (4, 2, 4.0, 24.0),
        # n = 10: log10 = 1: 4 s.
        (10, 2, 4.0, 24.0),
        # n = 20: log10 20 = 1.30103, truncated to 1301 thousandths: 4 * 1.301 = 5.204; 6x 31.224.
        (20, 2, 5.204, 31.224),
        # n = 100: log10 = 2: 8 s, 48 s.
        (100, 2, 8.0, 48.0),
        # n = 1000: 12 s, 72 s.
        (1000, 2, 12.0, 72.0),
    ],
)
def test_suspicion_bounds_at_lan_defaults(
    n: int, expected_k: int, expected_min: float, expected_max: float
) -> None:
    k, low, high = suspicion_bounds(LAN, n)
    assert k == expected_k
    assert low == pytest.approx(expected_min, abs=1e-9)
    assert high == pytest.approx(expected_max, abs=1e-9)


@pytest.mark.parametrize(
    ("n", "expected"),
    # memberlist's own TestSuspicionTimeout: suspicionTimeout(3, n, 1 s) / 3.
    [(5, 1.0), (10, 1.0), (50, 1.698), (100, 2.0), (500, 2.698), (1000, 3.0)],
)
def test_suspicion_timeout_matches_memberlists_own_table(n: int, expected: float) -> None:
    assert suspicion_timeout(3, n, 1.0) / 3 == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("confirmations", "k", "elapsed", "low", "high", "expected"),
    [
        # n = 10 at LAN defaults (min 4, max 24, k 2):
        # c = 0: log(1)/log(3) = 0, raw = 24 s.
        (0, 2, 0.0, 4.0, 24.0, 24.0),
        # c = 1: ln 2 / ln 3 = 0.6309298, raw = 24 - 0.6309298 * 20 = 11.381405 -> 11381 ms.
        (1, 2, 0.0, 4.0, 24.0, 11.381),
        # the same 3 s after the suspicion began: 8.381 s left.
        (1, 2, 3.0, 4.0, 24.0, 8.381),
        # c = 2 = k: frac 1, raw = 4 s, the minimum.
        (2, 2, 0.0, 4.0, 24.0, 4.0),
        # n = 20 (min 5.204, max 31.224), c = 1: 31.224 - 0.6309298 * 26.02 = 14.807208 -> 14.807.
        (1, 2, 0.0, 5.204, 31.224, 14.807),
        # n = 100 (min 8, max 48), c = 1: 48 - 0.6309298 * 40 = 22.762810 -> 22.762.
        (1, 2, 0.0, 8.0, 48.0, 22.762),
        # k = 0 (n = 3): no confirmations expected, the minimum from the start.
        (0, 0, 1.0, 4.0, 24.0, 3.0),
        # memberlist's TestSuspicion_remainingSuspicionTime (k 3, min 2 s, max 30 s):
        (0, 3, 0.0, 2.0, 30.0, 30.0),
        (1, 3, 2.0, 2.0, 30.0, 14.0),
        (2, 3, 3.0, 2.0, 30.0, 4.81),
        (3, 3, 4.0, 2.0, 30.0, -2.0),
        (5, 3, 10.0, 2.0, 30.0, -8.0),
    ],
)
def test_remaining_suspicion_time_shrinks_with_confirmations(
    confirmations: int, k: int, elapsed: float, low: float, high: float, expected: float
) -> None:
    remaining = remaining_suspicion_time(confirmations, k, elapsed, low, high)
    assert remaining == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("deltas", "expected_score", "expected_interval"),
    [
        # healthy: score 0, 1 s probe interval stays 1 s.
        ([], 0, 1.0),
        # three failed probes without nacks (+1 each): score 3, interval 1 s * 4.
        ([1, 1, 1], 3, 4.0),
        # a refutation (+1) then a success (-1): back to 0.
        ([1, -1], 0, 1.0),
        # railed at max - 1 = 7 (AwarenessMaxMultiplier 8): interval 8 s.
        ([10], 7, 8.0),
        # never below 0.
        ([-5, 2], 2, 3.0),
    ],
)
def test_awareness_scales_the_probe_interval(
    deltas: list[int], expected_score: int, expected_interval: float
) -> None:
    health = Awareness(LAN.awareness_max_multiplier)
    for delta in deltas:
        health.apply_delta(delta)
    assert health.score == expected_score
    assert health.scale(LAN.probe_interval) == pytest.approx(expected_interval)


def test_retransmit_limit_matches_memberlists_own_table() -> None:
    # TestRetransmitLimit: (3, 0) -> 0, (3, 1) -> 3, (3, 99) -> 6.
    assert [retransmit_limit(3, n) for n in (0, 1, 99)] == [0, 3, 6]


def test_lan_defaults_are_memberlists() -> None:
    assert (LAN.probe_interval, LAN.probe_timeout, LAN.indirect_checks) == (1.0, 0.5, 3)
    assert (LAN.suspicion_mult, LAN.suspicion_max_timeout_mult) == (4, 6)
    assert (LAN.awareness_max_multiplier, LAN.retransmit_mult) == (8, 4)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("probe_interval", 0, r"detector.probe_interval: must be a finite number > 0"),
        ("indirect_checks", 1.5, r"detector.indirect_checks: must be an integer >= 1"),
        ("lifeguard", "yes", r"detector.lifeguard: must be true or false"),
        ("probe_timeout", 2.0, r"detector.probe_timeout: must be <= probe_interval"),
    ],
)
def test_bad_settings_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SwimParams(**{field: value})  # type: ignore[arg-type]
