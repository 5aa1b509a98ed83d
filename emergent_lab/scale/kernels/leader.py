"""The leader rule and recognition, node after node, for the full and the top-k view.

Both views share the rule itself (:func:`choose`, as ``Node.evaluate``):
follow the best candidate alive (highest score, ties to the id that sorts
first) when the current opinion is missing, dead or not the recognised
leader, or when the best beats it by more than the emergence threshold; a
node that has seeds but has heard from no peer holds no opinion. They differ
in what a node looks at: a full view looks at every member and counts every
member's opinion; a top-k view looks at its k candidates and counts the
opinions of its last k partners (see :mod:`emergent_lab.scale.views`).

A look also flags entries that just turned suspected: they are written as
(observer, subject) rows of ``suspicions``; when the buffer could overflow
the kernel stops early and returns how far it got, so the caller can read
them and resume.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from emergent_lab.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.scale.kernels import ID, SCORE, SUSPECT, SUSPECTED, compiled
from emergent_lab.scale.kernels.phi import is_alive

NO_NODE = -1
EMPTY_SAMPLE = -2
"""A slot of the partner-opinion ring not filled yet (distinct from a partner with no opinion)."""


@compiled
def choose(
    node: int,
    current: int,
    current_alive: bool,
    current_score: float,
    best: int,
    top: float,
    recognised: int,
    joining: bool,
    emergence: float,
) -> int:
    """The node's new opinion (``-1``: none yet) from what it sees."""
    if joining:
        return NO_NODE
    follow_best = current < 0 or not current_alive or recognised != current
    beaten = best != current and top > current_score + emergence
    return best if follow_best or beaten else current


@compiled
def _settle(
    q: int,
    node: int,
    current: int,
    new: int,
    recognised_now: int,
    joining: bool,
    opinion: IntArray,
    recognised: IntArray,
    acting: BoolArray,
    version: IntArray,
    moved: BoolArray,
) -> bool:
    """Write a node's outcome; return whether it switched from one leader to another."""
    if new != current:
        opinion[node] = new
        version[node] += 1
        moved[q] = True
    recognised[node] = NO_NODE if joining else recognised_now
    acting[node] = recognised[node] == node
    return new != current and current >= 0 and new >= 0


@compiled
def _most_held(votes: IntArray, count: int, members: int, threshold: float, rank: IntArray) -> int:
    """The most held of ``votes[:count]`` (ties to the lowest rank), if a threshold share holds it.

    The share is of ``members``: those whose opinion counts, with one or
    without.
    """
    top = 0
    leader = NO_NODE
    for a in range(count):
        held = 0
        for b in range(count):
            if votes[b] == votes[a]:
                held += 1
        if held > top or (held == top and rank[votes[a]] < rank[leader]):
            top, leader = held, votes[a]
    if top > 0 and top >= threshold * members - 1e-9:
        return leader
    return NO_NODE


@compiled
def _recognise_sampled(
    sample: npt.NDArray[np.int32],
    node: int,
    own: int,
    votes: IntArray,
    threshold: float,
    rank: IntArray,
) -> int:
    """Top-k recognition: the opinion held by the threshold share of sampled partners and node."""
    count, members = 0, 0
    for slot in range(sample.shape[1]):
        held = sample[node, slot]
        if held != EMPTY_SAMPLE:
            members += 1
            if held >= 0:
                votes[count] = held
                count += 1
    members += 1
    if own >= 0:
        votes[count] = own
        count += 1
    return _most_held(votes, count, members, threshold, rank)


@compiled
def evaluate_topk(
    nodes: IntArray,
    now: float,
    rule: FloatArray,
    table: FloatArray,
    sample: npt.NDArray[np.int32],
    score: FloatArray,
    opinion: IntArray,
    recognised: IntArray,
    acting: BoolArray,
    version: IntArray,
    has_seeds: BoolArray,
    rank: IntArray,
    emergence: float,
    threshold: float,
    start: int,
    moved: BoolArray,
    suspicions: IntArray,
) -> tuple[int, int, int]:
    """Re-apply the leader rule for ``nodes[start:]`` on top-k views.

    Returns (nodes that switched leader, suspicions written, nodes done up to).
    """
    k = table.shape[1]
    votes = np.empty(k + 1, dtype=np.int64)
    switched, found = 0, 0
    for q in range(start, nodes.size):
        if found + k > suspicions.shape[0]:
            return switched, found, q
        node = nodes[q]
        current = opinion[node]
        best, top = node, score[node]
        current_alive = current == node
        current_score = score[node] if current_alive else -math.inf
        knows_peer = False
        for e in range(k):
            if table[node, e, ID] < 0:
                table[node, e, SUSPECTED] = 0.0
                continue
            knows_peer = True
            candidate = np.int64(table[node, e, ID])
            if not is_alive(rule, table[node, e, SUSPECT], now):
                if table[node, e, SUSPECTED] == 0:
                    suspicions[found, 0] = node
                    suspicions[found, 1] = candidate
                    found += 1
                table[node, e, SUSPECTED] = 1.0
                continue
            table[node, e, SUSPECTED] = 0.0
            value = table[node, e, SCORE]
            if value > top or (value == top and rank[candidate] < rank[best]):
                best, top = candidate, value
            if candidate == current:
                current_alive = True
                current_score = max(current_score, value)
        joining = has_seeds[node] and not knows_peer
        held = _recognise_sampled(sample, node, current, votes, threshold, rank)
        new = choose(
            node, current, current_alive, current_score, best, top, held, joining, emergence
        )
        if new != current:
            held = _recognise_sampled(sample, node, new, votes, threshold, rank)
        if _settle(
            q, node, current, new, held, joining, opinion, recognised, acting, version, moved
        ):
            switched += 1
    return switched, found, nodes.size


@compiled
def _recognise_members(
    view_opinion: npt.NDArray[np.int32],
    node: int,
    own: int,
    alive: BoolArray,
    counts: IntArray,
    threshold: float,
    rank: IntArray,
) -> int:
    """Full-view recognition: the opinion held by the threshold share of the members alive.

    ``counts`` is scratch space of one counter per node, zero on entry and on return.
    """
    n = alive.size
    members, top, leader = 1, 0, NO_NODE
    for c in range(n):
        held = own if c == node else view_opinion[node, c]
        if c != node and not alive[c]:
            continue
        if c != node:
            members += 1
        if held >= 0:
            counts[held] += 1
            if counts[held] > top or (counts[held] == top and rank[held] < rank[leader]):
                top, leader = counts[held], held
    for c in range(n):
        held = own if c == node else view_opinion[node, c]
        if held >= 0:
            counts[held] = 0
    if top > 0 and top >= threshold * members - 1e-9:
        return leader
    return NO_NODE


@compiled
def evaluate_full(
    nodes: IntArray,
    now: float,
    rule: FloatArray,
    key: IntArray,
    view_score: FloatArray,
    suspect_at: FloatArray,
    suspected: BoolArray,
    view_opinion: npt.NDArray[np.int32],
    score: FloatArray,
    opinion: IntArray,
    recognised: IntArray,
    acting: BoolArray,
    version: IntArray,
    has_seeds: BoolArray,
    rank: IntArray,
    emergence: float,
    threshold: float,
    start: int,
    moved: BoolArray,
    suspicions: IntArray,
) -> tuple[int, int, int]:
    """Re-apply the leader rule for ``nodes[start:]`` on full views.

    Returns (nodes that switched leader, suspicions written, nodes done up to).
    """
    n = key.shape[1]
    alive = np.zeros(n, dtype=np.bool_)
    counts = np.zeros(n, dtype=np.int64)
    switched, found = 0, 0
    for q in range(start, nodes.size):
        if found + n > suspicions.shape[0]:
            return switched, found, q
        node = nodes[q]
        current = opinion[node]
        best, top = node, score[node]
        current_alive = current == node
        current_score = score[node] if current_alive else -math.inf
        knows_peer = False
        for c in range(n):
            known = c != node and key[node, c] > 0
            alive[c] = known and is_alive(rule, suspect_at[node, c], now)
            if known and not alive[c] and not suspected[node, c]:
                suspicions[found, 0] = node
                suspicions[found, 1] = c
                found += 1
            suspected[node, c] = known and not alive[c]
            knows_peer = knows_peer or known
            if not alive[c]:
                continue
            value = view_score[node, c]
            if value > top or (value == top and rank[c] < rank[best]):
                best, top = c, value
            if c == current:
                current_alive = True
                current_score = max(current_score, value)
        joining = has_seeds[node] and not knows_peer
        held = _recognise_members(view_opinion, node, current, alive, counts, threshold, rank)
        new = choose(
            node, current, current_alive, current_score, best, top, held, joining, emergence
        )
        if new != current:
            held = _recognise_members(view_opinion, node, new, alive, counts, threshold, rank)
        if _settle(
            q, node, current, new, held, joining, opinion, recognised, acting, version, moved
        ):
            switched += 1
    return switched, found, nodes.size
