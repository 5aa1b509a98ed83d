"""DetectorBank against the scalar detectors, plus DetectorParams and make_detector."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from emergent_lab.detector import (
    DetectorBank,
    DetectorParams,
    ExponentialPhiDetector,
    PhiAccrualDetector,
    make_detector,
)

BOUNDARY = 1e-9  # seconds: closer than this to suspect_at, float rounding may decide either way
MAX_PEERS = 6

Detector = PhiAccrualDetector | ExponentialPhiDetector


def assert_bank_matches(bank: DetectorBank, scalars: dict[int, Detector], now: float) -> None:
    phi = bank.phi(now)
    available = bank.available(now)
    near_boundary = np.abs(bank.suspect_at - now) < BOUNDARY
    for peer in range(bank.capacity):
        scalar = scalars[peer]
        expected = scalar.phi(now)
        if math.isinf(expected):
            assert phi[peer] == expected, (peer, now)
        else:
            # abs_tol: where phi ~ 0, -log10(1 - tiny) keeps few digits of an exp() ulp.
            assert math.isclose(phi[peer], expected, rel_tol=1e-9, abs_tol=1e-12), (peer, now)
        if not near_boundary[peer]:
            assert available[peer] == scalar.is_available(now), (peer, now)
        assert bank.sample_count[peer] == scalar.sample_count
        assert bank.known[peer] == (scalar.last_heartbeat is not None)


gaps = st.one_of(
    st.just(0.0),
    st.floats(0.001, 3.0),
    st.floats(10.0, 1e4),  # long silences: suspicion, recovery, dropped intervals
)
operations = st.lists(
    st.tuples(
        st.sampled_from(["heartbeat", "heartbeat", "heartbeat", "reset"]),
        gaps,
        st.sets(st.integers(0, MAX_PEERS - 1), min_size=1),
    ),
    min_size=1,
    max_size=40,
)
detector_params = st.builds(
    DetectorParams,
    kind=st.sampled_from(["akka", "cassandra"]),
    threshold=st.floats(0.2, 16.0),
    max_sample_size=st.integers(1, 5),
    min_std_deviation=st.sampled_from([0.01, 0.1, 0.5]),
    acceptable_heartbeat_pause=st.sampled_from([0.0, 0.3, 3.0]),
    first_heartbeat_estimate=st.sampled_from([None, 0.5, 1.0, 2.0]),
    max_interval=st.sampled_from([0.5, 2.0, 10.0]),
)


@settings(max_examples=400, deadline=None)
@given(
    params=detector_params,
    ops=operations,
    probes=st.lists(st.floats(0.0, 100.0), max_size=6),
)
def test_bank_agrees_with_one_scalar_detector_per_peer(
    params: DetectorParams,
    ops: list[tuple[str, float, set[int]]],
    probes: list[float],
) -> None:
    bank = DetectorBank(params)
    scalars: dict[int, Detector] = {}
    now = 0.0
    for op, gap, peers in ops:
        now += gap
        idx = np.array(sorted(peers))
        bank.ensure_capacity(max(peers) + 1)  # grows a little at a time
        for peer in range(bank.capacity):
            scalars.setdefault(peer, make_detector(params))
        assert_bank_matches(bank, scalars, now)
        if op == "reset":
            bank.reset(idx)
            for peer in peers:
                scalars[peer] = make_detector(params)
        else:
            if params.kind == "akka":  # recording depends on availability: stay off the edge
                assume(not np.any(np.abs(bank.suspect_at[idx] - now) < BOUNDARY))
            bank.heartbeat(idx, now)
            for peer in peers:
                scalars[peer].heartbeat(now)
        assert_bank_matches(bank, scalars, now)
    for probe in probes:
        assert_bank_matches(bank, scalars, now + probe)


@pytest.mark.parametrize("kind", ["akka", "cassandra"])
def test_never_heard_peers_are_healthy(kind: str) -> None:
    bank = DetectorBank(DetectorParams(kind=kind), capacity=3)  # type: ignore[arg-type]
    assert bank.capacity == 3
    assert not bank.known.any()
    assert np.all(bank.phi(1e6) == 0.0)
    assert bank.available(1e6).all()
    assert np.all(bank.suspect_at == math.inf)
    assert np.isnan(bank.last_heartbeat).all()
    assert np.all(bank.sample_count == 0)
    bank.heartbeat(np.array([1]), 10.0)
    assert bank.known.tolist() == [False, True, False]
    assert bank.phi(1e6)[[0, 2]].tolist() == [0.0, 0.0]
    assert bank.phi(1e6, np.array([1]))[0] > 8.0
    assert bank.available(1e6).tolist() == [True, False, True]
    assert bank.last_heartbeat[1] == 10.0


def test_available_is_a_comparison_with_suspect_at() -> None:
    bank = DetectorBank(DetectorParams(kind="akka", threshold=8.0), capacity=2)
    bank.heartbeat(np.array([0, 1]), 0.0)
    bank.heartbeat(np.array([0]), 1.0)
    suspect = bank.suspect_at[0]
    scalar = PhiAccrualDetector(threshold=8.0)
    scalar.heartbeat(0.0)
    scalar.heartbeat(1.0)
    assert scalar.phi(suspect) == pytest.approx(8.0, rel=1e-9)
    assert bank.available(suspect - 1e-6, np.array([0]))[0]
    assert not bank.available(suspect, np.array([0]))[0]
    cassandra = DetectorBank(DetectorParams(kind="cassandra", threshold=2.0), capacity=1)
    cassandra.heartbeat(np.array([0]), 5.0)
    # Seed interval 2 s: phi = silence / 2 / ln 10 reaches 2 after 4 ln 10 seconds.
    assert cassandra.suspect_at[0] == pytest.approx(5.0 + 4.0 * math.log(10.0))
    assert cassandra.available(cassandra.suspect_at[0])[0]  # phi == threshold is alive


def test_reset_forgets_peers() -> None:
    params = DetectorParams(max_sample_size=4)
    bank = DetectorBank(params, capacity=3)
    for now in (0.0, 1.0, 2.0, 3.0):
        bank.heartbeat(np.array([0, 1, 2]), now)
    bank.reset(np.array([1]))
    assert bank.known.tolist() == [True, False, True]
    assert bank.phi(100.0)[1] == 0.0 and bank.available(100.0)[1]
    assert bank.suspect_at[1] == math.inf and bank.sample_count[1] == 0
    # Heard again: starts from the bootstrap like a brand-new detector, neighbours untouched.
    bank.heartbeat(np.array([1]), 50.0)
    fresh = make_detector(params)
    fresh.heartbeat(50.0)
    assert bank.sample_count.tolist() == [4, 2, 4]
    assert bank.phi(51.3)[1] == pytest.approx(fresh.phi(51.3), rel=1e-12)
    assert bank.phi(3.5)[0] == pytest.approx(bank.phi(3.5)[2], rel=1e-12)


def test_capacity_growth_keeps_state() -> None:
    bank = DetectorBank(DetectorParams(max_sample_size=100))
    assert bank.capacity == 0
    bank.ensure_capacity(2)
    scalar = PhiAccrualDetector(max_sample_size=100)
    for k in range(20):  # grows the ring width 2 -> 4 -> 8 -> 16 -> 32 along the way
        now = k * 1.0 + (0.1 if k % 2 else 0.0)
        bank.heartbeat(np.array([1]), now)
        scalar.heartbeat(now)
    before = (bank.phi(25.0).copy(), bank.suspect_at.copy())
    bank.ensure_capacity(1000)
    assert bank.capacity == 1000
    np.testing.assert_array_equal(bank.phi(25.0)[:2], before[0])
    np.testing.assert_array_equal(bank.suspect_at[:2], before[1])
    assert not bank.known[2:].any() and np.all(bank.suspect_at[2:] == math.inf)
    assert bank.phi(25.0)[1] == pytest.approx(scalar.phi(25.0), rel=1e-12)
    bank.ensure_capacity(10)  # never shrinks
    assert bank.capacity == 1000


def test_ring_buffers_grow_lazily() -> None:
    bank = DetectorBank(DetectorParams(max_sample_size=1000), capacity=1000)
    empty = bank.nbytes
    peers = np.arange(1000)
    for k in range(99):  # 2 bootstrap + 98 intervals = 100 samples each
        bank.heartbeat(peers, float(k))
    assert np.all(bank.sample_count == 100)
    # Width 128 instead of 1000: 8 * 128 + 48 bytes per peer.
    assert bank.nbytes - empty == 1000 * 8 * (128 - 2)
    assert bank.nbytes < 1.2e6
    assert bank.available(99.0).all() and not bank.available(200.0).any()


def test_window_wraps_at_max_sample_size() -> None:
    bank = DetectorBank(DetectorParams(max_sample_size=3), capacity=1)
    for now in (0.0, 0.1, 0.2, 0.3, 1.0, 1.5, 2.0, 2.5):
        bank.heartbeat(np.array([0]), now)
    scalar = PhiAccrualDetector(max_sample_size=3)
    for now in (0.0, 0.1, 0.2, 0.3, 1.0, 1.5, 2.0, 2.5):
        scalar.heartbeat(now)
    assert scalar.mean == pytest.approx(0.5)
    assert bank.sample_count[0] == 3
    assert bank.phi(3.0)[0] == pytest.approx(scalar.phi(3.0), rel=1e-12)


def test_bad_input_is_rejected_and_nothing_changes() -> None:
    bank = DetectorBank(DetectorParams(), capacity=3)
    bank.heartbeat(np.array([0, 1]), 5.0)
    snapshot = (bank.suspect_at.copy(), bank.sample_count.copy(), bank.last_heartbeat.copy())
    with pytest.raises(ValueError, match="ensure_capacity"):
        bank.heartbeat(np.array([3]), 6.0)
    with pytest.raises(ValueError, match="ensure_capacity"):
        bank.phi(6.0, np.array([-1]))
    with pytest.raises(ValueError, match="repeat"):
        bank.heartbeat(np.array([2, 2]), 6.0)
    with pytest.raises(ValueError, match="previous heartbeat"):
        bank.heartbeat(np.array([2, 1]), 4.0)
    with pytest.raises(ValueError, match="finite"):
        bank.heartbeat(np.array([2]), math.inf)
    with pytest.raises(ValueError, match="integers"):
        bank.heartbeat(np.array([0.5]), 6.0)
    with pytest.raises(ValueError, match="1-D"):
        bank.heartbeat(np.array([[0]]), 6.0)
    with pytest.raises(ValueError, match="capacity"):
        bank.ensure_capacity(-1)
    np.testing.assert_array_equal(bank.suspect_at, snapshot[0])
    np.testing.assert_array_equal(bank.sample_count, snapshot[1])
    np.testing.assert_array_equal(bank.last_heartbeat, snapshot[2])
    bank.heartbeat(np.array([], dtype=np.int64), 6.0)  # nothing heard: a no-op
    np.testing.assert_array_equal(bank.suspect_at, snapshot[0])


def test_exposed_arrays_are_read_only() -> None:
    bank = DetectorBank(DetectorParams(), capacity=2)
    with pytest.raises(ValueError):
        bank.suspect_at[0] = 0.0
    with pytest.raises(ValueError):
        bank.sample_count[0] = 5


# --- DetectorParams and make_detector ----------------------------------------------------------


def test_params_defaults_and_resolved_first_heartbeat_estimate() -> None:
    akka = DetectorParams()
    assert (akka.kind, akka.threshold, akka.max_sample_size) == ("akka", 8.0, 1000)
    assert akka.resolved_first_heartbeat_estimate == 1.0
    assert DetectorParams(kind="cassandra").resolved_first_heartbeat_estimate == 2.0
    assert DetectorParams(first_heartbeat_estimate=0.5).resolved_first_heartbeat_estimate == 0.5


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("threshold", -1.0, r"detector\.threshold: must be a finite number > 0 \(got -1\.0\)"),
        ("threshold", math.inf, r"detector\.threshold: must be a finite number > 0"),
        ("threshold", "8", r"detector\.threshold: .*\(got '8'\)"),
        ("threshold", True, r"detector\.threshold"),
        ("max_sample_size", 0, r"detector\.max_sample_size: must be an integer >= 1 \(got 0\)"),
        ("max_sample_size", 2.5, r"detector\.max_sample_size"),
        ("min_std_deviation", 0.0, r"detector\.min_std_deviation: must be a finite number > 0"),
        ("acceptable_heartbeat_pause", -0.1, r"detector\.acceptable_heartbeat_pause: .* >= 0"),
        ("first_heartbeat_estimate", 0.0, r"detector\.first_heartbeat_estimate: .* > 0"),
        ("max_interval", -2.0, r"detector\.max_interval: must be a finite number > 0"),
        ("kind", "bully", r"detector\.kind: must be one of 'akka', 'cassandra' \(got 'bully'\)"),
    ],
)
def test_params_validation_names_field_and_range(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DetectorParams(**{field: value})  # type: ignore[arg-type]


def test_params_normalise_ints_to_floats() -> None:
    params = DetectorParams(threshold=8, max_interval=3)
    assert isinstance(params.threshold, float) and isinstance(params.max_interval, float)
    assert params == DetectorParams(threshold=8.0, max_interval=3.0)


def test_params_from_mapping() -> None:
    params = DetectorParams.from_mapping({"kind": "cassandra", "threshold": 5, "max_interval": 4.0})
    assert params == DetectorParams(kind="cassandra", threshold=5.0, max_interval=4.0)
    with pytest.raises(ValueError, match=r"unknown key\(s\) treshold; allowed keys: kind, thr"):
        DetectorParams.from_mapping({"treshold": 5.0})
    with pytest.raises(ValueError, match=r"detector\.threshold"):
        DetectorParams.from_mapping({"threshold": 0})


def test_make_detector_builds_the_configured_kind() -> None:
    akka = make_detector(DetectorParams(threshold=3.0, acceptable_heartbeat_pause=1.0))
    assert isinstance(akka, PhiAccrualDetector)
    assert akka.params == DetectorParams(
        threshold=3.0, acceptable_heartbeat_pause=1.0, first_heartbeat_estimate=1.0
    )
    cassandra = make_detector(DetectorParams(kind="cassandra", max_interval=7.0))
    assert isinstance(cassandra, ExponentialPhiDetector)
    assert cassandra.params.max_interval == 7.0
    assert cassandra.params.resolved_first_heartbeat_estimate == 2.0


def test_set_params_applies_a_new_threshold_to_existing_histories():
    from emergent_lab.detector import DetectorBank, DetectorParams, PhiAccrualDetector

    bank = DetectorBank(DetectorParams(threshold=8.0), capacity=2)
    scalar = PhiAccrualDetector(threshold=3.0)
    for t in (0.0, 1.0, 2.0, 3.1, 4.0):
        bank.heartbeat(np.array([0]), t)
        scalar.heartbeat(t)
    bank.set_params(DetectorParams(threshold=3.0))
    for now in (4.5, 5.0, 5.5, 6.0, 7.0):
        assert bool(bank.available(now)[0]) == scalar.is_available(now)
    assert not bank.known[1]
    with pytest.raises(ValueError, match=r"detector\.kind"):
        bank.set_params(DetectorParams(kind="cassandra"))
