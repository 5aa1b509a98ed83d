"""Where the network view draws each node: coordinates, a spring layout, or a circle.

A dataset's coordinates (longitude/latitude from the Topology Zoo, ``pos``
from a random geometric graph) are the truth and win. A sparse graph gets a
seeded spring layout, which shows its structure. Without a graph (or with a
complete one) everyone reaches everyone, so there is no structure to reveal:
nodes sit on a circle in id order, which keeps gossip chords readable.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from emergent_lab.core.arrays import FloatArray


def _coordinates(graph: nx.Graph, ids: Sequence[str]) -> FloatArray | None:
    """The graph's own coordinates for every id, if it has them for all."""
    data = graph.nodes
    if all(i in data and "x" in data[i] and "y" in data[i] for i in ids):
        return np.array([[float(data[i]["x"]), float(data[i]["y"])] for i in ids])
    if all(i in data and "pos" in data[i] for i in ids):
        return np.array([[float(v) for v in data[i]["pos"][:2]] for i in ids])
    return None


def _normalised(xy: FloatArray) -> FloatArray:
    """Centre on 0 and scale into [-1, 1] so every layout fills the same plot."""
    centred = xy - xy.mean(axis=0)
    extent = float(np.abs(centred).max()) if centred.size else 0.0
    scaled: FloatArray = centred / extent if extent > 0 else centred
    return scaled


def node_positions(ids: Sequence[str], graph: nx.Graph | None, seed: int) -> FloatArray:
    """Positions (n x 2, within [-1, 1]) of ``ids`` for the network view.

    Args:
        ids: the nodes to place, in the order the views use.
        graph: the cluster's reachability graph, if it has one.
        seed: seeds the spring layout, so the same run is drawn the same way.
    """
    n = len(ids)
    if graph is not None and n > 1:
        given = _coordinates(graph, ids)
        if given is not None:
            return _normalised(given)
        complete = graph.number_of_edges() == n * (n - 1) // 2
        if not complete:
            sub = graph.subgraph([i for i in ids if i in graph])
            spring = nx.spring_layout(sub, seed=seed)
            placed = np.array([spring.get(i, (0.0, 0.0)) for i in ids], dtype=float)
            return _normalised(placed)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    return np.column_stack([np.cos(angles), np.sin(angles)])


def extend_positions(positions: FloatArray, total: int) -> FloatArray:
    """Place nodes that joined after the layout on an outer ring, in joining order."""
    have = positions.shape[0]
    if total <= have:
        return positions
    k = np.arange(total - have)
    angles = np.pi / 2 - 2 * np.pi * k / max(total - have, 8)
    ring = 1.15 * np.column_stack([np.cos(angles), np.sin(angles)])
    return np.vstack([positions, ring])
