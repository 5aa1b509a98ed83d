"""Ideal rumour spreading: the reference that the engines' dissemination is measured against.

This module imports nothing from emergent_lab (a test checks it), so that
measuring the engine against it compares two independent programs. It
simulates only the rumour: who is informed, which random calls happen and
when. No versions, views, detectors or messages.

Two timings of the random phone-call model (Karp, Schindelhauer, Shenker and
Vöcking 2000), where every node calls ``fanout`` distinct random other nodes
per round:

- **synchronous** (:func:`sync_spread`): all calls of a round happen at
  once, on what the nodes knew when the round began. The textbook model, for
  which the asymptotics of :mod:`emergent_lab.analysis.theory` are derived.
- **asynchronous** (:func:`async_rounds`): the engines' timing. Every node
  has its own random phase in ``[0, 1)`` and calls at ``round + phase``,
  one node after another in phase order, so a node informed early in a round
  can pass the rumour on in the same round. Within one call the caller first
  pushes what it knew before the call, then pulls (as the array engine's
  exchange does, and as the exact engine's SYN/ACK/ACK2 does with no delay).
  With ``slots``, the time of each call is reported as the middle of the
  quarter (or ``1/slots``) of the round its phase falls in, as the array
  engine reports a slot's time; the order of calls is unchanged.

Node 0 starts informed; by symmetry the result does not depend on which node.
"""

from __future__ import annotations

from typing import Literal

import numba
import numpy as np
import numpy.typing as npt

Exchange = Literal["push", "pull", "push-pull"]
EXCHANGES: tuple[Exchange, ...] = ("push", "pull", "push-pull")
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _check(n: int, fanout: int, exchange: str, slots: int | None = None) -> None:
    """Refuse bad arguments with one message naming the argument and what is allowed."""
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n: expected an integer >= 2, got {n!r}")
    if not isinstance(fanout, int) or not 1 <= fanout <= n - 1:
        raise ValueError(
            f"fanout: expected an integer in [1, n - 1] = [1, {n - 1}], got {fanout!r}"
        )
    if exchange not in EXCHANGES:
        raise ValueError(
            f"exchange: unknown exchange {exchange!r} (expected one of: {', '.join(EXCHANGES)})"
        )
    if slots is not None and (not isinstance(slots, int) or slots < 1):
        raise ValueError(f"slots: expected an integer >= 1 or None, got {slots!r}")


def draw_partners(n: int, fanout: int, rng: np.random.Generator) -> IntArray:
    """For every node, ``fanout`` distinct other nodes, uniformly at random (one row per node)."""
    callers = np.arange(n, dtype=np.int64)[:, None]
    # A draw from 0..n-2, shifted past the caller, is uniform over the others.
    partners: IntArray = rng.integers(0, n - 1, size=(n, fanout), dtype=np.int64)
    partners += partners >= callers
    for column in range(1, fanout):
        clash = (partners[:, :column] == partners[:, column : column + 1]).any(axis=1)
        while clash.any():
            redraw = rng.integers(0, n - 1, size=int(clash.sum()), dtype=np.int64)
            partners[clash, column] = redraw + (redraw >= callers[clash, 0])
            clash = (partners[:, :column] == partners[:, column : column + 1]).any(axis=1)
    return partners


def sync_spread(
    n: int, *, fanout: int = 1, exchange: Exchange = "push-pull", rng: np.random.Generator
) -> list[int]:
    """Informed nodes after each round of the synchronous model (index 0: before any round)."""
    _check(n, fanout, exchange)
    informed = np.zeros(n, dtype=bool)
    informed[0] = True
    counts = [1]
    while counts[-1] < n:
        before = informed.copy()
        partners = draw_partners(n, fanout, rng)
        if exchange != "pull":
            informed[partners[before].ravel()] = True
        if exchange != "push":
            informed |= before[partners].any(axis=1)
        counts.append(int(informed.sum()))
    return counts


def sync_rounds(
    n: int, *, fanout: int = 1, exchange: Exchange = "push-pull", rng: np.random.Generator
) -> int:
    """Rounds until every node is informed, synchronous model."""
    return len(sync_spread(n, fanout=fanout, exchange=exchange, rng=rng)) - 1


def _calls_in_order(
    order: IntArray, partners: IntArray, informed: BoolArray, push: bool, pull: bool, left: int
) -> int:
    """One round of calls in phase order: where in ``order`` the last node got informed, or -1.

    With -1 some remain and ``informed`` holds the round's result. ``left``
    is how many nodes are uninformed when the round begins.
    """
    for position in range(order.size):
        caller = order[position]
        knew = informed[caller]
        if push and knew:
            for column in range(partners.shape[1]):
                callee = partners[caller, column]
                if not informed[callee]:
                    informed[callee] = True
                    left -= 1
        if pull and not informed[caller]:
            for column in range(partners.shape[1]):
                if informed[partners[caller, column]]:
                    informed[caller] = True
                    left -= 1
                    break
        if left == 0:
            return position
    return -1


calls_in_order = numba.njit(cache=True)(_calls_in_order)
"""The compiled round; ``_calls_in_order`` is the same code run by the interpreter."""


def async_rounds(
    n: int,
    *,
    fanout: int = 1,
    exchange: Exchange = "push-pull",
    rng: np.random.Generator,
    slots: int | None = None,
    compiled: bool = True,
) -> float:
    """Time, in rounds, until every node is informed with asynchronous timing.

    ``slots=None`` gives the exact time of the last call that informed a node
    (``round + phase``); ``slots=4`` reports it as the middle of its quarter
    round, as the array engine does. ``compiled=False`` runs the same loop in
    the interpreter (slow, for checking the compiled one).
    """
    _check(n, fanout, exchange, slots)
    phase = rng.random(n)
    order: IntArray = np.argsort(phase, kind="stable").astype(np.int64)
    informed = np.zeros(n, dtype=bool)
    informed[0] = True
    run = calls_in_order if compiled else _calls_in_order
    push, pull = exchange != "pull", exchange != "push"
    round_number = 0
    while True:
        partners = draw_partners(n, fanout, rng)
        left = n - int(informed.sum())
        last = int(run(order, partners, informed, push, pull, left))
        if last >= 0:
            at = float(phase[order[last]])
            if slots is not None:
                at = (np.floor(at * slots) + 0.5) / slots
            return round_number + at
        round_number += 1
