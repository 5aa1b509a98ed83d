"""A node's bounded view: its k best candidates, a sample of k partners' opinions, k tombstones.

The exact engine's counterpart of the array engine's top-k view
(:mod:`emergent_lab.array.views`, :func:`~emergent_lab.array.kernels.merge.merge_topk`),
with the same rules, so the two engines cross-check on it:

* a list holds at most k candidates in the leader rule's order (alive to
  the holder first, then the higher score, then the id that sorts first), so
  its head is its holder's best candidate;
* a merge takes, per candidate both sides list, the state with the newer
  version key (a newer heartbeat of the same generation is an arrival for
  the holder's detector; a newer generation takes the sender's liveness),
  and adds the sender's other candidates and the sender itself, each new one
  with the liveness its sender had of it (the sender itself as heard just
  now); then the best k stay;
* a candidate dropped while suspected leaves a tombstone of its version, so
  a partner whose detector has not fired yet cannot hand it back alive;
* every merge puts the sender's opinion in a ring of the last k opinions
  heard, with the time it was heard; recognition counts those heard within
  the horizon (:func:`~emergent_lab.protocol.rules.opinion_horizon`).

Why a list of objects rather than arrays: a list holds a handful of entries
and a merge touches each once, so plain attribute access costs less than the
numpy calls a vectorised form would need for eight rows. For the same reason
the per-entry rules (:func:`~emergent_lab.detector.rule.is_alive`,
:func:`~emergent_lab.protocol.rules.outranks`) run as their plain Python
bodies (numba's ``py_func``: the same code) on Python numbers: called from
Python on scalars, the compiled entry point costs microseconds of dispatch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, NamedTuple, TypeVar, cast

import numpy as np

from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.ids import NO_NODE, IdTable
from emergent_lab.detector.rule import is_alive, suspect_time
from emergent_lab.detector.sums import heartbeat_arrived
from emergent_lab.protocol.messages import VERSION_BITS
from emergent_lab.protocol.rules import outranks, recognise, still_heard
from emergent_lab.protocol.topk_messages import Liveness, TopKState

_Rule = TypeVar("_Rule")


def _interpreted(rule: _Rule) -> _Rule:
    """The plain Python body of a compiled rule (see the module docstring)."""
    return cast(_Rule, rule.py_func)  # type: ignore[attr-defined]


_is_alive = _interpreted(is_alive)
_outranks = _interpreted(outranks)
_still_heard = _interpreted(still_heard)

ViewKind = Literal["full", "topk"]
VIEWS: tuple[ViewKind, ...] = ("full", "topk")
"""The view models: full membership, or the k best candidates (both engines)."""


@dataclass(slots=True)
class Candidate:
    """One entry of a list: a candidate's state as held, and the holder's detector of it."""

    node: int
    key: int
    heartbeat: int
    score: float
    last: float
    count: float
    total: float
    total_sq: float
    suspect_at: float
    suspected: bool = False

    def liveness(self) -> Liveness:
        """The detector fields that travel with this candidate."""
        return Liveness(self.last, self.count, self.total, self.total_sq, self.suspect_at)

    def state(self) -> TopKState:
        """This candidate as it travels in a message."""
        return TopKState(self.node, self.key, self.heartbeat, self.score, self.liveness())


class Look(NamedTuple):
    """What a node sees when it looks at its list (the inputs of the leader rule)."""

    best: int
    top: float
    current_alive: bool
    current_score: float
    knows_peer: bool
    alive: list[int]
    suspected: list[int]
    """Candidates that turned suspected at this look."""


class Merged(NamedTuple):
    """What a merge changed."""

    taken: int
    """States that travelled and were taken (newer versions and newcomers)."""
    structural: bool
    """True if a candidate joined, was replaced, changed score or generation."""
    suspected: list[int]
    """Candidates that turned suspected during the merge."""


class TopKList:
    """The bounded view of one node.

    Args:
        owner: the holder's index (never its own candidate).
        k: list, sample and tombstone length.
        rule: the detector's settings as :func:`~emergent_lab.detector.rule.detector_rule` gives.
        first: (count, total, total_sq) of a detector heard once (``bootstrap_sums``).
        horizon: how long a sampled opinion counts
            (:func:`~emergent_lab.protocol.rules.opinion_horizon` of the same detector).
        ids: the id table, for its tie-break ranks.
    """

    def __init__(
        self,
        owner: int,
        *,
        k: int,
        rule: FloatArray,
        first: tuple[float, float, float],
        horizon: float,
        ids: IdTable,
    ) -> None:
        self.owner = owner
        self.k = k
        self.rule = rule
        self.first = first
        self.horizon = horizon
        self.ids = ids
        self._rank: list[int] = ids.rank_list
        """The shared ranks as of the last merge (ids may be interned between merges)."""
        self._sorted = True
        """Whether ``entries`` is known to be in order (no score or liveness moved since)."""
        self.entries: list[Candidate] = []
        self.sample: list[int] = []
        """Opinions of the last k partners heard (NO_NODE: a partner with none)..."""
        self.heard: list[float] = []
        """... and when each was heard."""
        self._sample_next = 0
        self.tombs: list[tuple[int, int]] = []
        """(candidate, version key) dropped while suspected, a ring of k."""
        self._tomb_next = 0

    # -- what travels --------------------------------------------------------------

    def digest(self) -> list[tuple[int, int]]:
        """(candidate, version key) of every entry."""
        return [(e.node, e.key) for e in self.entries]

    def newer_than(self, digest: dict[int, int], *, partner: int) -> list[TopKState]:
        """Entries the partner with ``digest`` lacks or holds older (never its own)."""
        return [
            e.state() for e in self.entries if e.node != partner and e.key > digest.get(e.node, 0)
        ]

    def wanted(self, digest: Iterable[tuple[int, int]]) -> list[int]:
        """Ids of ``digest`` whose state is newer than what this list holds or buried."""
        held = {e.node: e.key for e in self.entries}
        return [
            node
            for node, key in digest
            if node != self.owner and key > held.get(node, 0) and not self._buried(node, key)
        ]

    def states(self, nodes: Iterable[int]) -> list[TopKState]:
        """The states of those of ``nodes`` this list holds."""
        held = {e.node: e for e in self.entries}
        return [held[node].state() for node in nodes if node in held]

    # -- merging -----------------------------------------------------------------------

    def merge(self, sender: int, states: Sequence[TopKState], opinion: int, now: float) -> Merged:
        """Take a partner's states (its candidates', its own last) and sample its opinion."""
        incoming = {s.node: s for s in states}
        self._rank = self.ids.rank_list  # _order and _before read it
        taken, changed, moved = 0, False, False
        suspected: list[int] = []
        for entry in self.entries:
            state = incoming.pop(entry.node, None)
            fresh = False
            if state is not None and state.key > entry.key:
                taken += 1
                fresh = state.key >> VERSION_BITS > entry.key >> VERSION_BITS
                beat = not fresh and state.heartbeat > entry.heartbeat
                moved = moved or state.score != entry.score
                changed = changed or fresh or moved
                entry.key, entry.heartbeat, entry.score = state.key, state.heartbeat, state.score
                if fresh:
                    self._adopt(entry, state.liveness, now)
                elif beat:
                    entry.count, entry.total, entry.total_sq, entry.suspect_at = heartbeat_arrived(
                        self.rule,
                        now,
                        entry.last,
                        entry.count,
                        entry.total,
                        entry.total_sq,
                        entry.suspect_at,
                    )
                    entry.last = now
            down = not _is_alive(self.rule, entry.suspect_at, now)
            if down and not entry.suspected and not fresh:
                suspected.append(entry.node)
            moved = moved or down != entry.suspected
            entry.suspected = down
        in_order = (self._sorted and not moved) or self._in_order(self.entries)
        self._sorted = in_order
        full = len(self.entries) == self.k and in_order
        rows = list(self.entries)
        for state in incoming.values():
            if state.node == self.owner or self._buried(state.node, state.key):
                continue
            newcomer = Candidate(state.node, state.key, state.heartbeat, state.score, 0, 0, 0, 0, 0)
            self._adopt(newcomer, state.liveness, now)
            newcomer.suspected = not _is_alive(self.rule, newcomer.suspect_at, now)
            taken += 1
            changed = True
            if not full or self._before(newcomer, self.entries[-1]):
                rows.append(newcomer)
        if len(rows) > len(self.entries) or not in_order:
            rows.sort(key=self._order)
            held = {id(e) for e in self.entries}
            for dropped in rows[self.k :]:
                if id(dropped) in held and dropped.suspected:
                    self._bury(dropped.node, dropped.key)
            self.entries = rows[: self.k]
            self._sorted = True
        self._hear(opinion, now)
        return Merged(taken, changed, suspected)

    def _adopt(self, entry: Candidate, liveness: Liveness | None, now: float) -> None:
        """Give a new candidate (or generation) its sender's liveness, or a first hearing now."""
        if liveness is None:
            entry.count, entry.total, entry.total_sq = self.first
            entry.last = now
            entry.suspect_at = suspect_time(self.rule, now, *self.first)
        else:
            entry.last, entry.count, entry.total, entry.total_sq, entry.suspect_at = liveness

    def _hear(self, opinion: int, now: float) -> None:
        if len(self.sample) < self.k:
            self.sample.append(opinion)
            self.heard.append(now)
        else:
            self.sample[self._sample_next] = opinion
            self.heard[self._sample_next] = now
        self._sample_next = (self._sample_next + 1) % self.k

    # -- order and tombstones ------------------------------------------------------------

    def _order(self, entry: Candidate) -> tuple[bool, float, int]:
        """The leader rule's order as a sort key: alive first, higher score, earlier id."""
        return entry.suspected, -entry.score, self._rank[entry.node]

    def _before(self, a: Candidate, b: Candidate) -> bool:
        if a.suspected != b.suspected:
            return not a.suspected
        rank = self._rank
        return bool(_outranks(a.score, rank[a.node], b.score, rank[b.node]))

    def _in_order(self, entries: list[Candidate]) -> bool:
        return all(self._before(a, b) for a, b in pairwise(entries))

    def _bury(self, node: int, key: int) -> None:
        if len(self.tombs) < self.k:
            self.tombs.append((node, key))
        else:
            self.tombs[self._tomb_next] = (node, key)
        self._tomb_next = (self._tomb_next + 1) % self.k

    def _buried(self, node: int, key: int) -> bool:
        return any(buried == node and at >= key for buried, at in self.tombs)

    # -- looking -------------------------------------------------------------------------

    def look(self, now: float, *, own_score: float, current: int) -> Look:
        """The best candidate alive, whether ``current`` is alive (and its score), suspicions."""
        best, top = self.owner, own_score
        current_alive = current == self.owner
        current_score = own_score if current_alive else -np.inf
        alive: list[int] = []
        suspected: list[int] = []
        rank = self.ids.rank_list
        for e in self.entries:
            if not _is_alive(self.rule, e.suspect_at, now):
                if not e.suspected:
                    suspected.append(e.node)
                    self._sorted = False
                e.suspected = True
                continue
            if e.suspected:
                self._sorted = False
            e.suspected = False
            alive.append(e.node)
            if _outranks(e.score, rank[e.node], top, rank[best]):
                best, top = e.node, e.score
            if e.node == current:
                current_alive = True
                current_score = max(current_score, e.score)
        return Look(best, top, current_alive, current_score, bool(self.entries), alive, suspected)

    def recognition(self, own: int, threshold: float, now: float) -> int:
        """The opinion held by the threshold share of the partners sampled lately and the holder.

        Lately: within :func:`~emergent_lab.protocol.rules.opinion_horizon`
        of ``now``. The votes are renumbered 0..m-1 so that the rule's tally
        needs m counters, not one per node of the cluster.
        """
        counted = [
            held
            for held, at in zip(self.sample, self.heard, strict=True)
            if _still_heard(self.rule, at, self.horizon, now)
        ]
        votes = [held for held in (*counted, own) if held != NO_NODE]
        if not votes:
            return NO_NODE
        distinct = sorted(set(votes))
        local = np.array([distinct.index(v) for v in votes], dtype=np.int64)
        rank = self.ids.rank[np.array(distinct, dtype=np.int64)].astype(np.int64)
        tally = np.zeros(len(distinct), dtype=np.int64)
        members = len(counted) + 1
        chosen = recognise(local, local.size, members, threshold, rank, tally)
        return distinct[chosen] if chosen >= 0 else NO_NODE

    def holds(self, node: int) -> Candidate | None:
        """The entry of ``node``, if listed."""
        return next((e for e in self.entries if e.node == node), None)
