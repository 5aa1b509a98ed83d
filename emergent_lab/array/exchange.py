"""One slot's gossip exchanges on arrays: who talks to whom, and which messages arrive.

The array engine runs a slot's exchanges all at once. Drawing the partners,
deciding which of each exchange's messages survive loss and faults, and
ordering the resulting one-way transfers are pure functions of the run's
generator and the cluster's arrays; the generator is drawn in a fixed order
(partners, redraws, then SYN, ACK and ACK2 losses), which keeps a run's event
log the same, seed for seed.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from emergent_lab.core.arrays import BoolArray, IntArray
from emergent_lab.core.compiled import compiled


def _draw(rng: np.random.Generator, initiators: IntArray, n: int, count: int) -> IntArray:
    """``count`` random partners per initiator, never itself."""
    drawn = rng.integers(0, n - 1, size=(initiators.size, count))
    result: IntArray = drawn + (drawn >= initiators[:, None])
    return result


def draw_pairs(
    rng: np.random.Generator,
    initiators: IntArray,
    *,
    n: int,
    fanout: int,
    avoid: BoolArray | None,
) -> tuple[IntArray, IntArray]:
    """Each initiator with ``fanout`` distinct random partners, in initiator order.

    ``avoid`` (a full view's suspicions, holder × subject) makes a suspected
    partner be drawn once more, as a node picks its gossip targets among the
    peers it believes alive.
    """
    fanout = min(fanout, n - 1)
    if fanout < 1 or not initiators.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    partners = _draw(rng, initiators, n, fanout)
    if avoid is not None:
        rows = np.repeat(initiators, fanout).reshape(-1, fanout)
        redraw = avoid[rows, partners]
        if redraw.any():
            partners = np.where(redraw, _draw(rng, initiators, n, fanout), partners)
    for column in range(1, fanout):
        clash = (partners[:, :column] == partners[:, column : column + 1]).any(axis=1)
        while clash.any():
            partners[clash, column] = _draw(rng, initiators[clash], n, 1)[:, 0]
            clash = (partners[:, :column] == partners[:, column : column + 1]).any(axis=1)
    return np.repeat(initiators, fanout), partners.ravel()


class Delivered(NamedTuple):
    """Which side of each exchange learned from the other, and the messages that arrived."""

    a_gets: BoolArray
    b_gets: BoolArray
    syn_ok: int
    ack_ok: int
    ack2_ok: int


def deliveries(
    rng: np.random.Generator, reachable: BoolArray, *, loss: float, push: bool
) -> Delivered:
    """Which side of each exchange learns from the other, after loss and faults.

    Push-pull is SYN a→b, ACK b→a (a learns), ACK2 a→b (b learns): a lost
    SYN or ACK stops the exchange, a lost ACK2 leaves only a informed. A push
    is the SYN alone, and b learns from it.
    """
    size = reachable.size
    syn, ack, ack2 = (rng.random(size) >= loss for _ in range(3))
    syn_ok = reachable & syn
    if push:
        return Delivered(np.zeros(size, dtype=bool), syn_ok, int(syn_ok.sum()), 0, 0)
    a_gets = syn_ok & ack
    b_gets = a_gets & ack2
    return Delivered(a_gets, b_gets, int(syn_ok.sum()), int(a_gets.sum()), int(b_gets.sum()))


def transfers(
    a: IntArray, b: IntArray, got: Delivered, *, fanout: int
) -> tuple[IntArray, IntArray]:
    """The one-way state transfers of the exchanges, in the order they happen.

    An initiator sends one digest to all its partners at once, so what
    its partners learn from it (the ACK2, or the push) is its state from
    before the tick, and what it learns from them (the ACKs) comes after:
    news from one partner does not reach another in the same tick. Per
    initiator, the transfers are therefore its pushes, then its pulls.
    """
    dst = np.empty(2 * a.size, dtype=np.int64)
    src = np.empty(2 * a.size, dtype=np.int64)
    count = _in_order(a, b, got.a_gets, got.b_gets, fanout, dst, src)
    return dst[:count], src[:count]


@compiled
def _in_order(
    a: IntArray,
    b: IntArray,
    a_gets: BoolArray,
    b_gets: BoolArray,
    fanout: int,
    dst: IntArray,
    src: IntArray,
) -> int:
    """Write the transfers that happen into ``dst`` and ``src``; return how many.

    One pass in numba: the same order built from whole-array concatenations
    and a mask took a fifth of a slot's time outside the merges at 10^6 nodes.
    """
    count = 0
    for first in range(0, a.size, fanout):
        for p in range(first, first + fanout):
            if b_gets[p]:
                dst[count], src[count] = b[p], a[p]
                count += 1
        for p in range(first, first + fanout):
            if a_gets[p]:
                dst[count], src[count] = a[p], b[p]
                count += 1
    return count
