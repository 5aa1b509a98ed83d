"""The full view's merges of one slot, one transfer after another.

As in :mod:`.merge` (the top-k view's), a slot's transfers take effect in
order; a full view's transfer is a column-by-column maximum of version keys,
so it needs none of the top-k list's ordering and lives here on its own.
"""

from __future__ import annotations

import numpy as np

from emergent_lab.array.kernels import FullArrays, Transfers
from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.compiled import compiled
from emergent_lab.detector.rule import is_alive
from emergent_lab.detector.sums import heartbeat_arrived


@compiled
def merge_full(t: Transfers, v: FullArrays, now: float, rule: FloatArray, version_bits: int) -> int:
    """Full views: each ``dst[p]`` keeps, per node, the newer of its entry and ``src[p]``'s.

    A newer generation (or a first hearing) takes the source's detector
    state with the entry; a newer heartbeat of the same generation is an
    arrival at ``now``. ``t.structural[p]`` tells whether a score, an
    opinion or a member changed. Merges find no suspicions here (looks
    do). Returns the entries that travelled.
    """
    taken = 0
    for p in range(t.dst.size):
        taken += _full_transfer(p, t, v, now, rule, version_bits)
    return taken


@compiled
def _full_transfer(
    p: int, t: Transfers, v: FullArrays, now: float, rule: FloatArray, version_bits: int
) -> int:
    """Apply transfer ``p`` to a full view; return the entries that travelled."""
    d, s = t.dst[p], t.src[p]
    taken = 0
    changed = False
    for c in range(v.key.shape[1]):
        new_key = v.key[s, c]
        old_key = v.key[d, c]
        if new_key <= old_key:
            continue
        taken += 1
        fresh = old_key == 0 or (new_key >> version_bits) > (old_key >> version_bits)
        beat = not fresh and v.hb[s, c] > v.hb[d, c]
        if fresh or v.score[s, c] != v.score[d, c] or v.opinion[s, c] != v.opinion[d, c]:
            changed = True
        v.key[d, c] = new_key
        v.hb[d, c] = v.hb[s, c]
        v.score[d, c] = v.score[s, c]
        v.opinion[d, c] = v.opinion[s, c]
        if fresh:
            v.last[d, c] = v.last[s, c]
            v.intervals[d, c] = v.intervals[s, c]
            v.total[d, c] = v.total[s, c]
            v.total_sq[d, c] = v.total_sq[s, c]
            v.suspect_at[d, c] = v.suspect_at[s, c]
            v.suspected[d, c] = not is_alive(rule, v.suspect_at[d, c], now)
        elif beat:
            n_count, n_total, n_total_sq, n_suspect = heartbeat_arrived(
                rule,
                now,
                v.last[d, c],
                np.float64(v.intervals[d, c]),
                v.total[d, c],
                v.total_sq[d, c],
                v.suspect_at[d, c],
            )
            v.last[d, c] = now
            v.intervals[d, c] = np.int32(n_count)
            v.total[d, c] = n_total
            v.total_sq[d, c] = n_total_sq
            v.suspect_at[d, c] = n_suspect
    t.structural[p] = changed
    return taken
