"""Heartbeat traces for the detector tuning advisor: read from a CSV file, or built from data.

Why: a failure detector's threshold is a bet on one network's timing, so it
should be chosen on that network's measurements. A trace is the arrival
times of one peer's heartbeats at one observer; when round-trip times are
what was measured, the arrivals are built from them (heartbeats sent every
``interval`` seconds, each arriving RTT / 2 later; a heartbeat overtaken by
a later one is of no use to a detector, so arrivals are the running maximum).
RTTs, when known, also drive the SWIM replay.

CSV format (a header row, then one row per sample, comma-separated):

* ``arrival_s``: arrival times in seconds, never decreasing; or
* ``rtt_s``: round-trip times in seconds (>= 0), one per heartbeat, in the
  order sent; an optional ``sent_s`` column gives the send times (else they
  are ``0, interval, 2 * interval, ...``).

A bad file is refused with one line naming the row (1 = the header) and the column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIN_SAMPLES = 20
"""Fewer samples cannot give a detector its statistics, let alone a rate."""
COLUMNS = ("arrival_s", "rtt_s", "sent_s")


class TraceError(ValueError):
    """A trace file that cannot be used; the message names the row and column."""


@dataclass(frozen=True)
class Trace:
    """One peer's heartbeat arrivals (s), and the RTTs they came from when known."""

    arrivals: np.ndarray
    rtts: np.ndarray | None
    source: str

    @property
    def hours(self) -> float:
        """Hours between the first and the last arrival."""
        return float(self.arrivals[-1] - self.arrivals[0]) / 3600.0


def arrivals_from_rtts(rtts: np.ndarray, sent: np.ndarray) -> np.ndarray:
    """Arrival times of heartbeats sent at ``sent`` that travel RTT / 2, overtaken ones dropped."""
    out: np.ndarray = np.unique(np.maximum.accumulate(sent + rtts / 2.0))
    return out


def read_trace(path: Path | str, *, interval: float = 1.0) -> Trace:
    """Read a trace CSV (see the module docstring).

    Raises:
        TraceError: naming the row and column at fault, or the missing column.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TraceError(f"{path}: cannot read ({error.__class__.__name__})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise TraceError(f"{path}: empty file (expected a header: arrival_s or rtt_s)")
    header = [h.strip() for h in rows[0]]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise TraceError(
            f"{path}: row 1, column {unknown[0]!r}: unknown column "
            f"(expected one of: {', '.join(COLUMNS)})"
        )
    if ("arrival_s" in header) == ("rtt_s" in header):
        raise TraceError(f"{path}: row 1: give exactly one of the columns arrival_s, rtt_s")
    columns = {name: _column(path, rows, header, name) for name in header}
    if len(rows) - 1 < MIN_SAMPLES:
        raise TraceError(f"{path}: {len(rows) - 1} samples; at least {MIN_SAMPLES} are needed")
    if "arrival_s" in columns:
        arrivals = columns["arrival_s"]
        back = np.flatnonzero(np.diff(arrivals) < 0)
        if back.size:
            raise TraceError(
                f"{path}: row {int(back[0]) + 3}, column arrival_s: earlier than the row "
                "before (arrivals must not go back in time)"
            )
        return Trace(arrivals, None, str(path))
    rtts = columns["rtt_s"]
    negative = np.flatnonzero(rtts < 0)
    if negative.size:
        raise TraceError(f"{path}: row {int(negative[0]) + 2}, column rtt_s: must be >= 0")
    sent = columns.get("sent_s", np.arange(rtts.size) * interval)
    return Trace(arrivals_from_rtts(rtts, sent), rtts, str(path))


def _column(path: Path, rows: list[list[str]], header: list[str], name: str) -> np.ndarray:
    at = header.index(name)
    values = np.empty(len(rows) - 1)
    for k, row in enumerate(rows[1:], start=2):
        cell = row[at].strip() if at < len(row) else ""
        try:
            value = float(cell)
        except ValueError:
            raise TraceError(
                f"{path}: row {k}, column {name}: {cell!r} is not a number of seconds"
            ) from None
        if not math.isfinite(value):
            raise TraceError(f"{path}: row {k}, column {name}: {cell!r} is not finite")
        values[k - 2] = value
    return values


def dataset_trace(name: str, *, hours: float, interval: float = 1.0, seed: int = 0) -> Trace:
    """Heartbeats every ``interval`` s for ``hours``, RTTs drawn from a shipped matrix.

    The RTTs are drawn independently (seeded) from every measured pair of
    ``seattle`` (slice 1, seconds) or ``planetlab`` (milliseconds upstream,
    seconds here): the matrices are snapshots, not time series, so what this
    keeps is the spread of real delays, heavy tail included, not their
    correlation in time.
    """
    from emergent_lab.datasets import load_latency
    from emergent_lab.datasets.latency import LATENCY_DATASETS

    if name not in LATENCY_DATASETS:
        raise TraceError(f"trace: unknown dataset {name!r} (expected one of: seattle, planetlab)")
    matrix = load_latency("seattle", slice=1) if name == "seattle" else load_latency("planetlab")
    rtt = matrix.rtt_s[~np.eye(matrix.n_hosts, dtype=bool)]
    rtt = rtt[np.isfinite(rtt)]
    sent = np.arange(0.0, hours * 3600.0, interval)
    rtts = np.random.default_rng(seed).choice(rtt, size=sent.size)
    return Trace(arrivals_from_rtts(rtts, sent), rtts, f"{name} (RTTs drawn from slice 1)")
