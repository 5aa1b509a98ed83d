"""What a full-view node looks at when it evaluates, compiled: liveness, then the leader rule.

A node evaluates on every gossip tick and after every merge that changed
something, and each evaluation reads its whole view: who is alive, whom it
now suspects (they leave its digest), whose liveness flipped, then the
leader rule over the members alive. Written with numpy that was some thirty
array calls an evaluation; here it is two loops, :func:`survey` over the
view and :func:`lead` over the members, which decide with the protocol's
own compiled rules (:mod:`emergent_lab.protocol.rules`), the very functions
the array engine's kernels call.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.compiled import compiled
from emergent_lab.detector.rule import is_alive
from emergent_lab.protocol.messages import STATUS_UP
from emergent_lab.protocol.rules import best_of, choose, recognise


@compiled
def survey(
    owner: int,
    owner_up: bool,
    known: BoolArray,
    status: npt.NDArray[np.int8],
    available: BoolArray,
    rule: FloatArray,
    suspect_at: FloatArray,
    now: float,
    previous: BoolArray,
    alive: BoolArray,
    suspected: BoolArray,
    members: IntArray,
) -> tuple[int, int, bool, int]:
    """Liveness of every peer of the view: ``(members, flips, suspicions changed, suspected)``.

    A peer is alive if it is held, up and available to the detector (the
    owner: if it is up itself): ``available`` says which when the node has
    another detector (SWIM); empty, the phi detector's deadlines
    ``suspect_at`` judge at ``now`` (:func:`~emergent_lab.detector.rule.is_alive`).
    It is suspected if it is held and up but not
    alive. Writes ``alive``, ``suspected`` (in place) and ``members[:m]``
    (the alive, in index order); counts the peers whose liveness differs from
    ``previous`` (shorter if ids were interned since: the rest counts as not
    alive).
    """
    m = 0
    flips = 0
    changed = False
    suspecting = 0
    before = previous.size
    phi = available.size == 0
    for i in range(known.size):
        held_up = known[i] and status[i] == STATUS_UP
        if i == owner:
            up = owner_up
        elif phi:
            up = held_up and is_alive(rule, suspect_at[i], now)
        else:
            up = held_up and available[i]
        alive[i] = up
        suspect = held_up and not up
        if suspect != suspected[i]:
            suspected[i] = suspect
            changed = True
        if suspect:
            suspecting += 1
        if up != (i < before and previous[i]):
            flips += 1
        if up:
            members[m] = i
            m += 1
    return m, flips, changed, suspecting


@compiled
def recognition(
    members: IntArray,
    opinion: IntArray,
    threshold: float,
    rank: IntArray,
    votes: IntArray,
    tally: IntArray,
) -> int:
    """The opinion at least ``threshold`` of ``members`` hold (:func:`recognise`, scratch given)."""
    count = 0
    for q in range(members.size):
        held = opinion[members[q]]
        if held >= 0:
            votes[count] = held
            count += 1
    return recognise(votes, count, members.size, threshold, rank, tally)


@compiled
def lead(
    members: IntArray,
    alive: BoolArray,
    current: int,
    score: FloatArray,
    opinion: IntArray,
    rank: IntArray,
    threshold: float,
    emergence: float,
    votes: IntArray,
    tally: IntArray,
) -> tuple[int, int]:
    """``(opinion, recognised)`` of a node holding ``current``, among ``members`` (at least one)."""
    recognised = recognition(members, opinion, threshold, rank, votes, tally)
    best = best_of(members, score, rank)
    held = 0 <= current < alive.size
    current_alive = held and alive[current]
    current_score = score[current] if held else -math.inf
    chosen = choose(
        current, current_alive, current_score, best, score[best], recognised, False, emergence
    )
    return chosen, recognised


@compiled
def collectable(
    known: BoolArray, suspect_at: FloatArray, gc_after: float, now: float, owner: int, out: IntArray
) -> int:
    """Peers held but suspected for longer than ``gc_after`` (never the owner): ``out[:count]``."""
    count = 0
    for i in range(known.size):
        if known[i] and suspect_at[i] + gc_after < now and i != owner:
            out[count] = i
            count += 1
    return count
