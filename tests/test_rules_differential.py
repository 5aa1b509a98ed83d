"""The exact node and the array kernels decide alike: one rule, two ways of looking.

Both engines call the decisions of :mod:`emergent_lab.protocol.rules`, but
each gathers what a node sees its own way: the node from its ``View`` and
detector bank (numpy), a full-view kernel from rows of (n, n) arrays
(compiled loops). Random views, with tied scores and tied votes on purpose,
are given to both paths; they must reach the same opinion, the same
recognised leader and the same suspicions. The top-k view is left out: it
counts sampled partners' opinions rather than every member's, by design.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emergent_lab.array.kernels import FullArrays, FullScratch, Opinions
from emergent_lab.array.kernels.leader import evaluate_full
from emergent_lab.core.ids import NO_NODE, IdTable
from emergent_lab.detector.rule import detector_rule
from emergent_lab.protocol.messages import version_key
from emergent_lab.protocol.node import Node
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.protocol.rules import best_of, choose, recognise
from emergent_lab.score import ScoreFunction

NOW = 100.0


class _Clock:
    def now(self) -> float:
        return NOW

    def call_later(self, delay: float, callback: Any) -> Any:
        raise AssertionError("evaluate schedules nothing")


class _Mute:
    def send(self, src: int, dst: int, message: Any) -> None:
        raise AssertionError("evaluate sends nothing")


@st.composite
def views(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(2, 9))
    levels = draw(st.lists(st.sampled_from([0.2, 0.5, 0.5, 0.8, 0.8]), min_size=n, max_size=n))
    return {
        "n": n,
        "scores": levels,
        "alive": [True, *draw(st.lists(st.booleans(), min_size=n - 1, max_size=n - 1))],
        "opinions": draw(st.lists(st.integers(NO_NODE, n - 1), min_size=n, max_size=n)),
        "current": draw(st.integers(NO_NODE, n - 1)),
        "emergence": draw(st.sampled_from([0.0, 0.1, 0.35])),
        "convergence": draw(st.sampled_from([0.3, 0.5, 0.75, 1.0])),
    }


def _node_path(case: dict[str, Any]) -> tuple[int, int, list[bool]]:
    n = case["n"]
    ids = IdTable([f"n{i}" for i in range(n)])
    params = ProtocolParams(
        emergence_threshold=case["emergence"], convergence_threshold=case["convergence"]
    )
    node = Node(
        "n0",
        ids=ids,
        params=params,
        score=ScoreFunction({"x": 1.0}),
        metrics={"x": 0.0},
        clock=_Clock(),
        transport=_Mute(),
        rng=np.random.default_rng(0),
    )
    node.score = case["scores"][0]
    node.opinion = case["current"]
    node._publish_own_state()
    v = node.view
    peers = np.arange(1, n)
    v.key[peers] = version_key(1, 1)
    v.known[peers] = True
    v.score[peers] = case["scores"][1:]
    v.opinion[peers] = case["opinions"][1:]
    v.detector.heartbeat_unchecked(peers, 0.0)  # long ago: suspected by NOW ...
    heard = peers[np.array(case["alive"][1:])]
    v.detector.heartbeat_unchecked(heard, NOW - 0.1)  # ... unless heard just now
    node.evaluate()
    return node.opinion, node.recognised, node.alive_mask[:n].tolist()


def _kernel_path(case: dict[str, Any]) -> tuple[int, int, list[bool]]:
    n = case["n"]
    params = ProtocolParams()
    row = np.zeros((n, n))
    v = FullArrays(
        key=np.where(np.eye(n, dtype=bool), 0, version_key(1, 1)).astype(np.int64),
        hb=np.zeros((n, n), dtype=np.int64),
        score=np.tile(np.array(case["scores"], dtype=np.float64), (n, 1)),
        last=row.copy(),
        intervals=np.zeros((n, n), dtype=np.int32),
        total=row.copy(),
        total_sq=row.copy(),
        suspect_at=np.tile(np.where(case["alive"], math.inf, 0.0), (n, 1)),
        suspected=np.zeros((n, n), dtype=bool),
        opinion=np.tile(np.array(case["opinions"], dtype=np.int32), (n, 1)),
    )
    own = np.full(n, NO_NODE, dtype=np.int64)
    own[0] = case["current"]
    o = Opinions(
        score=np.array(case["scores"], dtype=np.float64),
        opinion=own,
        recognised=np.full(n, NO_NODE, dtype=np.int64),
        acting=np.zeros(n, dtype=bool),
        version=np.ones(n, dtype=np.int64),
        has_seeds=np.zeros(n, dtype=bool),
        rank=np.arange(n, dtype=np.int64),
        emergence=case["emergence"],
        convergence=case["convergence"],
    )
    scratch = FullScratch(
        np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    )
    suspicions = np.zeros((4 * n, 2), dtype=np.int64)
    moved = np.zeros(1, dtype=bool)
    rule = detector_rule(params.detector)
    evaluate_full(np.array([0]), 0, v, o, NOW, rule, moved, suspicions, scratch)
    alive = [True, *(~v.suspected[0, 1:]).tolist()]
    return int(o.opinion[0]), int(o.recognised[0]), alive


@settings(max_examples=400, deadline=None)
@given(views())
def test_the_node_and_the_full_view_kernel_reach_the_same_decisions(case: dict[str, Any]):
    assert _node_path(case) == _kernel_path(case)


def test_the_paths_disagree_when_the_rule_differs():
    """The comparison can fail: the same view with another emergence threshold differs."""
    case = {
        "n": 3,
        "scores": [0.5, 0.8, 0.2],
        "alive": [True, True, True],
        "opinions": [0, 0, 0],
        "current": 0,
        "emergence": 0.1,
        "convergence": 0.5,
    }
    # Worked by hand: n0 is recognised (all three follow it), n1 beats it by 0.3 > 0.1.
    assert _node_path(case)[0] == 1
    assert _kernel_path({**case, "emergence": 0.35})[0] == 0


def test_recognition_and_choice_by_hand():
    rank = np.array([2, 0, 1])  # n1 sorts first, then n2, then n0
    tally = np.zeros(3, dtype=np.int64)
    # Two votes each for n0 and n2: the tie goes to n2, which sorts first; 2 of 4 meets 0.5.
    assert recognise(np.array([0, 2, 2, 0]), 4, 4, 0.5, rank, tally) == 2
    assert tally.tolist() == [0, 0, 0]
    # 2 of 5 members is short of 0.5.
    assert recognise(np.array([0, 0]), 2, 5, 0.5, rank, tally) == NO_NODE
    assert best_of(np.array([0, 1, 2]), np.array([0.9, 0.9, 0.1]), rank) == 1
    # A live recognised leader is kept unless beaten by more than the threshold.
    assert choose(0, True, 0.5, 1, 0.54, 0, False, 0.05) == 0
    assert choose(0, True, 0.5, 1, 0.56, 0, False, 0.05) == 1
    assert choose(0, False, 0.5, 1, 0.1, 0, False, 0.05) == 1
    assert choose(0, True, 0.5, 1, 0.9, 0, True, 0.05) == NO_NODE
