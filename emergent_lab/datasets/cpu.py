"""Real CPU-utilisation traces, for node metrics that move like real load.

A score computed from a constant or white-noise metric never shows the
interesting behaviour of the leader rule: slow drifts that should not cause a
switch, bursts that should be absorbed by the emergence threshold, a node
that saturates for an hour. The NAB ``realAWSCloudwatch`` CPU series are
14 days of 5-minute CloudWatch samples of real EC2 and RDS instances;
:meth:`CpuTrace.compressed` squeezes them into a simulation's time scale.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from emergent_lab.core.arrays import FloatArray

from ._paths import data_file, unknown_name_error

CPU_FOLDER = ("nab_aws_cloudwatch", "realAWSCloudwatch")
"""Folder of the NAB CSV files below the dataset folder."""

_PATTERN = "*_cpu_utilization_*.csv"
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, eq=False, repr=False)
class CpuTrace:
    """One CPU-utilisation time series.

    Arrays are stored as read-only copies so a trace can drive many nodes or
    runs without one of them altering it.

    Attributes:
        name: series name, the CSV file stem (``"ec2_cpu_utilization_5f5533"``).
        times_s: sample times in seconds since the first sample (starts at 0,
            strictly increasing).
        cpu_percent: CPU utilisation in percent, 0..100, one per sample.
        period_s: median sample period in seconds (300 for the raw NAB data);
            the median, because a few samples in the data are 10 or 20
            minutes apart.
        start: wall-clock time of the first sample as written in the CSV
            (naive: NAB does not state a time zone), so traces from the same
            window can be aligned; ``None`` when unknown.
    """

    name: str
    times_s: FloatArray
    cpu_percent: FloatArray
    period_s: float
    start: datetime | None = None

    def __post_init__(self) -> None:
        times = np.array(self.times_s, dtype=np.float64)
        values = np.array(self.cpu_percent, dtype=np.float64)
        if times.ndim != 1 or times.shape != values.shape or times.size == 0:
            raise ValueError(f"{self.name}: times_s and cpu_percent must be equal-length 1-D")
        if not (np.isfinite(times).all() and np.isfinite(values).all()):
            raise ValueError(f"{self.name}: times and values must be finite")
        if times[0] != 0 or (np.diff(times) <= 0).any():
            raise ValueError(f"{self.name}: times_s must start at 0 and strictly increase")
        if (values < 0).any() or (values > 100).any():
            raise ValueError(f"{self.name}: cpu_percent must be within [0, 100]")
        if not (math.isfinite(self.period_s) and self.period_s > 0):
            raise ValueError(f"{self.name}: period_s must be > 0 (got {self.period_s!r})")
        times.setflags(write=False)
        values.setflags(write=False)
        object.__setattr__(self, "times_s", times)
        object.__setattr__(self, "cpu_percent", values)
        object.__setattr__(self, "period_s", float(self.period_s))

    def __repr__(self) -> str:
        return (
            f"CpuTrace(name={self.name!r}, samples={self.times_s.size}, "
            f"duration_s={self.duration_s:.6g}, period_s={self.period_s:.6g}, "
            f"cpu_percent={float(self.cpu_percent.min()):.3g}..{float(self.cpu_percent.max()):.3g})"
        )

    @property
    def duration_s(self) -> float:
        """Time of the last sample, in seconds since the first."""
        return float(self.times_s[-1])

    def compressed(self, factor: float) -> CpuTrace:
        """Return a copy whose clock runs ``factor`` times faster.

        A 14-day trace drives a 10-minute simulation with
        ``factor = 14 * 86400 / 600`` (2016). Values are unchanged; only
        ``times_s`` and ``period_s`` are divided by ``factor``.

        Raises:
            ValueError: ``factor`` is not a finite number > 0.
        """
        factor = float(factor)
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"{self.name}: compression factor must be > 0 (got {factor!r})")
        return dataclasses.replace(
            self, times_s=self.times_s / factor, period_s=self.period_s / factor
        )

    def at(self, t: float) -> float:
        """Return the utilisation at time ``t`` seconds, held from the last sample.

        CloudWatch reports one value per period, so the value holds until the
        next sample (a step function; no interpolation invents values that were
        never measured). Before 0 the first value is returned and after the
        last sample the last one, so a simulation longer than the trace keeps
        a defined metric.

        Raises:
            ValueError: ``t`` is NaN.
        """
        t = float(t)
        if math.isnan(t):
            raise ValueError(f"{self.name}: time must be a number (got NaN)")
        index = int(np.searchsorted(self.times_s, t, side="right")) - 1
        return float(self.cpu_percent[max(index, 0)])


def list_cpu_traces() -> list[str]:
    """Return the names of the shipped CPU-utilisation series, sorted."""
    return sorted(path.stem for path in _folder().glob(_PATTERN))


def load_cpu_traces(names: Iterable[str] | None = None) -> dict[str, CpuTrace]:
    """Load CPU traces by name (all of them by default).

    Args:
        names: series names as returned by :func:`list_cpu_traces`, matched
            case-insensitively; ``None`` loads every series.

    Returns:
        Traces keyed by their canonical name, in the order requested (sorted
        when ``names`` is ``None``).

    Raises:
        ValueError: a name is unknown (with close names suggested) or a file
            is malformed.
        DatasetNotFoundError: the data folder is missing.
    """
    known = list_cpu_traces()
    by_lower = {name.lower(): name for name in known}
    wanted = known if names is None else [_canonical(n, by_lower, known) for n in names]
    folder = _folder()
    return {name: _read_trace(folder / f"{name}.csv", name) for name in wanted}


def _canonical(name: str, by_lower: dict[str, str], known: list[str]) -> str:
    canonical = by_lower.get(name.lower())
    if canonical is None:
        raise unknown_name_error("CPU trace", name, known)
    return canonical


def _folder() -> Path:
    return data_file(*CPU_FOLDER)


def _read_trace(path: Path, name: str) -> CpuTrace:
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [cell.strip() for cell in rows[0]] != ["timestamp", "value"]:
        raise ValueError(f"{path}: expected the NAB header 'timestamp,value'")
    stamps: list[datetime] = []
    values: list[float] = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        try:
            stamps.append(datetime.strptime(row[0].strip(), _TIMESTAMP_FORMAT))
            values.append(float(row[1]))
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{path}:{line}: bad row {row!r} ({exc})") from exc
    if len(stamps) < 2:
        raise ValueError(f"{path}: need at least two samples to know the period")
    start = stamps[0]
    times = np.array([(s - start).total_seconds() for s in stamps], dtype=np.float64)
    period = float(np.median(np.diff(times)))
    return CpuTrace(name, times, np.array(values, dtype=np.float64), period, start=start)
