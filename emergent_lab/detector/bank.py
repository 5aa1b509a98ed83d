"""Failure detectors for all of a node's peers at once, vectorised with numpy.

A node re-checks its whole view on every gossip merge, so with thousands of
peers a Python object per peer would dominate the simulation. ``DetectorBank``
keeps the state of one scalar detector per peer in parallel arrays and
reproduces ``PhiAccrualDetector`` / ``ExponentialPhiDetector`` exactly.
"""

from __future__ import annotations

import math
import numbers
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.detector.akka import LOGISTIC_A, LOGISTIC_B, akka_bootstrap
from emergent_lab.detector.arrivals import BankState, arrive_all, window_needed
from emergent_lab.detector.cassandra import PHI_FACTOR
from emergent_lab.detector.params import DetectorParams
from emergent_lab.detector.rule import alive_mask, deadlines, detector_rule

_ScalarT = TypeVar("_ScalarT", bound=np.generic)
_ZERO = np.array(0.0)
"""0.0 as a 0-d array (see ``DetectorBank._adopt``)."""


def _grown(array: npt.NDArray[_ScalarT], rows: int, fill: float) -> npt.NDArray[_ScalarT]:
    """Copy of ``array`` with ``rows`` rows, new rows set to ``fill``."""
    out: npt.NDArray[_ScalarT] = np.full((rows, *array.shape[1:]), fill, dtype=array.dtype)
    out[: array.shape[0]] = array
    return out


def _read_only(array: npt.NDArray[_ScalarT]) -> npt.NDArray[_ScalarT]:
    view: npt.NDArray[_ScalarT] = array.view()
    view.setflags(write=False)
    return view


class DetectorBank:
    """One node's failure detectors for peers ``0 .. capacity-1``.

    Peers are rows. Each row holds its last heartbeat time, a ring buffer of
    intervals with running sums, and ``suspect_at``: the time at which the
    peer stops being available if nothing more is heard. Because phi only
    grows with silence, ``available()`` is one comparison against
    ``suspect_at``, recomputed only for peers that get a heartbeat.

    Memory: the ring buffers share one width W per bank, the smallest power of
    two (at least 2, at most ``max_sample_size``) that holds the longest
    window any peer has had, so short histories stay cheap. A peer slot costs
    ``8 * W + 48`` bytes (W float64 intervals, then last time, sum, sum of
    squares, suspect_at as float64 and count, ring start as int64); rows are
    over-allocated up to 2x for amortised growth. 1,000 peers with 100 samples
    each use W = 128, about 1.1 MB, instead of 8 MB for W = 1,000.
    """

    def __init__(self, params: DetectorParams, capacity: int = 0) -> None:
        self._akka = params.kind == "akka"
        self._adopt(params)
        self._size = 0
        self._width = min(2, params.max_sample_size)
        self._ring: FloatArray = np.zeros((0, self._width))
        self._last: FloatArray = np.zeros(0)
        self._total: FloatArray = np.zeros(0)
        self._total_sq: FloatArray = np.zeros(0)
        self._suspect_at: FloatArray = np.zeros(0)
        self._count: IntArray = np.zeros(0, dtype=np.int64)
        self._start: IntArray = np.zeros(0, dtype=np.int64)
        self.ensure_capacity(capacity)

    @property
    def params(self) -> DetectorParams:
        """The settings shared by every peer's detector."""
        return self._params

    def set_params(self, params: DetectorParams) -> None:
        """Adopt new settings live (a slider moved), keeping every peer's history.

        Threshold, pause, std floor and estimates apply at once: ``suspect_at``
        is recomputed for every heard peer. The kind and the window size define
        the history itself, so they cannot change under a running node.

        Raises:
            ValueError: if ``kind`` or ``max_sample_size`` differ.
        """
        for name in ("kind", "max_sample_size"):
            if getattr(params, name) != getattr(self._params, name):
                raise ValueError(f"detector.{name}: cannot change on a running node")
        self._adopt(params)
        rows = np.flatnonzero(self.known)
        if rows.size:
            self._refresh(rows)

    def _adopt(self, params: DetectorParams) -> None:
        """Take ``params`` and the constants derived from them.

        The constants that meet whole arrays are kept as 0-d arrays: numpy
        converts a Python float operand at every operation, which on a merge's
        few dozen peers costs about as much as the arithmetic itself.
        """
        self._params = params
        estimate = params.resolved_first_heartbeat_estimate
        self._bootstrap = np.array(akka_bootstrap(estimate) if self._akka else (estimate,))
        self._min_std = np.array(params.min_std_deviation)
        self._rule = detector_rule(params)
        self._state: BankState | None = None

    @property
    def capacity(self) -> int:
        """Number of peer slots; valid indices are ``0 .. capacity-1``."""
        return self._size

    @property
    def known(self) -> BoolArray:
        """Mask of peers heard at least once since creation or their last reset."""
        return self._count[: self._size] > 0

    @property
    def suspect_at(self) -> FloatArray:
        """Per peer, the earliest time it is no longer available (+inf if never heard)."""
        return _read_only(self._suspect_at[: self._size])

    @property
    def sample_count(self) -> IntArray:
        """Per peer, the number of intervals in its window (0 if never heard)."""
        return _read_only(self._count[: self._size])

    @property
    def last_heartbeat(self) -> FloatArray:
        """Per peer, the time of its latest heartbeat (NaN if never heard)."""
        return np.where(self.known, self._last[: self._size], np.nan)

    @property
    def nbytes(self) -> int:
        """Bytes held by the bank's arrays, to size simulations of large clusters."""
        arrays = (self._ring, self._last, self._total, self._total_sq, self._suspect_at)
        return sum(a.nbytes for a in arrays) + self._count.nbytes + self._start.nbytes

    def ensure_capacity(self, n: int) -> None:
        """Make peer indices ``0 .. n-1`` valid; new peers start as never heard.

        Raises:
            ValueError: if ``n`` is not a non-negative integer.
        """
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"capacity: must be an integer >= 0 (got {n!r})")
        rows = self._ring.shape[0]
        if n > rows:
            # Spare rows are allocated in the never-heard state and kept in it.
            rows = max(int(n), 2 * rows)
            self._ring = _grown(self._ring, rows, 0.0)
            self._last = _grown(self._last, rows, 0.0)
            self._total = _grown(self._total, rows, 0.0)
            self._total_sq = _grown(self._total_sq, rows, 0.0)
            self._suspect_at = _grown(self._suspect_at, rows, math.inf)
            self._count = _grown(self._count, rows, 0)
            self._start = _grown(self._start, rows, 0)
            self._state = None
        self._size = max(self._size, int(n))

    def heartbeat(self, idx: npt.ArrayLike, now: float) -> None:
        """Record a heartbeat at ``now`` for each peer in ``idx`` (unique indices).

        As in Akka, an interval is recorded only for peers that were still
        available just before ``now``; Cassandra instead drops intervals longer
        than ``max_interval``. Nothing is changed if the input is invalid.

        Raises:
            ValueError: on bad indices, a non-finite ``now``, or a ``now``
                earlier than the last heartbeat of one of the peers.
        """
        rows = self._indices(idx, unique=True)
        if not math.isfinite(now):
            raise ValueError(f"heartbeat time: must be a finite number of seconds (got {now!r})")
        heard = self._count[rows] > 0
        old = rows[heard]
        if np.any(now < self._last[old]):
            latest = float(np.max(self._last[old]))
            raise ValueError(
                f"heartbeat time: must be >= the previous heartbeat of every peer "
                f"(got {now!r}, latest previous {latest!r})"
            )
        self.heartbeat_unchecked(rows, now)

    def heartbeat_unchecked(self, rows: IntArray, now: float) -> None:
        """``heartbeat`` without the input checks, for callers that guarantee them.

        Callers pass indices they just selected (unique, in range) at the
        simulator's current time (never earlier than a previous heartbeat), so
        re-checking would be pure cost. Each arrival is compiled
        (:func:`~emergent_lab.detector.arrivals.arrive`).
        """
        state = self.state()
        need = window_needed(
            state.rule, state.bootstrap, state.last, state.suspect_at, state.samples, rows, now
        )
        if need > self._width:
            self.widen(need)
            state = self.state()
        arrive_all(*state, rows, now)

    def state(self) -> BankState:
        """The bank's arrays as the compiled kernels take them (valid until the bank grows)."""
        if self._state is None:
            self._state = BankState(
                self._rule,
                self._bootstrap,
                self._ring,
                self._last,
                self._total,
                self._total_sq,
                self._suspect_at,
                self._count,
                self._start,
            )
        return self._state

    def reset(self, idx: npt.ArrayLike) -> None:
        """Forget the peers in ``idx``: they are back to never heard (e.g. after leaving)."""
        rows = self._indices(idx, unique=False)
        self._count[rows] = 0
        self._start[rows] = 0
        self._total[rows] = 0.0
        self._total_sq[rows] = 0.0
        self._suspect_at[rows] = math.inf

    def phi(self, now: float, idx: npt.ArrayLike | None = None) -> FloatArray:
        """Suspicion level of each peer in ``idx`` (all peers if None); 0.0 if never heard."""
        rows = self._rows(idx)
        mean, std = self._stats(rows)
        time_diff = now - self._last[rows]
        with np.errstate(all="ignore"):  # never-heard rows are NaN until masked below
            if self._akka:
                mean = mean + self._params.acceptable_heartbeat_pause
                y = (time_diff - mean) / std
                e = np.exp(-y * (LOGISTIC_A + LOGISTIC_B * y * y))
                p = np.where(time_diff > mean, e / (1.0 + e), 1.0 - 1.0 / (1.0 + e))
                phi = np.where(p > 0.0, np.maximum(0.0, -np.log10(p)), np.inf)
            else:
                silent = np.where(time_diff > 0.0, np.inf, 0.0)
                phi = np.where(mean > 0.0, PHI_FACTOR * (time_diff / mean), silent)
        return np.where(self._count[rows] > 0, phi, 0.0)

    def available(self, now: float, idx: npt.ArrayLike | None = None) -> BoolArray:
        """Whether each peer in ``idx`` (all if None) is alive at ``now``."""
        suspect_at = self._suspect_at[self._rows(idx)]
        alive: BoolArray = np.empty(suspect_at.shape[0], dtype=bool)
        alive_mask(self._rule, suspect_at, now, alive)
        return alive

    def _rows(self, idx: npt.ArrayLike | None) -> IntArray | slice:
        return slice(0, self._size) if idx is None else self._indices(idx, unique=False)

    def _indices(self, idx: npt.ArrayLike, *, unique: bool) -> IntArray:
        rows = np.asarray(idx)
        if rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
            raise ValueError(
                f"peer indices: must be a 1-D array of integers "
                f"(got shape {rows.shape}, dtype {rows.dtype})"
            )
        rows = rows.astype(np.int64, copy=False)
        if rows.size and (rows.min() < 0 or rows.max() >= self._size):
            raise ValueError(
                f"peer indices: must be in [0, {self._size}) (got {rows.min()}..{rows.max()}); "
                f"call ensure_capacity first"
            )
        if unique and np.unique(rows).size != rows.size:
            raise ValueError("peer indices: must not repeat a peer")
        return rows

    def _stats(self, rows: IntArray | slice) -> tuple[FloatArray, FloatArray]:
        """Mean and floored std of the windows of ``rows``."""
        with np.errstate(all="ignore"):  # never-heard rows have count 0
            return self._mean_std(self._total[rows], self._total_sq[rows], self._count[rows])

    def _mean_std(
        self, total: FloatArray, total_sq: FloatArray, count: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        """Mean and floored std from a window's sums, in the scalar detectors' float order.

        The counts are converted to floats once, as each division would do
        anyway: dividing by an int array costs about twice as much.
        """
        samples = count.astype(np.float64)
        mean = total / samples
        variance = total_sq / samples - mean * mean
        std = np.maximum(np.sqrt(np.maximum(variance, _ZERO)), self._min_std)
        return mean, std

    def _refresh(self, rows: IntArray) -> None:
        """Recompute ``suspect_at`` of ``rows`` after their history changed."""
        mean, std = self._stats(rows)
        self._suspect_at[rows] = self._deadlines(self._last[rows], mean, std)

    def _deadlines(self, last: FloatArray, mean: FloatArray, std: FloatArray) -> FloatArray:
        """The phi deadline (:func:`~emergent_lab.detector.rule.deadline`) of each peer."""
        out: FloatArray = np.empty(last.shape[0])
        deadlines(self._rule, last, mean, std, out)
        return out

    def widen(self, need: int) -> None:
        """Widen every ring to hold ``need`` intervals (doubling, capped at max_sample_size).

        Rings only wrap once the width has reached max_sample_size, so below
        that every window starts at column 0 and a plain copy preserves it.
        """
        if need <= self._width:
            return
        width = self._width
        while width < need:
            width *= 2
        width = min(width, self._params.max_sample_size)
        ring = np.zeros((self._ring.shape[0], width))
        ring[:, : self._width] = self._ring
        self._ring, self._width = ring, width
        self._state = None
