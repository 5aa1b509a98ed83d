"""The merges of one slot: every transfer, in order, for the full and the top-k view."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from emergent_lab.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.scale.kernels import (
    COUNT,
    HB,
    ID,
    KEY,
    LAST,
    SCORE,
    SUSPECT,
    SUSPECTED,
    TOTAL,
    TOTAL_SQ,
    compiled,
)
from emergent_lab.scale.kernels.phi import heartbeat_arrived, is_alive


@compiled
def merge_full(
    dst: IntArray,
    src: IntArray,
    now: float,
    rule: FloatArray,
    key: IntArray,
    hb: IntArray,
    score: FloatArray,
    last: FloatArray,
    count: npt.NDArray[np.int32],
    total: FloatArray,
    total_sq: FloatArray,
    suspect_at: FloatArray,
    suspected: BoolArray,
    opinion: npt.NDArray[np.int32],
    version_bits: int,
    structural: BoolArray,
) -> int:
    """Full views: each ``dst[p]`` keeps, per node, the newer of its entry and ``src[p]``'s.

    Transfers are applied in order. A newer generation (or a first hearing)
    takes the source's detector state with the entry; a newer heartbeat of
    the same generation is an arrival at ``now``. ``structural[p]`` tells
    whether a score, an opinion or a member changed. Returns the entries
    that travelled.
    """
    taken = 0
    for p in range(dst.size):
        d, s = dst[p], src[p]
        changed = False
        for c in range(key.shape[1]):
            new_key = key[s, c]
            old_key = key[d, c]
            if new_key <= old_key:
                continue
            taken += 1
            fresh = old_key == 0 or (new_key >> version_bits) > (old_key >> version_bits)
            beat = not fresh and hb[s, c] > hb[d, c]
            if fresh or score[s, c] != score[d, c] or opinion[s, c] != opinion[d, c]:
                changed = True
            key[d, c] = new_key
            hb[d, c] = hb[s, c]
            score[d, c] = score[s, c]
            opinion[d, c] = opinion[s, c]
            if fresh:
                last[d, c] = last[s, c]
                count[d, c] = count[s, c]
                total[d, c] = total[s, c]
                total_sq[d, c] = total_sq[s, c]
                suspect_at[d, c] = suspect_at[s, c]
                suspected[d, c] = not is_alive(rule, suspect_at[d, c], now)
            elif beat:
                n_count, n_total, n_total_sq, n_suspect = heartbeat_arrived(
                    rule,
                    now,
                    last[d, c],
                    np.float64(count[d, c]),
                    total[d, c],
                    total_sq[d, c],
                    suspect_at[d, c],
                )
                last[d, c] = now
                count[d, c] = np.int32(n_count)
                total[d, c] = n_total
                total_sq[d, c] = n_total_sq
                suspect_at[d, c] = n_suspect
        structural[p] = changed
    return taken


@compiled
def merge_topk(
    dst: IntArray,
    src: IntArray,
    now: float,
    rule: FloatArray,
    table: FloatArray,
    own: FloatArray,
    src_key: IntArray,
    src_hb: IntArray,
    src_score: FloatArray,
    src_opinion: IntArray,
    tie: FloatArray,
    generation: float,
    sample: npt.NDArray[np.int32],
    sample_next: IntArray,
    empty: FloatArray,
    start: int,
    structural: BoolArray,
    suspicions: IntArray,
) -> tuple[int, int, int]:
    """Top-k lists: each ``dst[p]`` keeps the best k of its list, ``src[p]``'s and ``src[p]``.

    Transfers are applied in order. ``own`` is the entry a node's own state
    travels as (detector fields of a first hearing at time 0). Lists stay
    ordered: alive to the holder first, then by score, then by id rank;
    empty slots hold ``empty``. Each transfer also puts the source's
    opinion in the destination's ring of sampled opinions.

    New suspicions are written as (observer, subject) rows of
    ``suspicions``; when it could overflow, the kernel stops early so the
    caller can read them and resume from the returned position.

    Returns (entries that travelled, suspicions written, transfers done up to).
    """
    k, fields = table.shape[1], table.shape[2]
    rows = np.empty((2 * k + 1, fields))
    priority = np.empty(2 * k + 1)
    order = np.empty(2 * k + 1, dtype=np.int64)
    got = np.zeros(k + 1, dtype=np.bool_)
    incoming = np.empty(fields)
    taken = 0
    found = 0
    for p in range(start, dst.size):
        if found + k > suspicions.shape[0]:
            return taken, found, p
        d, s = dst[p], src[p]
        got[:] = False
        changed = False
        # rows[:k]: d's list, updated with what s knows of the same nodes.
        for i in range(k):
            for f in range(fields):
                rows[i, f] = table[d, i, f]
            my_id = rows[i, ID]
            if my_id < 0:
                continue
            j = -1
            for candidate in range(k):
                if table[s, candidate, ID] == my_id:
                    j = candidate
                    break
            if j < 0 and my_id == s:
                j = k
            fresh = False
            if j >= 0:
                got[j] = True
                if j < k:
                    for f in range(fields):
                        incoming[f] = table[s, j, f]
                else:
                    _own_entry(incoming, own, s, src_key[p], src_hb[p], src_score[p], now)
                if incoming[KEY] > rows[i, KEY]:
                    taken += 1
                    fresh = incoming[KEY] // generation >= rows[i, KEY] // generation + 1
                    beat = not fresh and incoming[HB] > rows[i, HB]
                    if fresh or incoming[SCORE] != rows[i, SCORE]:
                        changed = True
                    rows[i, KEY] = incoming[KEY]
                    rows[i, HB] = incoming[HB]
                    rows[i, SCORE] = incoming[SCORE]
                    if fresh:
                        for f in range(LAST, SUSPECT + 1):
                            rows[i, f] = incoming[f]
                    elif beat:
                        n_count, n_total, n_total_sq, n_suspect = heartbeat_arrived(
                            rule,
                            now,
                            rows[i, LAST],
                            rows[i, COUNT],
                            rows[i, TOTAL],
                            rows[i, TOTAL_SQ],
                            rows[i, SUSPECT],
                        )
                        rows[i, LAST] = now
                        rows[i, COUNT] = n_count
                        rows[i, TOTAL] = n_total
                        rows[i, TOTAL_SQ] = n_total_sq
                        rows[i, SUSPECT] = n_suspect
            down = not is_alive(rule, rows[i, SUSPECT], now)
            if down and rows[i, SUSPECTED] == 0 and not fresh:
                suspicions[found, 0] = d
                suspicions[found, 1] = np.int64(my_id)
                found += 1
            rows[i, SUSPECTED] = 1.0 if down else 0.0
        # rows[k:]: candidates d did not list (s's entries, then s itself).
        width = k
        for candidate in range(k + 1):
            if got[candidate]:
                continue
            if candidate < k:
                their_id = table[s, candidate, ID]
                if their_id < 0 or their_id == d:
                    continue
                for f in range(fields):
                    rows[width, f] = table[s, candidate, f]
            else:
                _own_entry(rows[width], own, s, src_key[p], src_hb[p], src_score[p], now)
            alive = is_alive(rule, rows[width, SUSPECT], now)
            rows[width, SUSPECTED] = 0.0 if alive else 1.0
            width += 1
            taken += 1
            changed = True
        # Keep the best k, by priority; an insertion sort, stable, and cheap
        # since a list is mostly in order already.
        held = 0
        for row in range(width):
            if rows[row, ID] < 0:
                continue
            listed = 4.0 if is_alive(rule, rows[row, SUSPECT], now) else 0.0
            value = listed + rows[row, SCORE] - tie[np.int64(rows[row, ID])]
            at = held
            while at > 0 and priority[at - 1] < value:
                priority[at] = priority[at - 1]
                order[at] = order[at - 1]
                at -= 1
            priority[at] = value
            order[at] = row
            held += 1
        for slot in range(k):
            if slot < held:
                for f in range(fields):
                    table[d, slot, f] = rows[order[slot], f]
            else:
                for f in range(fields):
                    table[d, slot, f] = empty[f]
        structural[p] = changed
        ring = sample_next[d]
        sample[d, ring] = src_opinion[p]
        sample_next[d] = (ring + 1) % k
    return taken, found, dst.size


@compiled
def _own_entry(
    out: FloatArray, own: FloatArray, node: int, key: int, hb: int, score: float, now: float
) -> None:
    """The entry a node's own state travels as: its key, heartbeat and score, heard at ``now``."""
    for f in range(own.size):
        out[f] = own[f]
    out[ID] = node
    out[KEY] = key
    out[HB] = hb
    out[SCORE] = score
    out[LAST] = now
    out[SUSPECT] = own[SUSPECT] + now
