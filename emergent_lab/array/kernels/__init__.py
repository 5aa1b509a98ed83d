"""Compiled loops of the array engine, one transfer or one node after another.

A slot's state transfers must be applied in order (a node that learns
something early in the slot passes it on later in the same slot). In numpy
that means splitting them into conflict-free batches, dozens per slot, and
every batch pays for tens of array calls on short slices, so at a million
nodes the per-call overhead, not the arithmetic, was the cost. Compiled
with numba, the same rules run as plain loops, in order, with no temporary
arrays: exactly the sequential semantics, without the batching.

* :mod:`.phi`: the phi-accrual detector's update, shared by both views and
  by :meth:`~emergent_lab.array.detector.EntryDetector.started`;
* :mod:`.merge` and :mod:`.merge_full`: the merges of one slot, for the top-k and the
  full view;
* :mod:`.leader`: the leader rule and recognition, for both views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray

HEAD_FIELDS = ("id", "key", "hb", "score")
"""What a top-k entry is: the candidate and the version of its state its holder has."""
ID, KEY, HB, SCORE = range(len(HEAD_FIELDS))
HEAD_SIZE = len(HEAD_FIELDS)
TIMING_FIELDS = ("last", "count", "total", "total_sq", "suspect_at", "suspected")
"""What its holder's detector knows of it: last arrival, interval statistics, deadline, flag."""
LAST, COUNT, TOTAL, TOTAL_SQ, SUSPECT, SUSPECTED = range(len(TIMING_FIELDS))
TIMING_SIZE = len(TIMING_FIELDS)
STATE_FIELDS = ("opinion", "key", "hb", "score")
"""A node's own state as a top-k merge reads its sender's: the head's fields, opinion for id."""
OPINION = 0


class Transfers(NamedTuple):
    """A slot's one-way state transfers, in the order they happen: ``dst[p]`` hears ``src[p]``.

    ``key``, ``heartbeat``, ``score`` and ``opinion`` are every node's own
    state, indexed by node (the same all slot long: merges change views
    only); ``structural`` is filled in by the merge: whether ``dst[p]``'s
    view changed in a way that makes it re-apply the leader rule.
    """

    dst: IntArray
    src: IntArray
    key: IntArray
    heartbeat: IntArray
    score: FloatArray
    opinion: IntArray
    structural: BoolArray


class TopKArrays(NamedTuple):
    """A top-k view as the kernels see it (see ``views.TopKView``)."""

    head: FloatArray
    """(n, k, :data:`HEAD_FIELDS`) the candidates of each list, all float64..."""
    timing: FloatArray
    """... and (n, k, :data:`TIMING_FIELDS`) their detector states, in a table of their own.

    A merge reads both lists' heads but only the receiver's timings (a
    sender's only for the candidates that are new to the receiver): at a
    million nodes memory traffic is what a merge costs, so the sender's
    timings stay out of it.
    """
    states: FloatArray
    """(n, :data:`STATE_FIELDS`) every node's own state, packed per node before each merge.

    A transfer reads its sender's own state: from four arrays, that was four
    cache misses; packed, one.
    """
    sample: npt.NDArray[np.int32]
    """(n, k) ring of the opinions of each node's last k partners..."""
    sample_at: FloatArray
    """... and (n, k) the time each was heard."""
    sample_next: IntArray
    horizon: float
    """How long a sampled opinion counts (:func:`~emergent_lab.protocol.rules.opinion_horizon`)."""
    own: FloatArray
    """The timing a node's own state travels with, heard at time 0."""
    empty_head: FloatArray
    empty_timing: FloatArray
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


class TopKScratch(NamedTuple):
    """Scratch space of the top-k kernels, allocated once per view (kernels allocate nothing)."""

    rows: FloatArray
    """(2k + 1, head fields): a list and its newcomers, while it is rebuilt..."""
    rows_timing: FloatArray
    """... their timings..."""
    alive: BoolArray
    """... whether each is alive to the holder..."""
    order: IntArray
    """... and their order."""
    got: BoolArray
    """(k + 1) which of the sender's candidates, and the sender itself, the holder lists."""
    votes: IntArray
    """(k + 1) sampled opinions, while recognition counts them..."""
    tally: IntArray
    """(n) ... and how often each is held, zero between looks."""


class FullScratch(NamedTuple):
    """Scratch space of the full-view look, allocated once per view."""

    alive: BoolArray
    """(n) which members are alive to the node being looked at."""
    votes: IntArray
    """(n) the opinions counted by recognition..."""
    counts: IntArray
    """(n) ... and followers per member, zero between looks."""


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

    At a million nodes every merge reads two lists at random places in
    640 MB of tables, so the loop mostly waits on memory; fetching the lists of
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


CACHE_LINE = 64
"""Bytes the CPU fetches at a time (at k = 8 a top-k list is four of them, its timings six)."""


def cache_aligned(
    shape: tuple[int, ...], dtype: npt.DTypeLike = np.float64, *, fill: float = 0
) -> npt.NDArray[Any]:
    """A C-contiguous array filled with ``fill`` whose data starts on a cache line.

    numpy's large arrays start 16 bytes into a page, so a 256-byte list
    would span five lines and the prefetches at its start would miss the end
    of its last entry; aligned, a list is exactly the lines the kernels
    prefetch.
    """
    itemsize = np.dtype(dtype).itemsize
    size = int(np.prod(shape)) * itemsize
    raw = np.zeros(size + CACHE_LINE, dtype=np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    array = raw[start : start + size].view(dtype).reshape(shape)
    if fill != 0:
        array.fill(fill)
    return array
