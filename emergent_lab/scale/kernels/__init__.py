"""Compiled loops of the array engine, one transfer or one node after another.

A slot's state transfers must be applied in order (a node that learns
something early in the slot passes it on later in the same slot). In numpy
that means splitting them into conflict-free batches, dozens per slot, and
every batch pays for tens of array calls on short slices, so at a million
nodes the per-call overhead, not the arithmetic, was the cost. Compiled
with numba, the same rules run as plain loops, in order, with no temporary
arrays: exactly the sequential semantics, without the batching.

* :mod:`.phi`: the phi-accrual detector's update, shared by both views and
  by :meth:`~emergent_lab.scale.detector.EntryDetector.started`;
* :mod:`.merge`: the merges of one slot, for the full and the top-k view;
* :mod:`.leader`: the leader rule and recognition, for both views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

Function = TypeVar("Function", bound=Callable[..., Any])

TOPK_FIELDS = (
    "id",
    "key",
    "hb",
    "score",
    "last",
    "count",
    "total",
    "total_sq",
    "suspect_at",
    "suspected",
)
"""The columns of a packed top-k entry, all float64 (see ``views.TopKView``)."""
ID, KEY, HB, SCORE, LAST, COUNT, TOTAL, TOTAL_SQ, SUSPECT, SUSPECTED = range(len(TOPK_FIELDS))


def compiled(function: Function) -> Function:
    """Compile with numba (cached on disk), keeping the Python signature for the type checker."""
    return cast(Function, numba.njit(cache=True, nogil=True)(function))
