"""A few peers drawn without replacement, as numpy draws them, compiled.

Every gossip tick of the exact engine picks ``fanout`` of its live peers
with ``Generator.choice(live, k, replace=False)``. numpy's ``choice`` is
general (any shape, weights, axes) and its argument handling costs some
10-20 us a call, for three draws: at 1,000 nodes that was about 5 % of a
run. :func:`choose` makes the very same draws from the very same generator
(numpy's Floyd sampling and shuffle, each bounded integer by Lemire's
rejection on the bit generator's 32-bit output), so a seeded run is
unchanged event for event; the cases numpy samples another way (a tail
shuffle of a large population) are left to numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emergent_lab.core.arrays import IntArray
from emergent_lab.core.compiled import compiled, inlined

_TAIL_SHUFFLE_FROM = 10_000
"""numpy's ``choice`` tail-shuffles a population above this when the sample is over 1/50 of it."""
_LOW_32 = np.uint64(0xFFFFFFFF)


@inlined
def _bounded(next_uint32: Any, state: int, bound: int) -> int:
    """A uniform integer in ``[0, bound]`` (``bound < 2**32 - 1``): numpy's Lemire rejection.

    Both returns are int64, so that numba does not unify them to a float.
    """
    if bound == 0:
        return np.int64(0)  # type: ignore[no-any-return]
    span = np.uint64(bound) + np.uint64(1)
    m = np.uint64(next_uint32(state)) * span
    leftover = m & _LOW_32
    if leftover < span:
        threshold = (_LOW_32 - np.uint64(bound)) % span
        while leftover < threshold:
            m = np.uint64(next_uint32(state)) * span
            leftover = m & _LOW_32
    return np.int64(m >> np.uint64(32))  # type: ignore[no-any-return]


@compiled
def _floyd(next_uint32: Any, state: int, pool: IntArray, k: int, out: IntArray) -> None:
    """``out[:k]``: k of ``pool`` by Floyd's algorithm then a shuffle, in numpy's order of draws."""
    size = pool.size
    for j in range(size - k, size):
        value = _bounded(next_uint32, state, j)
        for q in range(j - size + k):  # taken already: take j instead
            if out[q] == value:
                value = j
                break
        out[j - size + k] = value
    for i in range(k - 1, 0, -1):
        j = _bounded(next_uint32, state, i)
        out[i], out[j] = out[j], out[i]
    for q in range(k):
        out[q] = pool[out[q]]


def choose(rng: np.random.Generator, pool: IntArray, k: int) -> IntArray:
    """``rng.choice(pool, size=k, replace=False)`` of a 1-D integer ``pool``: same draws and result.

    Draws under the bit generator's lock, as numpy does.
    """
    size = pool.shape[0]
    if not 0 < k <= size or (size > _TAIL_SHUFFLE_FROM and k > size // 50):
        return np.asarray(rng.choice(pool, size=k, replace=False))
    out = np.empty(k, dtype=np.int64)
    bits = rng.bit_generator
    interface = bits.ctypes
    with bits.lock:
        _floyd(interface.next_uint32, interface.state_address, pool, k, out)
    return out
