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
from typing import Any, NamedTuple, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from emergent_lab.arrays import BoolArray, FloatArray, IntArray

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


WITHOUT_RUNTIME: dict[str, Any] = {"_nrt": False}
"""Numba's option for code that runs without its runtime (its stubs do not list it)."""


def compiled(function: Function) -> Function:
    """Compile with numba (cached on disk), keeping the Python signature for the type checker."""
    return cast(Function, numba.njit(cache=True, nogil=True)(function))


def compiled_inner(function: Function) -> Function:
    """Compile a rule that kernels call once per transfer or entry, without reference counting.

    Numba counts references to every array a function takes, with two
    atomic operations per array per call, and cannot drop them from a
    function with loops and early exits. A transfer's rule takes some twenty
    arrays, so at a million nodes those counts were a fifth of the run.
    These rules allocate nothing and keep no array, so they can run without
    numba's runtime (``_nrt=False``): their callers, compiled with
    :func:`compiled`, own the arrays for the whole call.
    """
    return cast(Function, numba.njit(cache=True, nogil=True, **WITHOUT_RUNTIME)(function))


class Transfers(NamedTuple):
    """A slot's one-way state transfers, in the order they happen: ``dst[p]`` hears ``src[p]``.

    The ``src_*`` fields are the sources' own states (the same all slot
    long); ``structural`` is filled in by the merge: whether ``dst[p]``'s
    view changed in a way that makes it re-apply the leader rule.
    """

    dst: IntArray
    src: IntArray
    src_key: IntArray
    src_hb: IntArray
    src_score: FloatArray
    src_opinion: IntArray
    structural: BoolArray


class TopKArrays(NamedTuple):
    """A top-k view as the kernels see it (see ``views.TopKView``)."""

    table: FloatArray
    """(n, k, fields) packed entries, :data:`TOPK_FIELDS`."""
    sample: npt.NDArray[np.int32]
    """(n, k) ring of the opinions of each node's last k partners."""
    sample_next: IntArray
    own: FloatArray
    """The entry a node's own state travels as, heard at time 0."""
    empty: FloatArray
    rank: IntArray
    tomb_id: IntArray
    """(n, k) ring of candidates each node dropped while it suspected them (-1: none)..."""
    tomb_key: IntArray
    """... and the version key it held of each, which may not come back alive."""
    tomb_next: IntArray


class FullArrays(NamedTuple):
    """A full view as the kernels see it: (n, n) arrays, row = holder, column = subject."""

    key: IntArray
    hb: IntArray
    score: FloatArray
    last: FloatArray
    intervals: npt.NDArray[np.int32]
    """Intervals in each entry's detector window (``count`` would shadow the tuple method)."""
    total: FloatArray
    total_sq: FloatArray
    suspect_at: FloatArray
    suspected: BoolArray
    opinion: npt.NDArray[np.int32]


class Opinions(NamedTuple):
    """The engine's per-node arrays the leader rule reads and writes, and its two thresholds."""

    score: FloatArray
    opinion: IntArray
    recognised: IntArray
    acting: BoolArray
    version: IntArray
    has_seeds: BoolArray
    """A node with seeds holds no opinion until it hears from a peer (the joining rule)."""
    rank: IntArray
    emergence: float
    convergence: float


@intrinsic
def _prefetch(typingctx: Any, array: Any, index: Any) -> Any:
    """Ask the CPU to fetch ``array.flat[index]`` into cache, without waiting for it.

    At a million nodes every merge reads two lists at random places in a
    640 MB table, so the loop mostly waits on memory; fetching the lists of
    a transfer a few transfers ahead overlaps those waits (LLVM's
    ``llvm.prefetch``: a read, high locality, data cache).
    """
    signature = types.void(array, types.intp)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        byte = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        address = builder.bitcast(builder.gep(data, [args[1]]), byte)
        builder.call(function, [address, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return signature, codegen


prefetch = cast(Callable[[npt.NDArray[Any], int], None], _prefetch)
"""``prefetch(array, index)``, typed for callers (the intrinsic's own signature is numba's)."""
