"""Where a merge copies every state it takes, with what it replaced: for a causal record.

A causal record (:mod:`emergent_lab.exact.causality`) keeps what each
message taught its receiver. Keeping the message's own arrays (and the
merge's scratch saying which rows were taken) cost a dozen list appends per
delivery and held on to every row of every message, taken or not: most of
the record's memory and, through the pages that memory touched, much of its
time. Instead the compiled merge
(:func:`~emergent_lab.protocol.merging.merge_states`) writes each state it
takes as one row of a journal, next to the key and heartbeat the view held
before (gone once the merge is done), at no cost it would notice.

One journal serves every view of a run (merges happen one at a time). A
merge writes its rows from ``end`` on; whoever keeps them moves ``end``
past them (:meth:`MergeJournal.keep`), and rows not kept are overwritten by
the next merge. Rows are numbered over the whole run, kept rows only, so a
reader needs only how many rows each merge kept to find them.

The rows live in blocks of fixed size that never move (a merge's rows are
never split between two), so a row read once stays where it is: slices a
reader holds pin no buffer that has since been replaced, and a fork shares
every full block, copying only the one still being written.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

import numpy as np

from emergent_lab.core.arrays import FloatArray, IntArray

JOURNAL_COLUMNS = ("node", "key", "heartbeat", "opinion", "previous key", "previous heartbeat")
"""The columns of a journal's rows, in order (:meth:`MergeJournal.rows`)."""
BLOCK_ROWS = 1 << 16
"""Rows per block (about 3.7 MB); a larger batch gets a block of its own size."""
NO_ROWS = np.zeros((0, len(JOURNAL_COLUMNS)), dtype=np.int64)
NO_SCORES = np.zeros(0)
"""What a merge without a journal is handed (``at = -1``: it writes nothing)."""


class MergeJournal:
    """The states a run's merges took, one row each, in blocks that never move."""

    def __init__(self, *, block_rows: int = BLOCK_ROWS) -> None:
        if block_rows < 1:
            raise ValueError(f"block_rows: at least 1 (got {block_rows!r})")
        self._block_rows = block_rows
        self._bases: list[int] = []
        """The number (over the run) of each block's first row."""
        self._blocks: list[IntArray] = []
        self._scores: list[FloatArray] = []
        self.block: IntArray = NO_ROWS
        """The block merges write to now (its rows from ``end`` on are free)."""
        self.block_scores: FloatArray = NO_SCORES
        self.end = 0
        """Rows kept in the current block."""

    def __deepcopy__(self, memo: dict[int, Any]) -> MergeJournal:
        """A fork's journal: full blocks shared (never written again), the current one copied."""
        twin = MergeJournal(block_rows=self._block_rows)
        twin._bases = list(self._bases)
        twin._blocks = list(self._blocks)
        twin._scores = list(self._scores)
        if self._blocks:
            twin.block, twin.block_scores = self.block.copy(), self.block_scores.copy()
            twin._blocks[-1], twin._scores[-1] = twin.block, twin.block_scores
        twin.end = self.end
        return twin

    @property
    def kept(self) -> int:
        """How many rows were kept so far (the number the next kept row gets)."""
        return self._bases[-1] + self.end if self._bases else 0

    def reserve(self, count: int) -> int:
        """Make room for ``count`` rows in the current block; return where they start in it."""
        if self.end + count > self.block_scores.shape[0]:
            base = self.kept
            rows = max(self._block_rows, count)
            self.block = np.empty((rows, len(JOURNAL_COLUMNS)), dtype=np.int64)
            self.block_scores = np.empty(rows)
            self._bases.append(base)
            self._blocks.append(self.block)
            self._scores.append(self.block_scores)
            self.end = 0
        return self.end

    def keep(self, count: int) -> None:
        """Keep the ``count`` rows the last merge wrote (from ``end``)."""
        self.end += count

    def rows(self, start: int, count: int) -> tuple[IntArray, FloatArray]:
        """Kept rows ``start`` to ``start + count`` (one merge's): their columns and scores.

        Both are views of the block, which is never written there again.
        """
        if not 0 <= start <= start + count <= self.kept:
            raise IndexError(f"rows: {start}..{start + count} not kept (0..{self.kept})")
        if not count:  # fresh views: a reader may mark them read-only
            return NO_ROWS[:0], NO_SCORES[:0]
        k = bisect_right(self._bases, start) - 1
        first = start - self._bases[k]
        stop = first + count
        return self._blocks[k][first:stop], self._scores[k][first:stop]
