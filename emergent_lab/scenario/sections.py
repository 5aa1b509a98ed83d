"""The optional sections of a scenario file, each parsed and checked on its own.

:func:`~emergent_lab.scenario.schema.parse_scenario` reads the cluster and
the timeline; the sections here (a network graph, measured RTTs as a
metric, replayed CPU traces, SWIM's detector settings) each bring their own
vocabulary and datasets, so each is one function that names the offending
key and the allowed values, as the rest of the schema does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import default_ids
from emergent_lab.detector.lifeguard import SwimParams
from emergent_lab.detector.params import DETECTOR_KINDS
from emergent_lab.scenario.errors import checked, fail
from emergent_lab.score import ScoreFunction
from emergent_lab.sim.latency import LatencyModel, MatrixLatency

TRACE_KEYS = ("dataset", "compress", "metric", "names")
TRACE_DATASETS = ("nab",)
GRAPH_MODELS = ("topology", "random_geometric", "complete")
SWIM_KEYS = tuple(f.name for f in dataclasses.fields(SwimParams))


@dataclass(frozen=True)
class TraceReplay:
    """Node metrics that replay real CPU traces (``[score] traces``), time-compressed.

    Node ``k`` (in id order) replays trace ``k mod len(names)``, so every node
    moves as a real machine's load did, ``compress`` times faster.
    """

    dataset: str
    compress: float
    metric: str
    names: tuple[str, ...]


def section_table(data: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The table ``data[key]`` (empty if absent), refusing any key not in ``allowed``."""
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise fail(key, f"must be a table (got {type(value).__name__})")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise fail(f"{key}.{unknown[0]}", f"unknown key (expected one of: {', '.join(allowed)})")
    return dict(value)


def parse_graph(spec: Any, ids: tuple[str, ...] | None, n: int, seed: int) -> nx.Graph:
    """``[network] graph``: a named topology, a random geometric graph (seeded) or complete."""
    if not isinstance(spec, Mapping):
        raise fail("network.graph", "must be a table with a 'model'")
    spec = dict(spec)
    model = spec.pop("model", None)
    if model not in GRAPH_MODELS:
        raise fail(
            "network.graph.model",
            f"unknown model {model!r} (expected one of: {', '.join(GRAPH_MODELS)})",
        )
    if model == "topology":
        from emergent_lab.datasets import load_topology

        _graph_keys(spec, model, ("name",))
        if "name" not in spec:
            raise fail("network.graph.name", "missing (model 'topology' needs a topology name)")
        if not isinstance(spec["name"], str):
            raise fail("network.graph.name", f"must be a topology name (got {spec['name']!r})")
        graph = checked(load_topology, spec["name"])
        mapping = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
        return nx.relabel_nodes(graph, mapping)
    if model == "random_geometric":
        _graph_keys(spec, model, ("radius",))
        radius = checked(
            check_number, "network.graph.radius", spec.get("radius", 0.3), low=0, low_open=True
        )
        graph = nx.random_geometric_graph(n, radius, seed=seed)
        return nx.relabel_nodes(graph, dict(zip(range(n), ids or default_ids(n), strict=True)))
    _graph_keys(spec, model, ())
    return nx.complete_graph(list(ids or default_ids(n)))


def _graph_keys(spec: Mapping[str, Any], model: str, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise fail(
            f"network.graph.{unknown[0]}",
            f"unknown key for model '{model}' (expected: {', '.join(('model', *allowed))})",
        )


def rtt_metrics(
    latency: LatencyModel | None, ids: tuple[str, ...], per_node: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Give each node an ``rtt`` metric: its median measured RTT to the other nodes.

    With a measured latency matrix, a node's closeness to the rest of the
    cluster is a fact of the network, so the latency-aware score ranks nodes
    by it instead of by a drawn number.
    """
    if not isinstance(latency, MatrixLatency):
        raise fail(
            "score.rtt_from_latency", "needs [network] latency with model = 'matrix' (a dataset)"
        )
    size = latency.matrix.shape[0]
    rows = np.arange(len(ids)) % size
    one_way = latency.matrix[np.ix_(rows, rows)]
    rtt = one_way + one_way.T
    np.fill_diagonal(rtt, np.nan)
    medians = np.nanmedian(rtt, axis=1) if len(ids) > 1 else np.zeros(1)
    out = {i: dict(per_node.get(i, {})) for i in ids}
    for node_id, value in zip(ids, medians, strict=True):
        out[node_id].setdefault("rtt", float(value))
    return out


def parse_traces(spec: Any, score: ScoreFunction) -> TraceReplay:
    """Validate ``[score] traces``: which traces, how much faster, into which metric."""
    from emergent_lab.datasets import list_cpu_traces, load_cpu_traces

    if not isinstance(spec, Mapping):
        raise fail("score.traces", "must be a table like { dataset = 'nab', compress = 2000.0 }")
    unknown = sorted(set(spec) - set(TRACE_KEYS))
    if unknown:
        raise fail(
            f"score.traces.{unknown[0]}", f"unknown key (expected one of: {', '.join(TRACE_KEYS)})"
        )
    dataset = spec.get("dataset", "nab")
    if dataset not in TRACE_DATASETS:
        raise fail(
            "score.traces.dataset",
            f"unknown dataset {dataset!r} (expected one of: {', '.join(TRACE_DATASETS)})",
        )
    compress = checked(
        check_number, "score.traces.compress", spec.get("compress", 2016.0), low=0, low_open=True
    )
    metric = spec.get("metric", "cpu")
    if metric not in score.metric_names:
        raise fail(
            "score.traces.metric",
            f"{metric!r} is not a metric of the score function "
            f"(expected one of: {', '.join(score.metric_names)})",
        )
    names = spec.get("names", list_cpu_traces())
    if not isinstance(names, list) or not names or not all(isinstance(x, str) for x in names):
        raise fail("score.traces.names", "must be a non-empty list of CPU trace names")
    try:
        canonical = tuple(load_cpu_traces(names))
    except ValueError as error:
        raise fail("score.traces.names", str(error)) from None
    return TraceReplay(str(dataset), float(compress), str(metric), canonical)


def parse_swim(detector: dict[str, Any]) -> SwimParams | None:
    """``[detector] kind = "swim"``: take SWIM/Lifeguard's keys out of the table, validated."""
    given = {key: detector.pop(key) for key in SWIM_KEYS if key in detector}
    kind = detector.get("kind", "akka")
    if kind != "swim":
        if kind not in DETECTOR_KINDS:
            allowed = ", ".join(repr(k) for k in (*DETECTOR_KINDS, "swim"))
            raise fail("detector.kind", f"must be one of {allowed} (got {kind!r})")
        if given:
            raise fail(f"detector.{sorted(given)[0]}", "is a SWIM setting (needs kind = 'swim')")
        return None
    detector.pop("kind")
    if detector:
        raise fail(
            f"detector.{sorted(detector)[0]}",
            f"is a phi setting; with kind = 'swim' give only: {', '.join(SWIM_KEYS)}",
        )
    params: SwimParams = checked(SwimParams, **given)
    return params
