"""Measured all-pairs round-trip times, for latency models that behave like the Internet.

Synthetic delay distributions miss what makes real latency awkward for a
failure detector: some pairs are ten times slower than others, paths are
asymmetric and the triangle inequality does not hold. Two measured matrices
are shipped (both from the NetLatency-Data repository of Zhu et al.):

- ``"seattle"``: 99 volunteer end-user devices of the Seattle testbed, 688
  time slices. Upstream gives no units; the values are seconds (2-decimal
  values, median ~0.21; read as milliseconds, a 0.21 ms median among
  hosts around the world would break the speed of light).
- ``"planetlab"``: 490 PlanetLab servers, one time slice (slice 1 of the
  upstream 18). Upstream gives no units; the values are milliseconds (median
  ~135, like intercontinental RTTs; read as seconds that would be minutes).

Both are converted to seconds on load, so the rest of the project never
deals with units. See ``datasets/README.md`` for the full analysis.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import lzma
import operator
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from emergent_lab.core.arrays import FloatArray

from ._paths import data_file

LatencyName = Literal["seattle", "planetlab"]
LATENCY_DATASETS: tuple[LatencyName, ...] = ("seattle", "planetlab")
"""Names accepted by :func:`load_latency`."""

SEATTLE_SLICES = 688
"""Number of Seattle time slices (``SeattleData_1`` .. ``SeattleData_688``)."""

_SEATTLE_ARCHIVE = ("netlatency_seattle", "seattle_rtt_688slices.tar.xz")
_PLANETLAB_FILE = ("netlatency_planetlab", "PlanetLabData_1.xz")
_UNITS_TO_SECONDS = {"s": 1.0, "ms": 1e-3}
_GREEDY_TRIES = 64


@dataclass(frozen=True, eq=False, repr=False)
class LatencyMatrix:
    """A square matrix of round-trip times between hosts, in seconds.

    ``rtt_s[i, j]`` is the RTT measured from host ``i`` to host ``j``; it is
    not necessarily equal to ``rtt_s[j, i]`` (Seattle paths are asymmetric).
    Missing measurements are NaN, the diagonal is 0. The array is stored as a
    read-only copy, so a matrix can be shared between simulations without one
    of them changing another's network.

    Attributes:
        rtt_s: RTTs in seconds, float64, shape ``(n, n)``.
        hosts: one label per row; the shipped data has no host names, so
            they are ``"h0"``, ``"h1"``, ... (kept through :meth:`subset`, so
            a host can be traced back to its row in the raw file).
        name: dataset name, e.g. ``"seattle"``.
        source_units: unit of the raw file (``"s"`` or ``"ms"``), recorded so
            the conversion is visible.
        time_slice: upstream time-slice number, when the data has slices.
    """

    rtt_s: FloatArray
    hosts: tuple[str, ...]
    name: str
    source_units: str
    time_slice: int | None = None

    def __post_init__(self) -> None:
        rtt = np.array(self.rtt_s, dtype=np.float64)
        _check_rtt(rtt, self.name)
        n = rtt.shape[0]
        diagonal = np.diagonal(rtt)
        if np.any(np.isnan(diagonal) | (diagonal != 0)):
            raise ValueError(f"{self.name}: the diagonal of rtt_s must be 0")
        hosts = tuple(str(h) for h in self.hosts)
        if len(hosts) != n:
            raise ValueError(f"{self.name}: {len(hosts)} host labels for a {n}x{n} matrix")
        if len(set(hosts)) != n:
            raise ValueError(f"{self.name}: host labels must be unique")
        rtt.setflags(write=False)
        object.__setattr__(self, "rtt_s", rtt)
        object.__setattr__(self, "hosts", hosts)

    def __repr__(self) -> str:
        off = self._off_diagonal()
        median = float(np.nanmedian(off)) if np.any(~np.isnan(off)) else float("nan")
        return (
            f"LatencyMatrix(name={self.name!r}, time_slice={self.time_slice}, "
            f"hosts={len(self.hosts)}, median_rtt_s={median:.4g}, "
            f"missing={int(np.isnan(off).sum())})"
        )

    @property
    def n_hosts(self) -> int:
        """Number of hosts (rows)."""
        return len(self.hosts)

    @property
    def is_complete(self) -> bool:
        """Whether every pair has a measurement (no NaN)."""
        return not bool(np.isnan(self.rtt_s).any())

    def one_way_s(self) -> FloatArray:
        """Return one-way delays in seconds, estimated as half of each RTT.

        Measurements give round trips; the simulator delays single messages.
        Halving ``rtt_s[i, j]`` keeps each direction's own measurement rather
        than averaging the two, so asymmetry in the data survives. NaN stays
        NaN; use :meth:`fill_missing` first for a complete model.
        """
        return self.rtt_s / 2.0

    def subset(self, n: int, *, seed: int | None = None, complete: bool = True) -> LatencyMatrix:
        """Return a random but reproducible subset of ``n`` hosts.

        The simulator's clusters are usually smaller than the measured ones, so
        a cluster of ``n`` nodes takes ``n`` measured hosts. The choice is
        drawn from ``numpy.random.default_rng(seed)``; ``seed=None`` means
        seed 0, because this project never draws from unseeded randomness and
        the same call must give the same network. Hosts keep their original
        order and labels.

        Args:
            n: number of hosts, 1 .. ``n_hosts``.
            seed: seed of the draw (``None`` = 0).
            complete: only choose hosts whose pairwise measurements (both
                directions) are all present. Hosts are added greedily in a
                random order; up to 64 orders are tried before giving up.

        Raises:
            ValueError: ``n`` is out of range, or ``complete`` is set and no
                complete set of ``n`` hosts was found.
        """
        total = self.n_hosts
        if isinstance(n, bool) or not 1 <= operator.index(n) <= total:
            raise ValueError(f"{self.name}: subset size must be in 1..{total} (got {n!r})")
        rng = np.random.default_rng(0 if seed is None else seed)
        if complete:
            index = _complete_subset(self.rtt_s, n, rng, self.name)
        else:
            index = np.sort(rng.choice(total, size=n, replace=False))
        return dataclasses.replace(
            self,
            rtt_s=self.rtt_s[np.ix_(index, index)],
            hosts=tuple(self.hosts[i] for i in index),
        )

    def fill_missing(self) -> LatencyMatrix:
        """Return a copy without NaN, estimating each missing RTT.

        A missing ``i -> j`` becomes the shortest measured two-hop path
        ``min_k rtt[i, k] + rtt[k, j]``: the delay of relaying through a third
        host, which is what a real deployment would see if the direct path
        were unusable, and an upper bound under the triangle inequality. Only
        measured values are used as hops, so the result does not depend on
        the order in which gaps are filled. Where no two-hop path exists, the
        median of all measured off-diagonal RTTs is used. A matrix without
        gaps is returned unchanged.

        Raises:
            ValueError: the matrix has no off-diagonal measurement at all.
        """
        missing = np.isnan(self.rtt_s)
        if not missing.any():
            return self
        measured = self._off_diagonal()
        measured = measured[~np.isnan(measured)]
        if measured.size == 0:
            raise ValueError(f"{self.name}: no measurements to fill the missing RTTs from")
        median = float(np.median(measured))
        hops = np.where(missing, np.inf, self.rtt_s)
        filled = self.rtt_s.copy()
        for i in np.flatnonzero(missing.any(axis=1)):
            cols = np.flatnonzero(missing[i])
            via = (hops[i][:, np.newaxis] + hops[:, cols]).min(axis=0)
            filled[i, cols] = np.where(np.isfinite(via), via, median)
        return dataclasses.replace(self, rtt_s=filled)

    def _off_diagonal(self) -> FloatArray:
        return self.rtt_s[~np.eye(self.n_hosts, dtype=bool)]


def load_latency(name: LatencyName, *, slice: int | None = None) -> LatencyMatrix:
    """Load a measured RTT matrix, converted to seconds.

    The raw files are validated (square, non-negative, finite or NaN) before
    conversion. The diagonal is set to 0: a host's RTT to itself carries no
    network delay, and Seattle's raw diagonal holds a few non-zero values
    (mostly 0.01 s, some up to 22 s) that are measurement artefacts, not
    latency a message between two nodes would see.

    Args:
        name: ``"seattle"`` or ``"planetlab"``.
        slice: time slice; Seattle has 1..688 (default 1), PlanetLab ships
            only slice 1 (``None`` or 1).

    Raises:
        ValueError: unknown name, slice out of range, or malformed data.
        DatasetNotFoundError: the data file is missing.
    """
    key = str(name).lower()
    if key == "seattle":
        index = _slice_number(slice, SEATTLE_SLICES, key)
        path = data_file(*_SEATTLE_ARCHIVE)
    elif key == "planetlab":
        index = _slice_number(slice, 1, key)
        path = data_file(*_PLANETLAB_FILE)
    else:
        raise ValueError(
            f"unknown latency dataset {name!r}: choose one of {list(LATENCY_DATASETS)}"
        )
    stat = path.stat()
    return _load_cached(key, index, path, stat.st_mtime_ns, stat.st_size)


def _slice_number(value: int | None, count: int, name: str) -> int:
    if value is None:
        return 1
    if isinstance(value, bool):
        raise TypeError(f"{name}: slice must be an int, got {value!r}")
    number = operator.index(value)
    if not 1 <= number <= count:
        allowed = f"1..{count}" if count > 1 else "only 1 (or None)"
        raise ValueError(f"{name}: slice {number} is out of range; allowed: {allowed}")
    return number


@functools.lru_cache(maxsize=16)
def _load_cached(name: str, index: int, path: Path, mtime_ns: int, size: int) -> LatencyMatrix:
    # Matrices are immutable, so a cached one can be handed to every caller; the
    # key includes mtime and size so a changed or redirected file is re-read.
    del mtime_ns, size
    if name == "seattle":
        raw = _parse(_seattle_member(path, f"SeattleData_{index}"), f"{path}:SeattleData_{index}")
        units = "s"
    else:
        with lzma.open(path, "rb") as fh:
            raw = _parse(fh.read(), str(path))
        units = "ms"
    np.fill_diagonal(raw, 0.0)
    rtt = raw * _UNITS_TO_SECONDS[units]
    hosts = tuple(f"h{i}" for i in range(rtt.shape[0]))
    return LatencyMatrix(rtt, hosts, name=name, source_units=units, time_slice=index)


def _seattle_member(path: Path, member: str) -> bytes:
    # Stream the archive and stop at the wanted slice: xz cannot seek, and
    # holding all 688 slices (33 MB of text) in memory would be wasteful.
    with tarfile.open(path, "r|xz") as archive:
        for info in archive:
            if info.name.rsplit("/", 1)[-1] == member and info.isfile():
                fileobj = archive.extractfile(info)
                if fileobj is not None:
                    return fileobj.read()
    raise ValueError(f"{path}: archive has no member {member!r}")


def _parse(data: bytes, where: str) -> FloatArray:
    try:
        matrix = np.loadtxt(io.BytesIO(data), dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{where}: not a whitespace-separated numeric matrix ({exc})") from exc
    _check_rtt(matrix, where)
    return matrix


def _check_rtt(matrix: FloatArray, where: str) -> None:
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"{where}: RTT matrix must be square and non-empty, got {matrix.shape}")
    if np.isinf(matrix).any():
        raise ValueError(f"{where}: RTT matrix has infinite values (use NaN for missing)")
    if (matrix < 0).any():
        raise ValueError(f"{where}: RTT matrix has negative values")


def _complete_subset(
    rtt: FloatArray, n: int, rng: np.random.Generator, name: str
) -> npt.NDArray[np.intp]:
    known = ~np.isnan(rtt)
    both = known & known.T
    # A host can only belong to a complete set of n if it has n - 1 measured peers.
    candidates = np.flatnonzero(both.sum(axis=1) - 1 >= n - 1)
    largest = 0
    for _ in range(_GREEDY_TRIES):
        chosen: list[int] = []
        for host in rng.permutation(candidates):
            if both[host, chosen].all():
                chosen.append(int(host))
                if len(chosen) == n:
                    return np.sort(np.array(chosen, dtype=np.intp))
        largest = max(largest, len(chosen))
    raise ValueError(
        f"{name}: found no {n} hosts with all pairwise RTTs measured (largest found: "
        f"{largest} in {_GREEDY_TRIES} greedy tries); use complete=False or fill_missing()"
    )
