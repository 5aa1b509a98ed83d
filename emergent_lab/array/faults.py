"""The array engine's faults and changes, as functions of the cluster.

:class:`~emergent_lab.array.cluster.ArrayCluster`'s verbs call these (as its
slots call :mod:`emergent_lab.array.slot`), so the engine's clock, arrays and
verbs read in one module and what a crash, a restart or a metric change does
to them in another. Each logs its event before it changes anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from emergent_lab.array.slot import evaluate, publish, record
from emergent_lab.core.ids import NO_NODE

if TYPE_CHECKING:
    from emergent_lab.array.cluster import ArrayCluster


def crash(cluster: ArrayCluster, node: str) -> str:
    """Stop a node at once; it keeps nothing. Returns the id crashed."""
    node_id = cluster.resolve(node)
    i = cluster.ids.index[node_id]
    if not cluster.up[i]:
        raise ValueError(f"node: {node_id!r} is not running")
    cluster.mark("crash", {"node": node}, [node_id])
    cluster.up[i] = False
    cluster.acting[i] = False
    cluster.crashed_at[i] = cluster.time
    record(cluster)
    return node_id


def restart(cluster: ArrayCluster, node: str) -> str:
    """Start a stopped node again under a new generation, with an empty view."""
    node_id = cluster.resolve(node)
    i = cluster.ids.index[node_id]
    if cluster.up[i]:
        raise ValueError(f"node: {node_id!r} is already running")
    cluster.mark("restart", {"node": node}, [node_id])
    cluster.view.reset(i)
    cluster.generation[i] += 1
    cluster.version[i] = 1
    cluster.heartbeat[i] = 0
    cluster.started_at[i] = cluster.time
    cluster.crashed_at[i] = math.inf
    cluster.opinion[i] = cluster.recognised[i] = NO_NODE
    cluster.up[i] = True
    node_array = np.array([i], dtype=np.int64)
    publish(cluster, node_array)
    evaluate(cluster, node_array)
    record(cluster)
    return node_id


def set_metrics(cluster: ArrayCluster, node: str, metrics: Mapping[str, float]) -> None:
    """Change some metrics of one node, validated before anything changes."""
    node_id = cluster.resolve(node)
    i = cluster.ids.index[node_id]
    checked = cluster.score_function.check_metrics(metrics)
    new = {**cluster.config.metrics[i], **cluster.metrics.get(i, {}), **checked}
    score = cluster.score_function.score(new)
    cluster.mark("set_metric", {"node": node, **checked}, [node_id])
    cluster.metrics[i] = new
    cluster.true_score[i] = cluster.score[i] = score
    cluster.best_cache = NO_NODE
    cluster.version[i] += 1
    if cluster.up[i]:
        node_array = np.array([i], dtype=np.int64)
        publish(cluster, node_array)
        evaluate(cluster, node_array)
    record(cluster)
