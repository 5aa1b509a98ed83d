"""One picture of the cluster's nodes, taken live or read back from the record.

Views draw a ``NodeFrame`` and do not care where it came from, so replay
and export redraw exactly what the live dashboard draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.run.source import ClusterSource, NodeState


@dataclass(frozen=True)
class NodeFrame:
    """Per-node arrays in the views' node order, at ``time``."""

    time: float
    ids: Sequence[str]
    up: BoolArray
    follows: IntArray
    """Index (into ``ids``) of the node each node follows, or -1."""
    recognised: IntArray
    """Index of the leader each node recognises, or -1."""
    acting: BoolArray
    score: FloatArray
    suspected: BoolArray
    """Up nodes that at least one up node believes dead (not recorded: False in replay)."""
    leader: str | None
    """The leader the whole cluster recognises (it has converged), or None."""


def _index_of(ids: Sequence[str]) -> dict[str, int]:
    return {node_id: i for i, node_id in enumerate(ids)}


def live_frame(source: ClusterSource, states: Sequence[NodeState] | None = None) -> NodeFrame:
    """The nodes as they are now (``states`` saves a second read when given)."""
    states = source.nodes() if states is None else states
    ids = [s.node_id for s in states]
    where = _index_of(ids)
    return NodeFrame(
        time=source.time,
        ids=ids,
        up=np.array([s.up for s in states], dtype=bool),
        follows=np.array(
            [where.get(s.opinion, -1) if s.opinion else -1 for s in states], dtype=np.int64
        ),
        recognised=np.array(
            [where.get(s.recognised, -1) if s.recognised else -1 for s in states],
            dtype=np.int64,
        ),
        acting=np.array([s.acting for s in states], dtype=bool),
        score=np.array([s.score for s in states], dtype=float),
        suspected=np.array([s.up and s.suspected_by > 0 for s in states], dtype=bool),
        leader=source.leader(),
    )


def recorded_frame(source: ClusterSource, time: float, scores: FloatArray) -> NodeFrame:
    """The nodes as the observer recorded them at ``time``.

    Scores are not part of the record, so the current ``scores`` size the
    nodes (one per id, in ``node_ids()`` order); colours, marks and the leader
    are the recorded ones.
    """
    ids = list(source.node_ids())
    where = _index_of(ids)
    records = [source.node_at(node_id, time) for node_id in ids]
    point = source.cluster_at(time)
    n = len(ids)
    return NodeFrame(
        time=time,
        ids=ids,
        up=np.array([bool(r and r.up) for r in records], dtype=bool),
        follows=np.array(
            [where.get(r.opinion, -1) if r and r.opinion else -1 for r in records], dtype=np.int64
        ),
        recognised=np.array(
            [where.get(r.recognised, -1) if r and r.recognised else -1 for r in records],
            dtype=np.int64,
        ),
        acting=np.array([bool(r and r.acting) for r in records], dtype=bool),
        score=scores,
        suspected=np.zeros(n, dtype=bool),
        leader=point.leader if point else None,
    )


@dataclass(frozen=True)
class Status:
    """What the readout says about leadership: one of four states, with its evidence."""

    state: str
    """``converged``, ``emerging``, ``split`` or ``none``."""
    leaders: tuple[str, ...]
    """The recognised leader (converged), the acting leaders (split, emerging), or none."""
    text: str
    """The sentence shown, e.g. ``split: 2 leaders (n3, n6)``."""


def cluster_status(frame: NodeFrame) -> Status:
    """Converged on L, emerging, split between k leaders, or no leader: as the frame shows it.

    Split means two or more running nodes act as leader at once, whatever
    else is true: the readout must never say "emerging" while two flocks
    each follow their own leader.
    """
    up = frame.up
    acting = [frame.ids[i] for i in np.flatnonzero(frame.acting & up).tolist()]
    n_up = int(up.sum())
    if len(acting) >= 2:
        names = ", ".join(acting[:4]) + (", …" if len(acting) > 4 else "")
        return Status("split", tuple(acting), f"split: {len(acting)} leaders ({names})")
    if frame.leader is not None:
        return Status(
            "converged", (frame.leader,), f"leader: {frame.leader} · converged ({n_up} up)"
        )
    if acting:
        me = frame.ids.index(acting[0])
        held = int(np.count_nonzero(up & (frame.recognised == me)))
        return Status(
            "emerging",
            (acting[0],),
            f"leader: emerging… ({acting[0]} acting, recognised by {held} of {n_up})",
        )
    if n_up == 0:
        return Status("none", (), "no leader: every node is down")
    if not np.any(up & (frame.follows >= 0)):
        return Status("emerging", (), "leader: emerging… (nodes still discovering each other)")
    return Status("none", (), "no leader: no running node acts as leader")
