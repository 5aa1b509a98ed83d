"""What a simulated cluster is made of, gathered and validated in one place."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from emergent_lab.baselines.bully import BullyNode
from emergent_lab.baselines.raft import RaftNode
from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import default_ids, node_sort_key, validate_node_id
from emergent_lab.detector.lifeguard import SwimParams
from emergent_lab.protocol.member import Member
from emergent_lab.protocol.node import Node
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.protocol.topk_node import DEFAULT_K
from emergent_lab.protocol.topk_view import VIEWS
from emergent_lab.run.metric_table import MetricTable
from emergent_lab.score import ScoreFunction
from emergent_lab.sim.latency import ConstantLatency, LatencyModel

PROTOCOLS: Mapping[str, type[Member]] = {"emergent": Node, "bully": BullyNode, "raft": RaftNode}
"""Node classes a cluster can run, by name: the emergent leader, the Bully or Raft election."""


LEADER = "leader"
"""A target that means whoever leads when the event happens (so never a node's id)."""
DEFAULT_SEEDS = 3
"""How many of the first ids (in natural order) are seeds, unless a cluster names its own."""


def random_metric_columns(
    score: ScoreFunction, n: int, *, rng: np.random.Generator
) -> dict[str, FloatArray]:
    """Draw every metric of ``score`` uniformly within its range, for ``n`` nodes: a column each."""
    specs = score.metrics
    names = score.metric_names or tuple(specs)
    return {
        name: rng.uniform(specs[name].low, specs[name].high, size=n)
        if name in specs
        else rng.random(size=n)
        for name in names
    }


def random_metrics(
    score: ScoreFunction, n: int, *, rng: np.random.Generator
) -> list[dict[str, float]]:
    """Draw every metric of ``score`` uniformly within its range, for ``n`` nodes: a dict each."""
    columns = random_metric_columns(score, n, rng=rng)
    return [{name: float(column[i]) for name, column in columns.items()} for i in range(n)]


@dataclass(frozen=True)
class ClusterConfig:
    """Everything needed to build the same simulated cluster again.

    Build one with :meth:`create`, which fills in metrics from the seed and
    checks every field; the scenario loader and the dashboard both do.
    """

    ids: tuple[str, ...]
    params: ProtocolParams
    score: ScoreFunction
    metrics: Sequence[Mapping[str, float]]
    """Each node's metrics, in id order (``create`` gives a columnar :class:`MetricTable`)."""
    seeds: tuple[str, ...]
    latency: LatencyModel = field(default_factory=ConstantLatency)
    loss: float = 0.0
    graph: nx.Graph | None = None
    seed: int = 0
    protocol: str = "emergent"
    """Which node class of ``PROTOCOLS`` the cluster runs."""
    swim: SwimParams | None = None
    """SWIM/Lifeguard as the emergent protocol's detector instead of phi (``SwimNode``)."""
    causality: bool = False
    """Record which message or timer caused every change (``cluster.causality``); same run."""
    view: str = "full"
    """``"full"`` membership gossip, or ``"topk"``: each node keeps and gossips its k best
    candidates (:mod:`emergent_lab.protocol.topk_node`), bytes per node bounded in n."""
    k: int = DEFAULT_K
    """Candidates a node keeps with ``view = "topk"``."""

    @property
    def causes_recordable(self) -> bool:
        """Whether this cluster can record causality.

        A top-k node keeps no record of who told it what beyond its k
        candidates, so the causal chains would have holes.
        """
        return self.view != "topk"

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(
                f"cluster.view: unknown view {self.view!r} (expected one of: {', '.join(VIEWS)})"
            )
        check_number("cluster.k", self.k, low=1, integer=True)
        if len(self.metrics) != len(self.ids):
            raise ValueError(
                f"score.nodes: one metrics mapping per node is needed "
                f"(got {len(self.metrics)} for {len(self.ids)} nodes)"
            )
        if self.view == "topk" and self.protocol != "emergent":
            raise ValueError(
                f"cluster.view: 'topk' is a view of the emergent protocol only "
                f"(got protocol {self.protocol!r})"
            )
        if self.view == "topk" and self.swim is not None:
            raise ValueError("detector.kind: 'swim' needs cluster.view = 'full' (got 'topk')")
        if self.causality and not self.causes_recordable:
            raise ValueError("run.causality: not recorded with cluster.view = 'topk' (use 'full')")
        if self.protocol not in PROTOCOLS:
            raise ValueError(
                f"cluster.protocol: unknown protocol {self.protocol!r} "
                f"(expected one of: {', '.join(PROTOCOLS)})"
            )
        if self.swim is not None and self.protocol != "emergent":
            raise ValueError(
                f"detector.kind: 'swim' is a detector of the emergent protocol, "
                f"not of {self.protocol!r}"
            )
        if not isinstance(self.causality, bool):
            raise ValueError(f"run.causality: must be true or false (got {self.causality!r})")

    @classmethod
    def create(
        cls,
        nodes: int | Sequence[str] = 10,
        *,
        seed: int = 0,
        params: ProtocolParams | None = None,
        score: ScoreFunction | str = "capacity",
        metrics: Sequence[Mapping[str, float]] | Mapping[str, Mapping[str, float]] | None = None,
        seeds: int | Sequence[str] = DEFAULT_SEEDS,
        latency: LatencyModel | None = None,
        loss: float = 0.0,
        graph: nx.Graph | None = None,
        protocol_name: str = "emergent",
        swim: SwimParams | None = None,
        causality: bool = False,
        view: str = "full",
        k: int = DEFAULT_K,
        **protocol: Any,
    ) -> ClusterConfig:
        """Build and validate a configuration.

        Args:
            nodes: how many nodes (named ``n0``…), or their ids.
            seed: the seed of the run's single generator.
            params: protocol parameters; or give them as keywords (``fanout=2``).
            score: a score function or a preset name.
            metrics: per-node metrics (a list in id order, or a mapping by id;
                nodes left out get random metrics drawn from the seed).
            seeds: how many of the first ids are seeds, or their ids.
            latency: the network's latency model.
            loss: probability that a message is lost.
            graph: restrict reachability to this graph (its nodes are the ids).
            protocol_name: the node class to run, a key of ``PROTOCOLS``.
            swim: run the emergent protocol with SWIM/Lifeguard as its detector.
            causality: record the cause of every change (explanations, message view).
            view: ``"full"`` membership or ``"topk"`` (the k best candidates).
            k: candidates per node with the top-k view.
            **protocol: fields of :class:`ProtocolParams`.
        """
        check_number("cluster.seed", _plain(seed), low=0, integer=True)
        nodes = _plain(nodes)
        if isinstance(nodes, (bool, float)) or not isinstance(nodes, (int, list, tuple)):
            raise ValueError(
                f"cluster.nodes: must be an integer >= 1 or a list of ids (got {nodes!r})"
            )
        if isinstance(nodes, int):
            check_number("cluster.nodes", nodes, low=1, integer=True)
            ids = default_ids(nodes)
        else:
            ids = tuple(validate_node_id(i, field="cluster.ids") for i in nodes)
            if LEADER in ids:
                raise ValueError(f"cluster.ids: {LEADER!r} names whoever leads, not a node")
            if not ids or len(set(ids)) != len(ids):
                raise ValueError("cluster.ids: must be a non-empty list of distinct ids")
        if params is None:
            params = ProtocolParams(**protocol)
        elif protocol:
            params = params.replace(**protocol)
        score_fn = ScoreFunction.preset(score) if isinstance(score, str) else score
        rng = np.random.default_rng(seed)
        drawn = MetricTable(random_metric_columns(score_fn, len(ids), rng=rng), nodes=len(ids))
        if metrics is not None:
            given = (
                dict(metrics)
                if isinstance(metrics, Mapping)
                else {ids[i]: m for i, m in enumerate(metrics)}
            )
            unknown = sorted(set(given) - set(ids))
            if unknown:
                raise ValueError(f"score.nodes.{unknown[0]}: no such node in cluster.ids")
            drawn = drawn.with_rows(
                {
                    i: _checked_metrics(node_id, given[node_id])
                    for i, node_id in enumerate(ids)
                    if node_id in given
                }
            )
        seeds = _plain(seeds)
        if isinstance(seeds, (bool, float)) or not isinstance(seeds, (int, list, tuple)):
            raise ValueError(
                f"cluster.seeds: must be an integer >= 1 or a list of ids (got {seeds!r})"
            )
        if isinstance(seeds, int):
            check_number("cluster.seeds", seeds, low=1, integer=True)
            # Default ids sort by their number: the first ``seeds`` of them.
            first = (
                ids[:seeds]
                if isinstance(nodes, int)
                else heapq.nsmallest(seeds, ids, key=node_sort_key)
            )
            seed_ids = tuple(first)
        else:
            seed_ids = tuple(validate_node_id(s, field="cluster.seeds") for s in seeds)
            if not seed_ids:  # nobody would ever gossip: a run of silence
                raise ValueError(
                    "cluster.seeds: must be an integer >= 1 or a non-empty list of ids"
                )
            missing = sorted(set(seed_ids) - set(ids))
            if missing:
                raise ValueError(f"cluster.seeds: {missing[0]!r} is not in cluster.ids")
        if graph is not None:
            missing = sorted(set(ids) - {str(n) for n in graph.nodes})
            if missing:
                raise ValueError(f"network.graph: node {missing[0]!r} is not in the graph")
        check_number("network.loss", loss, low=0, high=1)
        return cls(
            ids=ids,
            params=params,
            score=score_fn,
            metrics=drawn,
            seeds=seed_ids,
            latency=latency or ConstantLatency(),
            loss=float(loss),
            graph=graph,
            seed=int(_plain(seed)),
            protocol=protocol_name,
            swim=swim,
            causality=causality,
            view=view,
            k=_plain(k),
        )


def _plain(value: Any) -> Any:
    """A NumPy integer as a Python int (``create(np.int64(5))``); anything else unchanged."""
    return int(value) if isinstance(value, np.integer) else value


def _checked_metrics(node_id: str, metrics: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for name, value in metrics.items():
        out[name] = check_number(f"score.nodes.{node_id}.{name}", value)
    return out
