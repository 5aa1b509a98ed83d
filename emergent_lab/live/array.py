"""``ArrayClusterSource``: the :class:`ClusterSource` protocol over an :class:`ArrayCluster`.

Why it draws a sample: the array engine runs 100,000 nodes and more, and a
dashboard frame costs what it draws (a node state, a dot and a bird per node,
and their share of the browser patch), so drawing every node would make each
frame O(n), seconds at that size, and the picture an unreadable blot. The
source therefore shows at most about :data:`DRAW_LIMIT` nodes: a random
subset drawn from the cluster's seed (the same run is drawn the same way),
the best node and its likely successors, and, as the run goes on, the
recognised leader, acting leaders, opinions many drawn nodes follow, and
every node the user acts on. Those are appended to the drawing, as nodes
that join are, so nothing drawn moves. Per-node readings (suspicions,
replay records) cover the drawn nodes only, so a frame's cost is bounded by
the drawing, not by n; the cluster-wide timeline, leader and traffic are the
engine's own.

What the array engine cannot do (pause a node, change weights or protocol
parameters, see :data:`~emergent_lab.array.cluster.ARRAY_ACTIONS`) raises a
``ValueError`` naming the action and the supported ones, and the dashboard
disables those controls (:attr:`ArrayClusterSource.unsupported_actions`).
Exchanges run as batched arrays with no per-message hook, so no gossip edges
are drawn. Reads never change the engine (see :mod:`emergent_lab.array.reader`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from emergent_lab.array.cluster import ARRAY_ACTIONS, ArrayCluster
from emergent_lab.array.reader import SampledRecord, ViewReader
from emergent_lab.array.views import TopKView
from emergent_lab.core.arrays import IntArray
from emergent_lab.core.checks import check_number
from emergent_lab.live.parts import (
    EngineReadings,
    recorded_node,
    reset_config,
    set_loss,
)
from emergent_lab.run.engine import max_nodes
from emergent_lab.run.source import (
    Capabilities,
    Mark,
    Message,
    NodeState,
    PeerEntry,
    RecordedNode,
    TrafficLog,
)
from emergent_lab.scenario import Scenario
from emergent_lab.scenario.array import build_array_cluster

DRAW_LIMIT = 300
"""Nodes drawn at most, besides those the user acted on (and the leader, always)."""
RESERVED = 40
"""Of the limit, places kept for nodes that become important while the run goes on."""
SUCCESSORS = 4
"""Next-best nodes by score drawn from the start: the likely next leaders, recorded from t = 0."""
FOLLOWED_SHARE = 0.1
"""An undrawn node followed by this share of the drawn up nodes is drawn, so flocks have a head."""
MAX_ACTING = 8
"""Acting leaders drawn per frame at most (a split can make many)."""
DRAW_STREAM = 0xD7A3
"""Second seed word of the sampling generator, so it is not the engine's stream."""
UNSUPPORTED: Mapping[str, str] = {
    "pause": "pause a node",
    "set_weights": "change score weights",
    "set_param": "change protocol parameters",
}
"""Dashboard verbs the array engine cannot do, and what they would do."""
SUPPORTED = ("kill", "revive", "boost", "partition", "heal", "loss")


def initial_sample(cluster: ArrayCluster, limit: int) -> IntArray:
    """The nodes drawn from the start: all if few, else a seeded subset and the best ones.

    Sorted by index, so the network view's circle is in id order as for a
    small cluster.
    """
    n = cluster.n
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    reserve = min(RESERVED, limit // 4)
    rng = np.random.default_rng((cluster.config.seed, DRAW_STREAM))
    chosen = rng.choice(n, size=limit - reserve, replace=False)
    score = np.where(cluster.up, cluster.true_score, -np.inf)
    best = np.lexsort((cluster.rank, -score))[: SUCCESSORS + 1]
    return np.unique(np.concatenate([chosen, best])).astype(np.int64)


class ArrayClusterSource(EngineReadings[ArrayCluster]):
    """Reads and drives an array-engine cluster for the dashboard, drawing a sample of it.

    Args:
        cluster: the cluster to show.
        scenario: the scenario it was built from, if any; Reset then rebuilds
            it (its timeline included) under the new seed.
        limit: how many nodes to draw at most, besides the leader and the
            nodes acted on.
    """

    def __init__(
        self, cluster: ArrayCluster, scenario: Scenario | None = None, *, limit: int = DRAW_LIMIT
    ) -> None:
        check_number("limit", limit, low=1, integer=True)
        self.cluster = cluster
        self.scenario = scenario
        self.limit = int(limit)
        self.reader = ViewReader(cluster)
        self.record = SampledRecord()
        self.traffic_log = TrafficLog(self.traffic_now())
        self._names: list[str] = []
        self._draw(initial_sample(cluster, self.limit).tolist())
        self._track()

    @property
    def size(self) -> int:
        """Nodes in the cluster (drawn or not)."""
        return self.cluster.n

    def capabilities(self) -> Capabilities:
        """A drawn sample of the nodes, rebuildable to the array engine's largest size.

        The verbs the array engine cannot do are refused (their controls are disabled).
        """
        return Capabilities(
            refused=frozenset(UNSUPPORTED),
            size=self.cluster.n,
            max_size=max_nodes("array", self.cluster.config.view),
        )

    # -- the drawing ----------------------------------------------------------------------

    def _draw(self, nodes: Sequence[int]) -> None:
        before = self.record.nodes.size
        self.record.follow(self.cluster, nodes)
        ids = self.cluster.ids.ids
        self._names.extend(ids[i] for i in self.record.nodes[before:].tolist())

    def draw(self, node_id: str) -> None:
        """Add a node to the drawing (selecting or acting on it does)."""
        index = self.cluster.ids.index.get(node_id)
        if index is None:
            raise ValueError(f"node: unknown node {node_id!r}")
        self._draw([index])

    def _track(self) -> None:
        """Record the drawn nodes, and draw those that just became important."""
        c = self.cluster
        self.record.record(c)
        leader = c.leader()
        must = [c.best_index(), c.ids.index[leader] if leader is not None else -1]
        self._draw([i for i in must if i >= 0])
        room = self.limit - self.record.nodes.size
        if room <= 0:
            return
        drawn = self.record.nodes
        acting = np.flatnonzero(c.acting & c.up)[:MAX_ACTING]
        held = c.opinion[drawn[c.up[drawn]]]
        values, counts = np.unique(held[held >= 0], return_counts=True)
        followed = values[counts >= FOLLOWED_SHARE * max(held.size, 1)]
        extra = np.setdiff1d(np.concatenate([acting, followed]), drawn)
        self._draw(extra[:room].tolist())

    # -- readings ---------------------------------------------------------------------------

    def node_ids(self) -> Sequence[str]:
        """The drawn nodes: the first sample in id order, then later additions in order."""
        return list(self._names)

    def nodes(self) -> Sequence[NodeState]:
        """The drawn nodes' states; ``suspected_by`` counts drawn up nodes that think it dead."""
        self._track()
        c = self.cluster
        drawn = self.record.nodes
        up = c.up[drawn]
        suspected = self.reader.suspected_by(drawn[up], drawn)
        ids = c.ids.ids
        columns = (
            drawn.tolist(),
            up.tolist(),
            c.opinion[drawn].tolist(),
            c.recognised[drawn].tolist(),
            c.acting[drawn].tolist(),
            c.true_score[drawn].tolist(),
            c.generation[drawn].tolist(),
            c.heartbeat[drawn].tolist(),
            suspected.tolist(),
        )
        return [
            NodeState(
                node_id=ids[i],
                up=on,
                opinion=ids[op] if on and op >= 0 else None,
                recognised=ids[rec] if on and rec >= 0 else None,
                acting=on and act,
                score=score,
                metrics=c.metrics.get(i) or c.config.metrics[i],
                generation=gen,
                heartbeat=beat,
                suspected_by=sus if on else 0,
            )
            for i, on, op, rec, act, score, gen, beat, sus in zip(*columns, strict=True)
        ]

    def _index(self, node_id: str) -> int:
        return self.cluster.ids.index[self.cluster.node_id(node_id)]

    def peers(self, observer: str) -> Sequence[PeerEntry]:
        """Every entry the observer's view holds (its k candidates on a top-k view)."""
        i = self._index(observer)
        if not self.cluster.up[i]:
            return []
        held = self.reader.held(i)
        ids = self.cluster.ids.ids
        columns = (
            held.peer.tolist(),
            held.generation.tolist(),
            held.heartbeat.tolist(),
            held.score.tolist(),
            self.reader.phi(held),
            self.reader.alive(held).tolist(),
        )
        return [
            PeerEntry(ids[j], gen, beat, score, phi, alive)
            for j, gen, beat, score, phi, alive in zip(*columns, strict=True)
        ]

    def phi(self, observer: str, subject: str) -> float:
        """Phi of ``subject`` at ``observer``; 0 when the observer is down or does not hold it."""
        i, j = self._index(observer), self._index(subject)
        if not self.cluster.up[i]:
            return 0.0
        held = self.reader.held(i)
        rows = np.flatnonzero(held.peer == j)
        if not rows.size:
            return 0.0
        return self.reader.phi(dataclasses.replace(held, detector=held.detector[rows[:1]]))[0]

    def node_at(self, node_id: str, time: float) -> RecordedNode | None:
        """A drawn node's record at ``time`` (None before it was drawn)."""
        record = self.record.at(self._index(node_id), time)
        return recorded_node(*record, self.cluster.ids.ids) if record else None

    def marks(self, start: int = 0) -> Sequence[Mark]:
        """The engine's marks from ``start`` on."""
        return [Mark(t, kind, label) for t, kind, label in self.cluster.observer.marks[start:]]

    def messages(self, since: float) -> Sequence[Message]:
        """None: exchanges run as batched arrays, with no per-message hook to sample."""
        return []

    def loss_rate(self) -> float:
        """The message-loss probability in force."""
        return self.cluster.loss

    # -- actions ------------------------------------------------------------------------------

    def _acted(self, node_id: str) -> None:
        self.draw(node_id)
        self.record.record(self.cluster)

    def kill(self, node_id: str) -> None:
        """Crash the node (and draw it)."""
        self._acted(self.cluster.crash(node_id))

    def revive(self, node_id: str) -> None:
        """Restart the node under a new generation (and draw it)."""
        self._acted(self.cluster.restart(node_id))

    def boost(self, node_id: str) -> None:
        """Set every metric of the node to the best value of its declared range."""
        resolved = self.cluster.resolve(node_id)
        self.cluster.set_metrics(resolved, self.cluster.score_function.best_metrics())
        self._acted(resolved)

    def partition(self, groups: Sequence[Sequence[str]] | str) -> None:
        """Partition the network; undrawn nodes go with the last group named.

        The dashboard can only name drawn nodes, and its "partition
        selection" names the selection, then the rest of the drawing: so the
        selection is cut off from the whole cluster, not from the drawing
        only. The engine puts every node of no named group in one more group,
        so the last group is left unnamed there, after checking its ids.
        """
        if isinstance(groups, str) or len(groups) < 2:
            self.cluster.partition(groups)
        else:
            for node_id in groups[-1]:
                self.cluster.resolve(node_id)
            self.cluster.partition([list(g) for g in groups[:-1]])
        self.record.record(self.cluster)

    def heal(self) -> None:
        """End partitions."""
        self.cluster.heal()

    def loss(self, probability: float, duration: float | None = None) -> None:
        """Set the loss, restoring the previous value after ``duration`` if given."""
        set_loss(self.cluster, probability, duration, restore=self.loss_rate())

    def _unsupported(self, action: str) -> ValueError:
        return ValueError(
            f"{action}: the array engine cannot {UNSUPPORTED[action]} (supported: "
            f"{', '.join(SUPPORTED)}; engine actions: {', '.join(ARRAY_ACTIONS)})"
        )

    def pause(self, node_id: str, duration: float) -> None:
        """Refused: the array engine has no pause."""
        raise self._unsupported("pause")

    def set_weights(self, weights: Mapping[str, float]) -> None:
        """Refused: the array engine scores with fixed weights."""
        raise self._unsupported("set_weights")

    def set_param(self, name: str, value: float) -> None:
        """Refused: the array engine runs with fixed protocol parameters."""
        raise self._unsupported("set_param")

    def step(self) -> None:
        """One gossip round."""
        self.advance(self.cluster.params.gossip_interval)

    def advance(self, duration: float) -> None:
        """Advance virtual time slot by slot, recording the drawn nodes after each.

        Stepping slot by slot runs exactly what ``cluster.run_for`` runs;
        it only gives replay the drawn nodes' state at every slot. The traffic
        is sampled after the first slot past each whole second (never between
        slots, where a second would hold fewer slots than the others).
        """
        check_number("duration", duration, low=0)
        c = self.cluster
        target = c.time + duration
        while c.next_slot_time() <= target:
            c.step_slot()
            self.record.record(c)
            if self.traffic_log.due(c.time):
                self.traffic_log.add(self.traffic_now())
        c.run(target)
        self.record.record(c)

    # -- rebuilding ------------------------------------------------------------------------

    def rebuilt(self, seed: int, nodes: int) -> ArrayClusterSource:
        """A fresh cluster with this seed and size, the same view model and the loss in force.

        As :meth:`SimClusterSource.rebuilt`: a scenario is re-read under the
        new seed while the size is unchanged; at another size its timeline is
        kept and its per-node metrics dropped.
        """
        check_number("seed", seed, low=0, integer=True)
        check_number(
            "nodes", nodes, low=1, high=max_nodes("array", self.cluster.config.view), integer=True
        )
        c = self.cluster
        if self.scenario is not None and int(nodes) == c.n:
            redrawn = self.scenario.with_seed(int(seed))
            config = dataclasses.replace(redrawn.config, loss=c.loss)
            scenario = dataclasses.replace(redrawn, config=config)
            return ArrayClusterSource(build_array_cluster(scenario), scenario, limit=self.limit)
        config = reset_config(
            c.config, int(nodes), int(seed), params=c.params, score=c.score_function, loss=c.loss
        )
        if self.scenario is not None:
            scenario = dataclasses.replace(self.scenario, config=config)
            return ArrayClusterSource(build_array_cluster(scenario), scenario, limit=self.limit)
        k = c.view.k if isinstance(c.view, TopKView) else 8
        cluster = ArrayCluster(config, view=c.view_kind, k=k, exchange=c.exchange, phases=c.phases)
        return ArrayClusterSource(cluster, limit=self.limit)
