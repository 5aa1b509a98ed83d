"""One heartbeat arrival at one peer's detector, compiled: the bank's hot path.

A node's :class:`~emergent_lab.detector.bank.DetectorBank` takes a heartbeat
for a few peers on every gossip merge. Done with numpy, each arrival costs a
dozen array calls whatever the number of peers, so the exact engine spent
most of its time in call overhead; here an arrival is a few scalar
operations on the bank's rows, called from the bank itself and from the
view's compiled merge (:mod:`emergent_lab.protocol.merging`).

Every float is computed in the order of the scalar detectors
(:class:`~emergent_lab.detector.akka.HeartbeatHistory`: drop the oldest
interval, then add the new one; mean and variance from the running sums;
the deviation floored), so the bank, the scalar detectors and the event
logs pinned in the tests agree bit for bit.

A bank's state as these kernels read it is :class:`BankState`: the rule
array (:mod:`.rule`), the bootstrap intervals, the interval rings (one row
per peer, ``width`` columns) and the per-peer sums, counts and deadlines.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from emergent_lab.core.arrays import FloatArray, IntArray
from emergent_lab.core.compiled import compiled, inlined
from emergent_lab.detector.rule import AKKA, MAX_INTERVAL, MAX_SAMPLE, suspect_time


class BankState(NamedTuple):
    """A bank's arrays in the order the kernels take them (rows are peers)."""

    rule: FloatArray
    bootstrap: FloatArray
    ring: FloatArray
    last: FloatArray
    total: FloatArray
    total_sq: FloatArray
    suspect_at: FloatArray
    samples: IntArray
    """Intervals held per peer (``count`` in the kernels; the name is taken by ``tuple``)."""
    start: IntArray


@inlined
def window_after(
    rule: FloatArray,
    bootstrap: FloatArray,
    last: FloatArray,
    suspect_at: FloatArray,
    count: IntArray,
    row: int,
    heard: bool,
    now: float,
) -> int:
    """How many intervals the row's window holds after an arrival at ``now`` (capped).

    ``heard`` False treats the row as never heard (it is about to be reset).
    The caller widens the rings to this before :func:`arrive` runs, so an
    arrival never has to grow an array.
    """
    if not heard or count[row] == 0:
        held = bootstrap.size
    elif rule[AKKA]:
        held = count[row] + 1 if now < suspect_at[row] else count[row]
    else:
        held = count[row] + 1 if now - last[row] <= rule[MAX_INTERVAL] else count[row]
    return min(held, int(rule[MAX_SAMPLE]))


@inlined
def _append(
    ring: FloatArray,
    total: FloatArray,
    total_sq: FloatArray,
    count: IntArray,
    start: IntArray,
    row: int,
    value: float,
) -> None:
    """Push one interval, dropping the oldest once the window is full (rings wide enough).

    Columns wrap by a subtraction, not ``%``: both operands are below the
    width, and an integer division costs more than the rest of the push.
    """
    width = ring.shape[1]
    held = count[row]
    if held < width:  # rings start at column 0 until they are full at max_sample_size
        column = start[row] + held
        ring[row, column - width if column >= width else column] = value
        total[row] = total[row] + value
        total_sq[row] = total_sq[row] + value * value
        count[row] = held + 1
        return
    first = start[row]
    dropped = ring[row, first]
    total[row] = (total[row] - dropped) + value
    total_sq[row] = (total_sq[row] - dropped * dropped) + value * value
    ring[row, first] = value
    start[row] = first + 1 if first + 1 < width else 0


@inlined
def refresh_row(
    rule: FloatArray,
    last: FloatArray,
    total: FloatArray,
    total_sq: FloatArray,
    suspect_at: FloatArray,
    count: IntArray,
    row: int,
) -> None:
    """Recompute the row's deadline from its sums (:func:`~.rule.suspect_time`)."""
    suspect_at[row] = suspect_time(rule, last[row], float(count[row]), total[row], total_sq[row])


@inlined
def reset_row(
    total: FloatArray,
    total_sq: FloatArray,
    suspect_at: FloatArray,
    count: IntArray,
    start: IntArray,
    row: int,
) -> None:
    """Back to never heard (a restart under a new generation)."""
    count[row] = 0
    start[row] = 0
    total[row] = 0.0
    total_sq[row] = 0.0
    suspect_at[row] = math.inf


@inlined
def arrive(
    rule: FloatArray,
    bootstrap: FloatArray,
    ring: FloatArray,
    last: FloatArray,
    total: FloatArray,
    total_sq: FloatArray,
    suspect_at: FloatArray,
    count: IntArray,
    start: IntArray,
    row: int,
    now: float,
) -> None:
    """A heartbeat from the row's peer at ``now`` (rings already as wide as :func:`window_after`).

    A never-heard peer is seeded with the bootstrap intervals; a heard one
    records the interval since its last heartbeat if, as in Akka, it was still
    available just before ``now`` (Cassandra: if the interval is at most
    ``max_interval``).
    """
    if count[row] == 0:
        for b in range(bootstrap.size):
            _append(ring, total, total_sq, count, start, row, bootstrap[b])
    else:
        interval = now - last[row]
        if rule[AKKA]:
            record = now < suspect_at[row]
        else:
            record = interval <= rule[MAX_INTERVAL]
        if record:
            _append(ring, total, total_sq, count, start, row, interval)
    last[row] = now
    refresh_row(rule, last, total, total_sq, suspect_at, count, row)


@compiled
def window_needed(
    rule: FloatArray,
    bootstrap: FloatArray,
    last: FloatArray,
    suspect_at: FloatArray,
    count: IntArray,
    rows: IntArray,
    now: float,
) -> int:
    """The longest window any of ``rows`` holds after an arrival at ``now``."""
    need = 0
    for r in range(rows.size):
        need = max(need, window_after(rule, bootstrap, last, suspect_at, count, rows[r], True, now))
    return need


@compiled
def arrive_all(
    rule: FloatArray,
    bootstrap: FloatArray,
    ring: FloatArray,
    last: FloatArray,
    total: FloatArray,
    total_sq: FloatArray,
    suspect_at: FloatArray,
    count: IntArray,
    start: IntArray,
    rows: IntArray,
    now: float,
) -> None:
    """:func:`arrive` for each of ``rows`` (unique; rings as wide as :func:`window_needed`)."""
    for r in range(rows.size):
        arrive(rule, bootstrap, ring, last, total, total_sq, suspect_at, count, start, rows[r], now)
