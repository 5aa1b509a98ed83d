"""Lesson 01: how a score function ranks nodes, and which leader emerges from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from emergent_lab.core.ids import node_sort_key
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.run.config import ClusterConfig
from emergent_lab.score import ScoreFunction

Metrics = Mapping[str, Mapping[str, float]]

IOT_DEVICES: Mapping[str, Mapping[str, float]] = {
    "n0": {"battery": 0.95, "link_quality": 0.40, "load": 0.30},
    "n1": {"battery": 0.55, "link_quality": 0.95, "load": 0.20},
    "n2": {"battery": 0.80, "link_quality": 0.70, "load": 0.70},
    "n3": {"battery": 0.30, "link_quality": 0.85, "load": 0.05},
    "n4": {"battery": 0.70, "link_quality": 0.60, "load": 0.10},
    "n5": {"battery": 0.60, "link_quality": 0.50, "load": 0.50},
}
"""Six IoT devices whose ranking depends on how battery and radio link are weighed."""


def rank_nodes(score: ScoreFunction, metrics: Metrics) -> list[dict[str, Any]]:
    """Score every node and rank them as the leader rule does.

    Highest score first; equal scores go to the id that sorts first in natural
    order (``n2`` before ``n10``), the tie-break every node applies alike.

    Returns:
        One row per node: ``rank``, ``node``, each metric, ``score``.
    """
    scored = [(node, score.score(values)) for node, values in metrics.items()]
    ordered = sorted(scored, key=lambda ns: (-ns[1], node_sort_key(ns[0])))
    return [
        {"rank": k + 1, "node": node, **dict(metrics[node]), "score": value}
        for k, (node, value) in enumerate(ordered)
    ]


def emerged_leader(
    score: ScoreFunction, metrics: Metrics, *, seed: int = 0, seconds: float = 15.0
) -> str | None:
    """Run the protocol on these nodes and return the leader the cluster recognises.

    Nobody computes the ranking centrally: each node gossips its own score and
    follows the best it hears of. This runs that for ``seconds`` of virtual time
    to show the emerged leader is the top of :func:`rank_nodes`.
    """
    config = ClusterConfig.create(list(metrics), seed=seed, score=score, metrics=metrics)
    cluster = SimCluster(config)
    cluster.run(seconds)
    return cluster.leader()


def weight_sweep(
    score: ScoreFunction,
    metrics: Metrics,
    *,
    metric: str,
    weights: Sequence[float],
    check_with_engine: Sequence[float] = (),
) -> list[dict[str, Any]]:
    """Change one metric's weight and report who ranks first.

    Args:
        score: the starting score function.
        metrics: per-node metrics.
        metric: the metric whose weight moves.
        weights: the weights to try.
        check_with_engine: weights at which the protocol is also run, to show
            the emerged leader matches the ranking.

    Returns:
        One row per weight: the weight, its share of the score, the top node
        and its score, the runner-up, and (where run) the emerged leader.
    """
    rows = []
    for weight in weights:
        changed = score.with_weights({metric: weight})
        ranking = rank_nodes(changed, metrics)
        row: dict[str, Any] = {
            f"{metric} weight": float(weight),
            "share": changed.normalised_weights[metric],
            "first": ranking[0]["node"],
            "score": ranking[0]["score"],
            "second": ranking[1]["node"] if len(ranking) > 1 else None,
            "emerged": None,
        }
        if weight in check_with_engine:
            row["emerged"] = emerged_leader(changed, metrics)
        rows.append(row)
    return rows


def tie_break(ids: Sequence[str], *, seed: int = 0) -> dict[str, Any]:
    """Give every node the same score and show that the id decides, everywhere alike.

    Returns:
        The ids in natural order, the leader that emerged, and the one that
        plain string order would have picked (they differ for ``n10`` vs ``n9``).
    """
    score = ScoreFunction.preset("lowest-id")
    metrics: dict[str, dict[str, float]] = {node: {} for node in ids}
    return {
        "natural order": sorted(ids, key=node_sort_key),
        "emerged leader": emerged_leader(score, metrics, seed=seed),
        "string order would pick": min(ids),
    }


def score_curves(
    score: ScoreFunction, metrics: Metrics, *, metric: str, weights: Sequence[float]
) -> dict[str, tuple[list[float], list[float]]]:
    """Each node's score as one metric's weight moves: node -> (weights, scores)."""
    curves: dict[str, tuple[list[float], list[float]]] = {}
    for weight in weights:
        changed = score.with_weights({metric: weight})
        for node, values in metrics.items():
            xs, ys = curves.setdefault(node, ([], []))
            xs.append(float(weight))
            ys.append(changed.score(values))
    return curves
