"""Cross-check: the array engine must not drift from the exact engine.

The same scenario (equal scores, a node promoted at 8 s, that node crashed
at 13 s) runs on both engines over ten seeds at n = 100; the distributions
of dissemination times (until every node follows the promoted node) and
failover times (until one leader is recognised again) must agree:

* medians within 20 % (the array engine's clock ticks in quarter rounds,
  and one tick is already 12 % of a two-second dissemination),
* and a two-sample Kolmogorov–Smirnov test must not tell them apart at the
  1 % level.

Top-k failover is held to its own, stated tolerance: it recognises a leader
from a sample of its partners' opinions, which refreshes about once a round,
so it may lag a full view by up to a third. Larger n is compared in
``benchmarks/failover.py`` and ``benchmarks/dissemination.py``.
"""

from __future__ import annotations

from functools import cache

import pytest

from emergent_lab import SimCluster
from emergent_lab.scale import ArrayCluster, ks_critical, ks_statistic, median_ratio
from emergent_lab.scale.measure import dissemination_time, failover_time, level_config

N = 100
SEEDS = range(10)


@cache
def samples(engine: str) -> tuple[list[float], list[float]]:
    """(dissemination times, failover times) over the seeds, for one engine."""
    dissemination, failover = [], []
    for seed in SEEDS:
        config, promoted = level_config(N, seed=seed)
        cluster = SimCluster(config) if engine == "exact" else ArrayCluster(config, view=engine)
        cluster.run(8)
        spread = dissemination_time(cluster, promoted, within=5)
        back = failover_time(cluster, at=13, within=16)
        assert spread is not None and back is not None, (engine, seed)
        assert cluster.leader() == "n0", (engine, seed)  # equal scores: the first id
        dissemination.append(spread)
        failover.append(back)
    return dissemination, failover


def agree(a: list[float], b: list[float], tolerance: float) -> None:
    assert abs(median_ratio(a, b) - 1) <= tolerance, (sorted(a), sorted(b))
    assert ks_statistic(a, b) < ks_critical(len(a), len(b), alpha=0.01), (sorted(a), sorted(b))


@pytest.mark.parametrize("view", ["full", "topk"])
def test_dissemination_times_agree_with_the_exact_engine(view: str) -> None:
    agree(samples(view)[0], samples("exact")[0], 0.20)


def test_full_view_failover_times_agree_with_the_exact_engine() -> None:
    agree(samples("full")[1], samples("exact")[1], 0.20)


def test_topk_failover_is_no_faster_and_at_most_a_third_slower_than_exact() -> None:
    ratio = median_ratio(samples("topk")[1], samples("exact")[1])
    assert 0.95 <= ratio <= 1.35
