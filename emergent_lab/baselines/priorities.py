"""What a Bully member knows of the others' priorities, and whom its election must ask.

A Bully node learns each member's priority (its score) from the messages that
member sends; a member it has not heard from yet may outrank it. An election
asks every member that may, so at n = 1,000 one election looks at a thousand
members, and a failover holds about a thousand elections. Looked up one by
one in Python, that scan was 8 % of a profiled failover at n = 200; here one
compiled loop over the learned scores picks the members to ask, in index
order (the order the election sends in, so the run's event log does not
change). Whether one member outranks another is
:func:`~emergent_lab.protocol.rules.outranks`, the emergent leader rule's own
comparison, so both protocols order the members the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.compiled import compiled
from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.rules import outranks

_outranks: Callable[[float, int, float, int], bool] = outranks.py_func  # type: ignore[attr-defined]
"""The same rule, uncompiled: for one comparison from Python a numba call costs more."""


@compiled
def _challengers(
    known: BoolArray, scores: FloatArray, rank: IntArray, me: int, score: float, out: IntArray
) -> int:
    """Fill ``out`` with the members other than ``me`` that may outrank it; return how many.

    A member may outrank ``me`` if its score is unknown or if it outranks
    ``me`` (``score``, ``rank[me]``). Members past the end of ``known`` were
    interned after it was sized, so they are unknown too.
    """
    count = 0
    for member in range(out.size):
        if member == me:
            continue
        if member >= known.size or not known[member]:
            out[count] = member
            count += 1
        elif outranks(scores[member], rank[member], score, rank[me]):
            out[count] = member
            count += 1
    return count


class Priorities:
    """The scores one member has learned of the others, indexed by member.

    Every message teaches a score, so learning one is a store into a Python
    list (a numpy element costs several times more); an election, far rarer,
    reads them as arrays.

    Args:
        ids: the id table (its ``rank`` breaks ties between equal scores).
        me: the index of the member that holds this table.
    """

    def __init__(self, ids: IdTable, me: int) -> None:
        self.ids = ids
        self.me = me
        self._known: list[bool] = [False] * len(ids)
        self._scores: list[float] = [0.0] * len(ids)
        self._scratch: IntArray = np.zeros(len(ids), dtype=np.int64)

    def learn(self, member: int, score: float) -> None:
        """Note ``member``'s score, as its latest message carried it."""
        if member >= len(self._known):
            self._grow(len(self.ids))
        self._known[member] = True
        self._scores[member] = score

    def score_of(self, member: int) -> float | None:
        """The score last learned of ``member`` (None if none was)."""
        if member >= len(self._known) or not self._known[member]:
            return None
        return self._scores[member]

    def scores_of(self, members: IntArray) -> FloatArray:
        """The learned score of each of ``members`` (NaN where none was)."""
        learned = [self.score_of(int(member)) for member in members]
        return np.array([math.nan if s is None else s for s in learned], dtype=np.float64)

    def outranks(self, a: int, a_score: float, b: int, b_score: float) -> bool:
        """Whether member ``a`` with ``a_score`` has priority over ``b`` with ``b_score``."""
        rank = self.ids.rank_list
        return bool(_outranks(a_score, rank[a], b_score, rank[b]))

    def challengers(self, score: float) -> IntArray:
        """The members, in index order, that may outrank this member (own score ``score``).

        The result is a view of scratch space, valid until the next call.
        """
        n = len(self.ids)
        if self._scratch.size != n:
            self._scratch = np.zeros(n, dtype=np.int64)
        scratch = self._scratch
        known = np.array(self._known, dtype=bool)
        scores = np.array(self._scores, dtype=np.float64)
        count = _challengers(known, scores, self.ids.rank, self.me, score, scratch)
        return scratch[:count]

    def _grow(self, n: int) -> None:
        """Make room for members interned since the table was made (unknown until heard)."""
        grown = n - len(self._known)
        self._known += [False] * grown
        self._scores += [0.0] * grown
