"""The top-k merges of one slot, one transfer after another.

A slot's transfers take effect one by one, in order (a node that learns
something early in the slot passes it on later in it). In that order an
initiator's exchanges touch the same few lists one after another, which stay
in cache; what costs is fetching the lists of the next initiators, so the
top-k merge prefetches them a few transfers ahead. (Running independent
transfers on two threads was tried: it scatters those neighbours, and was
slower on this two-core machine at every size measured.)
"""

from __future__ import annotations

import numpy as np

from emergent_lab.array.kernels import (
    COUNT,
    HB,
    HEAD_SIZE,
    ID,
    KEY,
    LAST,
    OPINION,
    SCORE,
    SUSPECT,
    SUSPECTED,
    TIMING_SIZE,
    TOTAL,
    TOTAL_SQ,
    TopKArrays,
    TopKScratch,
    Transfers,
    prefetch,
)
from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.compiled import compiled, inlined
from emergent_lab.detector.rule import is_alive
from emergent_lab.detector.sums import heartbeat_arrived
from emergent_lab.protocol.messages import VERSION_BITS

AHEAD = 8
"""How many transfers ahead the top-k merge prefetches the lists it will read."""


@compiled
def merge_topk(
    start: int,
    t: Transfers,
    v: TopKArrays,
    now: float,
    rule: FloatArray,
    suspicions: IntArray,
    scratch: TopKScratch,
) -> tuple[int, int, int]:
    """Top-k lists: each ``dst[p]`` keeps the best k of its list, ``src[p]``'s and ``src[p]``.

    Lists stay ordered: alive to the holder first, then by score, then by
    id rank; empty slots hold the empty entry. ``v.own`` is the timing a
    node's own state travels with (a first hearing at time 0). Each
    transfer also puts the source's opinion in the destination's ring of
    sampled opinions, with the time it was heard.

    New suspicions are written as (observer, subject) rows of
    ``suspicions``; the kernel stops early rather than overflow it, so the
    caller can read them and resume. Returns (entries that travelled,
    suspicions written, transfers done up to).
    """
    k = v.head.shape[1]
    heads, timings = v.head.reshape(-1), v.timing.reshape(-1)
    samples, sample_ats = v.sample.reshape(-1), v.sample_at.reshape(-1)
    tomb_ids = v.tomb_id.reshape(-1)
    head_size, timing_size = k * v.head.shape[2], k * v.timing.shape[2]
    states, state_size = v.states.reshape(-1), v.states.shape[1]
    taken, found = 0, 0
    for p in range(start, t.dst.size):
        if found + k > suspicions.shape[0]:
            return taken, found, p
        if p + AHEAD < t.dst.size:
            d, s = t.dst[p + AHEAD], t.src[p + AHEAD]
            for offset in range(0, head_size, 8):
                prefetch(heads, d * head_size + offset)
                prefetch(heads, s * head_size + offset)
            for offset in range(0, timing_size, 8):
                prefetch(timings, d * timing_size + offset)
            prefetch(states, s * state_size)
            prefetch(v.sample_next, d)
            prefetch(samples, d * k)
            prefetch(sample_ats, d * k)
            prefetch(tomb_ids, d * k)
        travelled, found = _topk_transfer(p, t, v, now, rule, scratch, suspicions, found)
        taken += travelled
    return taken, found, t.dst.size


@inlined
def _topk_transfer(
    p: int,
    t: Transfers,
    v: TopKArrays,
    now: float,
    rule: FloatArray,
    scratch: TopKScratch,
    suspicions: IntArray,
    found: int,
) -> tuple[int, int]:
    """Apply transfer ``p`` to a top-k list; return (entries that travelled, suspicions so far).

    The destination's entries are updated where they stand; the list is
    rebuilt only when a candidate joins or the order changed, which keeps the
    common case (heartbeats of nodes both sides list) free of copies.
    """
    k = v.head.shape[1]
    rows, rows_timing, listed_alive = scratch.rows, scratch.rows_timing, scratch.alive
    order, got = scratch.order, scratch.got
    d, s = t.dst[p], t.src[p]
    mine, theirs = v.head[d], v.head[s]
    timing = v.timing[d]
    got[:] = False
    taken = 0
    changed = False
    held = 0
    for i in range(k):
        my_id = mine[i, ID]
        if my_id < 0:
            break  # empty slots only follow the held entries
        held += 1
        # Lists mostly agree on their order, so look at the same place first.
        j = i if theirs[i, ID] == my_id else -1
        candidate = 0
        while j < 0 and candidate < k:
            if theirs[candidate, ID] == my_id:
                j = candidate
            candidate += 1
        fresh = False
        if j >= 0 or my_id == s:
            if j >= 0:
                got[j] = True
                key, hb, score = theirs[j, KEY], theirs[j, HB], theirs[j, SCORE]
            else:
                got[k] = True
                key, hb, score = v.states[s, KEY], v.states[s, HB], v.states[s, SCORE]
            if key > mine[i, KEY]:
                taken += 1
                # Keys are exact integers in float64: compare their generations
                # as integers (a float floor division costs several times more).
                fresh = np.int64(key) >> VERSION_BITS > np.int64(mine[i, KEY]) >> VERSION_BITS
                beat = not fresh and hb > mine[i, HB]
                if fresh or score != mine[i, SCORE]:
                    changed = True
                mine[i, KEY] = key
                mine[i, HB] = hb
                mine[i, SCORE] = score
                if fresh and j >= 0:
                    for f in range(LAST, SUSPECT + 1):
                        timing[i, f] = v.timing[s, j, f]
                elif fresh:
                    _own_timing(timing[i], v.own, now)
                elif beat:
                    n_count, n_total, n_total_sq, n_suspect = heartbeat_arrived(
                        rule,
                        now,
                        timing[i, LAST],
                        timing[i, COUNT],
                        timing[i, TOTAL],
                        timing[i, TOTAL_SQ],
                        timing[i, SUSPECT],
                    )
                    timing[i, LAST] = now
                    timing[i, COUNT] = n_count
                    timing[i, TOTAL] = n_total
                    timing[i, TOTAL_SQ] = n_total_sq
                    timing[i, SUSPECT] = n_suspect
        down = not is_alive(rule, timing[i, SUSPECT], now)
        if down and timing[i, SUSPECTED] == 0 and not fresh:
            suspicions[found, 0] = d
            suspicions[found, 1] = np.int64(my_id)
            found += 1
        timing[i, SUSPECTED] = 1.0 if down else 0.0
        listed_alive[i] = not down
    held_in_order = True
    for i in range(1, held):
        if held_in_order and not _ranks_before(mine, listed_alive, i - 1, i, v.rank):
            held_in_order = False
    # Candidates d did not list (s's entries, then s itself) go to rows[held:],
    # but for those that rank after all k of an ordered full list: they would
    # be dropped again at once (the common case: s itself, outside the top k).
    full = held == k and held_in_order
    width = held
    for candidate in range(k + 1):
        if got[candidate]:
            continue
        if candidate < k:
            their_id = theirs[candidate, ID]
            if their_id < 0 or their_id == d or _buried(v, d, their_id, theirs[candidate, KEY]):
                continue
            _copy_head(rows, width, theirs, candidate)
            _copy_timing(rows_timing, width, v.timing[s], candidate)
        else:
            if _buried(v, d, s, v.states[s, KEY]):
                continue
            rows[width, ID] = s
            rows[width, KEY] = v.states[s, KEY]
            rows[width, HB] = v.states[s, HB]
            rows[width, SCORE] = v.states[s, SCORE]
            _own_timing(rows_timing[width], v.own, now)
        alive = is_alive(rule, rows_timing[width, SUSPECT], now)
        rows_timing[width, SUSPECTED] = 0.0 if alive else 1.0
        listed_alive[width] = alive
        last = k - 1
        if not full or _outranks(
            alive,
            rows[width, SCORE],
            rows[width, ID],
            listed_alive[last],
            mine[last, SCORE],
            mine[last, ID],
            v.rank,
        ):
            width += 1
        taken += 1
        changed = True
    if width > held or not held_in_order:
        # Keep the best k of the list and the newcomers: an insertion sort.
        for i in range(held):
            _copy_head(rows, i, mine, i)
            _copy_timing(rows_timing, i, timing, i)
        for row in range(width):
            at = row
            while at > 0 and _ranks_before(rows, listed_alive, row, order[at - 1], v.rank):
                order[at] = order[at - 1]
                at -= 1
            order[at] = row
        for dropped in range(k, width):
            row = order[dropped]
            if row < held and not listed_alive[row]:
                _bury(v, d, rows[row, ID], rows[row, KEY])
        for slot in range(k):
            if slot < width:
                _copy_head(mine, slot, rows, order[slot])
                _copy_timing(timing, slot, rows_timing, order[slot])
            else:
                for f in range(HEAD_SIZE):
                    mine[slot, f] = v.empty_head[f]
                for f in range(TIMING_SIZE):
                    timing[slot, f] = v.empty_timing[f]
    t.structural[p] = changed
    ring = v.sample_next[d]
    v.sample[d, ring] = np.int32(v.states[s, OPINION])
    v.sample_at[d, ring] = now
    v.sample_next[d] = (ring + 1) % k
    return taken, found


@inlined
def _bury(v: TopKArrays, node: int, candidate: float, key: float) -> None:
    """Remember that ``node`` dropped ``candidate`` at ``key`` while it suspected it.

    A full view never forgets the version it holds, so a dead node stays
    dead to it; a top-k list drops a suspected candidate to make room, and
    without this a partner whose detector has not fired yet would hand the
    same version back as a new, live candidate, with its own later deadline:
    the latest deadline in the cluster would spread to everyone.
    """
    slot = v.tomb_next[node]
    v.tomb_id[node, slot] = np.int64(candidate)
    v.tomb_key[node, slot] = np.int64(key)
    v.tomb_next[node] = (slot + 1) % v.tomb_id.shape[1]


@inlined
def _buried(v: TopKArrays, node: int, candidate: float, key: float) -> bool:
    """Whether ``node`` dropped ``candidate`` as suspected at ``key`` or a newer version.

    The ring fills from its first slot, so the first empty slot ends the
    search: most nodes have buried nobody, and this runs for every newcomer.
    """
    for slot in range(v.tomb_id.shape[1]):
        buried = v.tomb_id[node, slot]
        if buried < 0:
            return False
        if buried == candidate and v.tomb_key[node, slot] >= key:
            return True
    return False


@inlined
def _own_timing(out: FloatArray, own: FloatArray, now: float) -> None:
    """The timing a node's own state travels with: that of a first hearing, at ``now``."""
    for f in range(TIMING_SIZE):
        out[f] = own[f]
    out[LAST] = now
    out[SUSPECT] = own[SUSPECT] + now


@inlined
def _copy_head(to: FloatArray, row: int, source: FloatArray, source_row: int) -> None:
    """``to[row] = source[source_row]`` for head rows.

    A loop of a fixed length: numba would copy a slice through a temporary,
    and a loop over a runtime width compiles to vector code whose set-up
    costs more than the copy of a few fields.
    """
    for f in range(HEAD_SIZE):
        to[row, f] = source[source_row, f]


@inlined
def _copy_timing(to: FloatArray, row: int, source: FloatArray, source_row: int) -> None:
    """``to[row] = source[source_row]`` for timing rows (see :func:`_copy_head`)."""
    for f in range(TIMING_SIZE):
        to[row, f] = source[source_row, f]


@inlined
def _ranks_before(rows: FloatArray, alive: BoolArray, a: int, b: int, rank: IntArray) -> bool:
    """Whether candidate ``rows[a]`` goes before ``rows[b]`` in a list.

    Alive first, then the higher score, then the id that sorts first: the
    leader rule's own order, so the head of a list is its holder's best
    candidate. Ranks are looked up only on equal scores, which keeps the
    common case free of random reads.
    """
    return _outranks(
        alive[a], rows[a, SCORE], rows[a, ID], alive[b], rows[b, SCORE], rows[b, ID], rank
    )


@inlined
def _outranks(
    alive: bool,
    score: float,
    candidate: float,
    other_alive: bool,
    other_score: float,
    other: float,
    rank: IntArray,
) -> bool:
    """Whether a candidate goes before another in a list (see :func:`_ranks_before`)."""
    if alive != other_alive:
        return alive
    if score != other_score:
        return score > other_score
    return bool(rank[np.int64(candidate)] < rank[np.int64(other)])
