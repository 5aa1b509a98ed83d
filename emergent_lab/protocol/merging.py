"""The gossip merge of a node's view, compiled: keep every newer state, feed its detector.

:meth:`~emergent_lab.protocol.view.View.merge` runs for every gossip
message on a few dozen states. Written with numpy it was some forty array
calls whatever the batch size, most of the exact engine's time; here it is
one loop over the batch that takes each newer state into the view's arrays
and hands each heartbeat to the detector's compiled arrival
(:func:`~emergent_lab.detector.arrivals.arrive`), in the same order and
with the same floating-point operations as before, so event logs are
unchanged bit for bit.

The rules are the view's (see :mod:`emergent_lab.protocol.view`): a node is
the only authority on its own state; a state of a buried generation comes
back only with a newer heartbeat, and a refused one still raises the
tombstone's key; a restart (a higher generation) resets the peer's
detector. The kernel first checks, changing nothing, that the view and the
detector's rings are large enough, and says what to grow if not.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.compiled import compiled
from emergent_lab.detector.arrivals import arrive, reset_row, window_after
from emergent_lab.protocol.messages import VERSION_BITS

MERGED, GROW_VIEW, WIDEN_RINGS = 0, 1, 2
"""What :func:`merge_states` did: merged, or nothing because the view (to the
returned size) or the detector's rings (to the returned width) must grow first."""
_LAST_VERSION = (1 << VERSION_BITS) - 1


@compiled
def merge_states(
    owner: int,
    buried: int,
    b_idx: IntArray,
    b_key: IntArray,
    b_heartbeat: IntArray,
    b_score: FloatArray,
    b_opinion: IntArray,
    b_status: npt.NDArray[np.int8],
    b_bytes: IntArray,
    key: IntArray,
    heartbeat: IntArray,
    score: FloatArray,
    opinion: IntArray,
    status: npt.NDArray[np.int8],
    state_bytes: IntArray,
    known: BoolArray,
    now: float,
    taken_at: IntArray,
    beats: IntArray,
    journal: IntArray,
    journal_scores: FloatArray,
    at: int,
    rule: FloatArray,
    bootstrap: FloatArray,
    ring: FloatArray,
    last: FloatArray,
    total: FloatArray,
    total_sq: FloatArray,
    suspect_at: FloatArray,
    count: IntArray,
    start: IntArray,
) -> tuple[int, int, int, bool, int]:
    """Merge the batch ``b_*`` into the view's arrays and the detector's (:class:`BankState`).

    Returns ``(outcome, taken, heartbeats, structural, buried)``: on
    :data:`MERGED`, ``taken_at[:taken]`` holds the batch positions taken (in
    batch order), ``beats[:heartbeats]`` the peers whose heartbeat advanced
    (each an arrival for the detector), ``structural`` whether a score,
    opinion or status changed or a peer became known, and ``buried`` how
    many tombstones remain. On :data:`GROW_VIEW` or :data:`WIDEN_RINGS`
    nothing changed and ``taken`` is the size to grow to.

    With ``at >= 0`` each state taken is also copied to row ``at + t`` of
    ``journal`` (:data:`~emergent_lab.protocol.journal.JOURNAL_COLUMNS`:
    who, the new key, heartbeat and opinion, the key and heartbeat the view
    held before) and its score to ``journal_scores``, which must have room
    for the whole batch (:class:`~emergent_lab.protocol.journal.MergeJournal`):
    a causal record keeps those rows instead of the message (the view's old
    values are at hand here and gone after). ``at = -1`` copies nothing.
    """
    n = b_idx.size
    width = ring.shape[1]
    need = 0
    taken = 0
    stale = n  # refused states of buried peers fill taken_at from the end
    for p in range(n):  # what to take, changing nothing yet
        i = b_idx[p]
        if i >= key.size:
            return GROW_VIEW, i + 1, 0, False, buried
        new_key, old_key = b_key[p], key[i]
        if new_key <= old_key or i == owner:
            continue
        if (
            buried
            and not known[i]
            and old_key != 0
            and (new_key >> VERSION_BITS) == (old_key >> VERSION_BITS)
            and b_heartbeat[p] <= heartbeat[i]
        ):
            stale -= 1
            taken_at[stale] = p
            continue
        taken_at[taken] = p
        taken += 1
        new_generation = new_key > (old_key | _LAST_VERSION)
        if b_heartbeat[p] > heartbeat[i] or new_generation or not known[i]:
            heard = known[i] and not new_generation
            need = max(need, window_after(rule, bootstrap, last, suspect_at, count, i, heard, now))
    if need > width:
        return WIDEN_RINGS, need, 0, False, buried
    for s in range(stale, n):  # the tombstone's key raised, so it is not asked for again
        p = taken_at[s]
        key[b_idx[p]] = b_key[p]
    structural = False
    heartbeats = 0
    for t in range(taken):
        p = taken_at[t]
        i = b_idx[p]
        new_key, old_key = b_key[p], key[i]
        if at >= 0:
            row = at + t
            journal[row, 0] = i
            journal[row, 1] = new_key
            journal[row, 2] = b_heartbeat[p]
            journal[row, 3] = b_opinion[p]
            journal[row, 4] = old_key
            journal[row, 5] = heartbeat[i]
            journal_scores[row] = b_score[p]
        was_known = known[i]
        new_generation = new_key > (old_key | _LAST_VERSION)
        advanced = b_heartbeat[p] > heartbeat[i]
        if not was_known or new_generation:
            structural = True
            if was_known:  # a restart: its detector starts afresh
                reset_row(total, total_sq, suspect_at, count, start, i)
            elif old_key != 0:
                buried -= 1
            known[i] = True
        elif b_score[p] != score[i] or b_opinion[p] != opinion[i] or b_status[p] != status[i]:
            structural = True
        key[i] = new_key
        heartbeat[i] = b_heartbeat[p]
        score[i] = b_score[p]
        opinion[i] = b_opinion[p]
        status[i] = b_status[p]
        state_bytes[i] = b_bytes[p]
        if advanced or new_generation or not was_known:
            beats[heartbeats] = i
            heartbeats += 1
            arrive(rule, bootstrap, ring, last, total, total_sq, suspect_at, count, start, i, now)
    return MERGED, taken, heartbeats, structural, buried
