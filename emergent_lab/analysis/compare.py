"""Two-sample comparison with numpy only (SciPy is not a dependency).

The cross-check between the engines asks: could these two samples of
failover times (or dissemination times) come from one distribution? The
Kolmogorov–Smirnov statistic D is the largest gap between the two empirical
CDFs; the samples differ at level alpha when D exceeds
``c(alpha) · sqrt((n + m) / (n · m))`` with ``c(alpha) = sqrt(-ln(alpha / 2) / 2)``
(the asymptotic critical value, conservative for small samples).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emergent_lab.core.checks import check_number


def ks_statistic(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sample Kolmogorov–Smirnov statistic: max |F_a(x) - F_b(x)|."""
    x, y = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    if not x.size or not y.size:
        raise ValueError("samples: both must be non-empty")
    points = np.concatenate([x, y])
    cdf_x = np.searchsorted(x, points, side="right") / x.size
    cdf_y = np.searchsorted(y, points, side="right") / y.size
    return float(np.abs(cdf_x - cdf_y).max())


def ks_critical(n: int, m: int, alpha: float = 0.05) -> float:
    """The D above which samples of sizes n and m differ at level ``alpha``."""
    check_number("n", n, low=1, integer=True)
    check_number("m", m, low=1, integer=True)
    check_number("alpha", alpha, low=0, high=1, low_open=True)
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))


def median_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """median(a) / median(b)."""
    return float(np.median(np.asarray(a, dtype=float)) / np.median(np.asarray(b, dtype=float)))


@dataclass(frozen=True)
class Agreement:
    """How a sample of the array engine compares with one of the exact engine."""

    median_ratio: float
    lag: float
    """How far the array sample was moved back before the KS test (0 if no lag is allowed)."""
    ks: float
    critical: float
    """The KS statistic above which the samples differ at the 1 % level."""
    unfinished: int
    """Runs (of either sample) that did not finish in their window (``inf``)."""
    agrees: bool


def agreement(
    array: Sequence[float], exact: Sequence[float], *, tolerance: float, lag: float = 0.0
) -> Agreement:
    """Medians within ``tolerance``; one distribution once ``array`` moves back by <= ``lag``.

    ``lag`` allows for the array engine's coarser clock: an event it sees
    only at the next slot or round. The lag used is the median difference,
    and it must lie in ``[0, lag]``: the array engine may be late, never early.
    A run that did not finish (``inf``) means the samples do not agree.
    """
    ratio = median_ratio(array, exact)
    offset = float(np.median(array) - np.median(exact)) if lag else 0.0
    moved = [x - offset for x in array]
    ks = ks_statistic(moved, exact)
    critical = ks_critical(len(array), len(exact), alpha=0.01)
    unfinished = int(np.count_nonzero(~np.isfinite([*array, *exact])))
    agrees = (
        not unfinished and abs(ratio - 1) <= tolerance and 0.0 <= offset <= lag and ks < critical
    )
    return Agreement(ratio, offset, ks, critical, unfinished, agrees)
