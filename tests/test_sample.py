"""``core.sample.choose`` draws exactly what numpy's ``Generator.choice(..., replace=False)`` draws.

numpy is the oracle: two generators from one seed, one drawing with numpy
and one with ``choose``, must give the same picks and stay in step through
other draws in between (a run's one generator serves everything).
"""

from __future__ import annotations

import numpy as np
import pytest

from emergent_lab.core.sample import choose


@pytest.mark.parametrize("seed", range(5))
def test_same_picks_as_numpy_and_generators_stay_in_step(seed: int) -> None:
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    sizes = np.random.default_rng(100 + seed)
    for _ in range(300):
        size = int(sizes.integers(1, 30_000))
        k = int(sizes.integers(1, 6))
        pool = np.arange(size, dtype=np.int64) * 3 + 1
        if k > size:
            with pytest.raises(ValueError):
                choose(ours, pool, k)
            with pytest.raises(ValueError):
                numpys.choice(pool, size=k, replace=False)
            continue
        expected = numpys.choice(pool, size=k, replace=False)
        got = choose(ours, pool, k)
        assert got.dtype == expected.dtype
        assert got.tolist() == expected.tolist()
        assert ours.random() == numpys.random()  # the streams are still in step


def test_large_samples_of_large_populations_are_numpys_own() -> None:
    """numpy tail-shuffles when the sample is over 1/50 of a population above 10,000."""
    pool = np.arange(20_000, dtype=np.int64)
    ours, numpys = np.random.default_rng(7), np.random.default_rng(7)
    got = choose(ours, pool, 500)
    assert got.tolist() == numpys.choice(pool, size=500, replace=False).tolist()
    assert np.unique(got).size == 500
