"""The flock view's birds: deterministic, and shaped by who follows whom."""

from __future__ import annotations

import numpy as np
import pytest

from emergent_lab.exact import SimCluster
from emergent_lab.jupyter.flock import Flock
from emergent_lab.run.config import ClusterConfig


def run(flock: Flock, seconds: float, follows: list[int], up: list[bool] | None = None) -> None:
    f = np.array(follows, dtype=np.int64)
    u = np.ones(len(follows), dtype=bool) if up is None else np.array(up)
    for _ in range(int(seconds / 0.5)):
        flock.advance(0.5, f, u)


def spread(points: np.ndarray) -> float:
    return float(np.linalg.norm(points - points.mean(axis=0), axis=1).mean())


def test_same_seed_same_flight_and_another_seed_another() -> None:
    follows = [0] * 10 + [10] * 10
    a, b, c = Flock(20, seed=4), Flock(20, seed=4), Flock(20, seed=5)
    for flock in (a, b, c):
        run(flock, 10.0, follows)
    np.testing.assert_array_equal(a.position, b.position)
    assert not np.allclose(a.position, c.position)


def test_one_leader_gathers_one_flock_around_it() -> None:
    flock = Flock(20, seed=1)
    start = spread(flock.position)
    run(flock, 30.0, [0] * 20)
    distances = np.linalg.norm(flock.position - flock.position[0], axis=1)
    assert spread(flock.position) < start / 2
    assert distances.max() < 0.6


def test_two_leaders_make_two_flocks() -> None:
    follows = [0] * 10 + [10] * 10
    flock = Flock(20, seed=2)
    run(flock, 40.0, follows)
    left, right = flock.position[:10], flock.position[10:]
    gap = np.linalg.norm(left.mean(axis=0) - right.mean(axis=0))
    assert spread(left) < gap / 2 and spread(right) < gap / 2


def test_a_flock_whose_leader_died_scatters() -> None:
    flock = Flock(20, seed=3)
    run(flock, 30.0, [0] * 20)
    gathered = spread(flock.position[1:])
    dead = flock.position[0].copy()
    run(flock, 20.0, [-1] + [0] * 19, up=[False] + [True] * 19)
    np.testing.assert_array_equal(flock.position[0], dead)
    assert spread(flock.position[1:]) > 1.5 * gathered


def test_large_flocks_stay_finite() -> None:
    flock = Flock(600, seed=0)
    run(flock, 5.0, [0] * 300 + [300] * 300)
    assert np.isfinite(flock.position).all()
    assert np.abs(flock.position).max() < 2.0


def test_drawing_the_flock_does_not_change_the_cluster_run() -> None:
    pytest.importorskip("jupyter_bokeh")
    from emergent_lab.jupyter import Dashboard

    plain = SimCluster(ClusterConfig.create(10, seed=6))
    plain.run(20.0)
    shown = SimCluster(ClusterConfig.create(10, seed=6))
    board = Dashboard(shown)
    try:
        for _ in range(40):
            board.advance(0.5)
    finally:
        board.close()
    assert shown.time == plain.time
    assert shown.log.hexdigest() == plain.log.hexdigest()


def test_negative_duration_is_refused() -> None:
    flock = Flock(3, seed=0)
    with pytest.raises(ValueError, match="duration"):
        flock.advance(-1.0, np.zeros(3, dtype=np.int64), np.ones(3, dtype=bool))
