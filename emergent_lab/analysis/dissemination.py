"""Lesson 02: how fast one node's new state reaches every node, against the ideal process.

Two measurements of the same push-pull exchange:

- :func:`engine_rounds` runs the real protocol (asynchronous gossip ticks,
  network delays, full digests) and times one new state until every node
  holds it;
- :func:`model_rounds` is the synchronous "random phone call" model the
  asymptotics are derived for (Karp et al. 2000): in each round every node
  calls ``fanout`` random others and the state crosses every call in the
  allowed direction. It is cheap, so it covers n up to thousands over many
  seeds.

The reference for the engine is :func:`ideal_sweep`: the same rumour with the
engine's asynchronous timing (each node calls at its own phase of the
interval), simulated by :mod:`emergent_lab.analysis.rumour`, which shares no
code with the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np

from emergent_lab.analysis.rumour import async_rounds, sync_spread
from emergent_lab.analysis.theory import push_pull_rounds, push_rounds
from emergent_lab.analysis.variants import mean
from emergent_lab.core.checks import check_number
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.protocol.node import Node
from emergent_lab.run.config import ClusterConfig

Mode = Literal["push", "pull", "push-pull"]
MODES: tuple[Mode, ...] = ("push", "pull", "push-pull")
POLL_S = 0.05
"""How often (virtual seconds) the engine measurement checks who holds the state."""


def push_asymptotic(n: int) -> float:
    """Leading terms for push, fanout 1: log2 n + ln n rounds (Pittel 1987); not a bound."""
    return push_rounds(n, 1)


def push_pull_asymptotic(n: int) -> float:
    """Leading terms for push-pull, fanout 1: log3 n + log2 ln n rounds; not a bound."""
    return push_pull_rounds(n, 1)


def model_spread(n: int, *, fanout: int = 1, mode: Mode = "push-pull", seed: int = 0) -> list[int]:
    """Informed nodes after each round of the synchronous random-phone-call model.

    Node 0 starts informed (round 0). Each round every node calls ``fanout``
    random other nodes; an informed caller informs its callee (push), an
    uninformed caller learns from an informed callee (pull). The callees of one
    caller are distinct.
    """
    check_number("n", n, low=2, integer=True)
    check_number("fanout", fanout, low=1, high=n - 1, integer=True)
    if mode not in MODES:
        raise ValueError(f"mode: unknown mode {mode!r} (expected one of: {', '.join(MODES)})")
    return sync_spread(n, fanout=fanout, exchange=mode, rng=np.random.default_rng(seed))


def model_rounds(n: int, *, fanout: int = 1, mode: Mode = "push-pull", seed: int = 0) -> int:
    """Rounds until every node is informed in the random-phone-call model."""
    return len(model_spread(n, fanout=fanout, mode=mode, seed=seed)) - 1


def engine_rounds(n: int, *, fanout: int = 3, seed: int = 0) -> float:
    """Gossip rounds for one new state to reach every node, on the real protocol.

    The cluster first runs until every node knows every other (membership has
    formed), then node ``n0`` changes a metric, which gives its state a new
    version; the result is the virtual time until every node's view holds that
    version or a later one, in gossip intervals, measured every ``POLL_S``.
    """
    check_number("n", n, low=2, integer=True)
    config = ClusterConfig.create(n, seed=seed, fanout=fanout)
    cluster = SimCluster(config)
    nodes = [cast(Node, node) for node in cluster.nodes.values()]  # the emergent protocol's
    while not all(node.view.known[:n].all() for node in nodes):
        cluster.run_for(1.0)
    source = nodes[0]
    metric = cluster.score_function.metric_names[0]
    cluster.set_metric("n0", metric, source.metrics[metric] / 2)
    target = source.view.key[source.index]
    start = cluster.time
    while not all(node.view.key[source.index] >= target for node in nodes):
        cluster.run_for(POLL_S)
    return (cluster.time - start) / cluster.params.gossip_interval


def model_sweep(
    sizes: Sequence[int], *, fanouts: Sequence[int], seeds: int, mode: Mode = "push-pull"
) -> list[dict[str, Any]]:
    """Model rounds over ``seeds`` runs for each size and fanout: mean, min and max."""
    rows = []
    for n in sizes:
        for fanout in fanouts:
            runs = [model_rounds(n, fanout=fanout, mode=mode, seed=s) for s in range(seeds)]
            rows.append(
                {
                    "n": n,
                    "fanout": fanout,
                    "mode": mode,
                    "mean": float(np.mean(runs)),
                    "min": min(runs),
                    "max": max(runs),
                }
            )
    return rows


def engine_sweep(
    sizes: Sequence[int], *, fanouts: Sequence[int], seeds: Sequence[int]
) -> list[dict[str, Any]]:
    """Engine rounds for each size and fanout over the given seeds: mean, min, max."""
    rows = []
    for n in sizes:
        for fanout in fanouts:
            runs = [engine_rounds(n, fanout=fanout, seed=s) for s in seeds]
            rows.append(
                {
                    "n": n,
                    "fanout": fanout,
                    "seeds": len(runs),
                    "mean": mean(runs),
                    "min": min(runs),
                    "max": max(runs),
                }
            )
    return rows


def ideal_sweep(
    sizes: Sequence[int], *, fanouts: Sequence[int], seeds: int
) -> list[dict[str, Any]]:
    """The ideal push-pull rumour with the engine's asynchronous timing: mean rounds over seeds.

    Each node calls at its own random phase of every interval, as the
    engine's gossip timers do; this is the reference for :func:`engine_sweep`.
    """
    rows = []
    for n in sizes:
        for fanout in fanouts:
            runs = [
                async_rounds(n, fanout=fanout, rng=np.random.default_rng((n, fanout, s)))
                for s in range(seeds)
            ]
            rows.append({"n": n, "fanout": fanout, "mean": float(np.mean(runs))})
    return rows


def asymptotics_table(sizes: Sequence[int]) -> list[dict[str, Any]]:
    """The two asymptotic formulas for each size, for the table beside the measurements."""
    return [
        {
            "n": n,
            "push log2 n + ln n": push_asymptotic(n),
            "push-pull log3 n + log2 ln n": push_pull_asymptotic(n),
        }
        for n in sizes
    ]
