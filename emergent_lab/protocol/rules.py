"""The protocol's decisions, written once: whom a node follows and whom the cluster recognises.

DESIGN.md's leader rule is three small decisions, and every engine makes
them with these functions (compiled with numba, so the array engine's
kernels call them in their loops and the exact node calls the very same
code from Python):

* :func:`outranks` and :func:`best_of`: the best candidate is the highest
  score, equal scores going to the id that sorts first;
* :func:`choose`: follow the best candidate alive when the current opinion
  is missing, dead or not the recognised leader, or when the best beats it
  by more than the emergence threshold; a joining node holds no opinion;
* :func:`recognise`: the opinion held by at least the convergence-threshold
  share of the members counted (ties to the id that sorts first);
* :func:`still_heard` and :func:`opinion_horizon`: which sampled opinions a
  top-k node still counts (those heard within the horizon);
* :func:`seed_still_waits`: how long a seed that heard from nobody waits before
  it leads itself.

What a node *looks at* differs between views (every member of a full view,
the k candidates and sampled partners of a top-k view) and stays with each
view; what it *decides* from that is here.
"""

from __future__ import annotations

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.compiled import compiled
from emergent_lab.core.ids import NO_NODE
from emergent_lab.detector.params import DetectorParams
from emergent_lab.detector.rule import detector_rule, is_alive, suspect_time
from emergent_lab.detector.sums import bootstrap_sums

TOLERANCE = 1e-9
"""Slack on the recognition share, so 0.75 × 4 members is met by 3 despite rounding."""


@compiled
def outranks(score: float, rank: int, other_score: float, other_rank: int) -> bool:
    """Whether a candidate beats another: a higher score, or an equal one and an earlier id."""
    return score > other_score or (score == other_score and rank < other_rank)


@compiled
def best_of(members: IntArray, scores: FloatArray, rank: IntArray) -> int:
    """The best of ``members`` (at least one), by ``scores`` and ``rank`` indexed by node."""
    best = members[0]
    for q in range(1, members.size):
        candidate = members[q]
        if outranks(scores[candidate], rank[candidate], scores[best], rank[best]):
            best = candidate
    return int(best)


@compiled
def choose(
    current: int,
    current_alive: bool,
    current_score: float,
    best: int,
    top: float,
    recognised: int,
    joining: bool,
    emergence: float,
) -> int:
    """A node's new opinion (:data:`NO_NODE`: none yet) from what it sees.

    The emergence threshold protects only a leader the node recognises:
    while leadership is still emerging the node simply follows the best
    candidate, so equal scores cannot freeze a cluster into many
    self-followers and a healed partition merges onto the better leader.
    """
    if joining:
        return NO_NODE
    follow_best = current < 0 or not current_alive or recognised != current
    beaten = best != current and top > current_score + emergence
    return best if follow_best or beaten else current


@compiled
def recognise(
    votes: IntArray, count: int, members: int, threshold: float, rank: IntArray, tally: IntArray
) -> int:
    """The most held of ``votes[:count]`` if at least ``threshold`` of ``members`` hold it.

    ``votes`` are the opinions counted (none of them :data:`NO_NODE`);
    ``members`` is how many members are counted, with an opinion or without.
    The most held wins, ties to the id that sorts first. ``tally`` is scratch
    space, one counter per node, zero on entry and on return.
    """
    if count == 0:
        return NO_NODE
    first = votes[0]
    unanimous = True
    for a in range(1, count):
        if votes[a] != first:
            unanimous = False
            break
    if unanimous:  # the common case once a leader has emerged: nothing to count
        top, leader = count, first
    else:
        top, leader = 0, NO_NODE
        for a in range(count):
            held = votes[a]
            tally[held] += 1
            if tally[held] > top or (tally[held] == top and rank[held] < rank[leader]):
                top, leader = tally[held], held
        for a in range(count):
            tally[votes[a]] = 0
    if top >= threshold * members - TOLERANCE:
        return int(leader)
    return NO_NODE


def opinion_horizon(detector: DetectorParams) -> float:
    """How long a top-k node counts an opinion it sampled: as long as it trusts a peer heard once.

    A sampled opinion is soft state, like a heartbeat: it says what a partner
    held when they last spoke. A full view stops counting a member's opinion
    once its detector convicts that member; a top-k node cannot watch the
    partners it sampled, so it gives each sample the deadline its detector
    gives a peer heard once and never again (its bootstrap window,
    :func:`~emergent_lab.detector.sums.bootstrap_sums`; 5.3 s with the
    default settings, about five gossip rounds). A connected node hears some
    six partners a round and refreshes its k = 8 samples long before that; a
    node cut off from everyone stops counting the opinions from before the
    cut when its detectors would have convicted their senders, and is left
    with its own vote, as a full view is once it convicts the others.
    """
    return float(suspect_time(detector_rule(detector), 0.0, *bootstrap_sums(detector)))


@compiled
def still_heard(rule: FloatArray, heard_at: float, horizon: float, now: float) -> bool:
    """Whether an opinion sampled at ``heard_at`` still counts at ``now``.

    It expires when a peer heard once at ``heard_at`` would stop being alive
    (:func:`opinion_horizon`; :func:`~emergent_lab.detector.rule.is_alive`
    decides the boundary, as it does for the detector).
    """
    return bool(is_alive(rule, heard_at + horizon, now))


def seed_still_waits(age: FloatArray | float, gc_after: float) -> BoolArray | bool:
    """Whether a seed ``age`` seconds after its start, having heard from no peer, still waits.

    A node with seeds that has heard from none of them is not a cluster of
    one: it holds no opinion until it hears back. A seed itself waits at most
    ``gc_after`` (by then a seed that never answered would have been
    collected) and then leads itself, as Akka's first seed forms a cluster
    after its seed-node timeout; any other node keeps waiting, or every node
    whose seeds are down would lead a cluster of its own. Takes one age or an
    array of them (the array engine asks for all its seeds at once).
    """
    return age < gc_after
