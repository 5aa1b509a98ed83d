"""The leader rule and recognition, node after node, for the full and the top-k view.

Both views decide with the protocol's rules written once in
:mod:`emergent_lab.protocol.rules` (``outranks``, ``choose``,
``recognise``), the very functions ``Node.evaluate`` calls. They differ
in what a node looks at: a full view looks at every member and counts every
member's opinion; a top-k view looks at its k candidates and counts the
opinions of its last k partners heard within the horizon
(:func:`~emergent_lab.protocol.rules.still_heard`, see
:mod:`emergent_lab.array.views`).

A look also flags entries that just turned suspected: they are written as
(observer, subject) rows of ``suspicions``; a kernel stops early rather than
overflow it and returns how far it got, so the caller can read them and
resume.
"""

from __future__ import annotations

import math

import numpy as np

from emergent_lab.array.kernels import (
    ID,
    SCORE,
    SUSPECT,
    SUSPECTED,
    FullArrays,
    FullScratch,
    Opinions,
    TopKArrays,
    TopKScratch,
    prefetch,
)
from emergent_lab.array.kernels.merge import AHEAD
from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.compiled import compiled, inlined
from emergent_lab.core.ids import NO_NODE
from emergent_lab.detector.rule import is_alive
from emergent_lab.protocol.rules import choose, outranks, recognise, still_heard

EMPTY_SAMPLE = -2
"""A slot of the partner-opinion ring not filled yet (distinct from a partner with no opinion)."""


@inlined
def _settle(
    q: int, node: int, new: int, recognised_now: int, joining: bool, o: Opinions, moved: BoolArray
) -> bool:
    """Write node ``nodes[q]``'s outcome; return whether it switched from one leader to another."""
    current = o.opinion[node]
    moved[q] = new != current
    if new != current:
        o.opinion[node] = new
        o.version[node] += 1
    o.recognised[node] = NO_NODE if joining else recognised_now
    o.acting[node] = o.recognised[node] == node
    return new != current and current >= 0 and new >= 0


@inlined
def _recognise_sampled(
    v: TopKArrays,
    node: int,
    own: int,
    votes: IntArray,
    tally: IntArray,
    threshold: float,
    rule: FloatArray,
    now: float,
) -> int:
    """Top-k recognition: the opinion held by the threshold share of recent samples and node."""
    count, members = 0, 0
    for slot in range(v.sample.shape[1]):
        held = v.sample[node, slot]
        if held != EMPTY_SAMPLE and still_heard(rule, v.sample_at[node, slot], v.horizon, now):
            members += 1
            if held >= 0:
                votes[count] = held
                count += 1
    members += 1
    if own >= 0:
        votes[count] = own
        count += 1
    return recognise(votes, count, members, threshold, v.rank, tally)


@compiled
def evaluate_topk(
    nodes: IntArray,
    start: int,
    v: TopKArrays,
    o: Opinions,
    now: float,
    rule: FloatArray,
    moved: BoolArray,
    suspicions: IntArray,
    scratch: TopKScratch,
) -> tuple[int, int, int]:
    """Re-apply the leader rule for ``nodes[start:]`` on top-k views.

    Returns (nodes that switched leader, suspicions written, nodes done up to).
    """
    k = v.head.shape[1]
    heads, timings = v.head.reshape(-1), v.timing.reshape(-1)
    samples, sample_ats = v.sample.reshape(-1), v.sample_at.reshape(-1)
    head_size, timing_size = k * v.head.shape[2], k * v.timing.shape[2]
    votes = scratch.votes
    switched, found = 0, 0
    for q in range(start, nodes.size):
        if found + k > suspicions.shape[0]:
            return switched, found, q
        if q + AHEAD < nodes.size:
            ahead = nodes[q + AHEAD]
            for offset in range(0, head_size, 8):
                prefetch(heads, ahead * head_size + offset)
            for offset in range(0, timing_size, 8):
                prefetch(timings, ahead * timing_size + offset)
            prefetch(samples, ahead * k)
            prefetch(sample_ats, ahead * k)
            prefetch(o.opinion, ahead)
        node = nodes[q]
        found, new, held, joining = _topk_node(
            node, v, o, now, rule, votes, scratch.tally, suspicions, found
        )
        if _settle(q, node, new, held, joining, o, moved):
            switched += 1
    return switched, found, nodes.size


@inlined
def _topk_node(
    node: int,
    v: TopKArrays,
    o: Opinions,
    now: float,
    rule: FloatArray,
    votes: IntArray,
    tally: IntArray,
    suspicions: IntArray,
    found: int,
) -> tuple[int, int, int, bool]:
    """Look at a node's list; return (suspicions so far, new opinion, recognised, joining)."""
    head, timing = v.head[node], v.timing[node]
    current = o.opinion[node]
    best, top = node, o.score[node]
    current_alive = current == node
    current_score = o.score[node] if current_alive else -math.inf
    knows_peer = False
    for e in range(head.shape[0]):
        if head[e, ID] < 0:
            timing[e, SUSPECTED] = 0.0
            continue
        knows_peer = True
        candidate = np.int64(head[e, ID])
        if not is_alive(rule, timing[e, SUSPECT], now):
            if timing[e, SUSPECTED] == 0:
                suspicions[found, 0] = node
                suspicions[found, 1] = candidate
                found += 1
            timing[e, SUSPECTED] = 1.0
            continue
        timing[e, SUSPECTED] = 0.0
        value = head[e, SCORE]
        if outranks(value, o.rank[candidate], top, o.rank[best]):
            best, top = candidate, value
        if candidate == current:
            current_alive = True
            current_score = max(current_score, value)
    joining = o.has_seeds[node] and not knows_peer
    held = _recognise_sampled(v, node, current, votes, tally, o.convergence, rule, now)
    new = choose(current, current_alive, current_score, best, top, held, joining, o.emergence)
    if new != current:
        held = _recognise_sampled(v, node, new, votes, tally, o.convergence, rule, now)
    return found, new, held, joining


@compiled
def _recognise_members(
    v: FullArrays,
    node: int,
    own: int,
    alive: BoolArray,
    votes: IntArray,
    counts: IntArray,
    threshold: float,
    rank: IntArray,
) -> int:
    """Full-view recognition: the opinion held by the threshold share of the members alive.

    ``votes`` and ``counts`` are scratch space of one slot per node.
    """
    members, count = 0, 0
    for c in range(alive.size):
        if c != node and not alive[c]:
            continue
        members += 1
        held = own if c == node else v.opinion[node, c]
        if held >= 0:
            votes[count] = held
            count += 1
    return recognise(votes, count, members, threshold, rank, counts)


@compiled
def evaluate_full(
    nodes: IntArray,
    start: int,
    v: FullArrays,
    o: Opinions,
    now: float,
    rule: FloatArray,
    moved: BoolArray,
    suspicions: IntArray,
    scratch: FullScratch,
) -> tuple[int, int, int]:
    """Re-apply the leader rule for ``nodes[start:]`` on full views.

    Returns (nodes that switched leader, suspicions written, nodes done up to).
    """
    n = v.key.shape[1]
    alive, votes, counts = scratch.alive, scratch.votes, scratch.counts
    switched, found = 0, 0
    for q in range(start, nodes.size):
        if found + n > suspicions.shape[0]:
            return switched, found, q
        node = nodes[q]
        found, new, held, joining = _full_node(
            node, v, o, now, rule, alive, votes, counts, suspicions, found
        )
        if _settle(q, node, new, held, joining, o, moved):
            switched += 1
    return switched, found, nodes.size


@compiled
def _full_node(
    node: int,
    v: FullArrays,
    o: Opinions,
    now: float,
    rule: FloatArray,
    alive: BoolArray,
    votes: IntArray,
    counts: IntArray,
    suspicions: IntArray,
    found: int,
) -> tuple[int, int, int, bool]:
    """Look at a node's full view; return (suspicions so far, new opinion, recognised, joining)."""
    current = o.opinion[node]
    best, top = node, o.score[node]
    current_alive = current == node
    current_score = o.score[node] if current_alive else -math.inf
    knows_peer = False
    for c in range(v.key.shape[1]):
        known = c != node and v.key[node, c] > 0
        alive[c] = known and is_alive(rule, v.suspect_at[node, c], now)
        if known and not alive[c] and not v.suspected[node, c]:
            suspicions[found, 0] = node
            suspicions[found, 1] = c
            found += 1
        v.suspected[node, c] = known and not alive[c]
        knows_peer = knows_peer or known
        if not alive[c]:
            continue
        value = v.score[node, c]
        if outranks(value, o.rank[c], top, o.rank[best]):
            best, top = c, value
        if c == current:
            current_alive = True
            current_score = max(current_score, value)
    joining = o.has_seeds[node] and not knows_peer
    held = _recognise_members(v, node, current, alive, votes, counts, o.convergence, o.rank)
    new = choose(current, current_alive, current_score, best, top, held, joining, o.emergence)
    if new != current:
        held = _recognise_members(v, node, new, alive, votes, counts, o.convergence, o.rank)
    return found, new, held, joining
