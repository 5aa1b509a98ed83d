"""``SimClusterSource``: the :class:`ClusterSource` protocol over a :class:`SimCluster`.

This is the only module of the Jupyter layer that knows the simulator; every
view reads through the protocol. It also knows how to rebuild its cluster
with another seed or size (the dashboard's Reset), keeping the parameters,
weights and loss the user set with the sliders.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import deque
from collections.abc import Mapping, Sequence

import numpy as np

from emergent_lab.core.checks import check_number
from emergent_lab.core.timeline import record_in_force
from emergent_lab.exact import SimCluster
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
from emergent_lab.scenario import Scenario, build_cluster

MESSAGE_SAMPLE = 400
"""At most this many recent messages are kept for the network view's fading edges."""


class SimClusterSource(EngineReadings[SimCluster]):
    """Reads and drives a simulated cluster for the dashboard.

    Args:
        cluster: the cluster to show.
        scenario: the scenario it was built from, if any; Reset then rebuilds
            the scenario (its timeline included) under the new seed.
    """

    def __init__(self, cluster: SimCluster, scenario: Scenario | None = None) -> None:
        self.cluster = cluster
        self.scenario = scenario
        self._messages: deque[tuple[float, int, int]] = deque(maxlen=MESSAGE_SAMPLE)
        self.traffic_log = TrafficLog(self.traffic_now())
        cluster.network.on_send.append(self._on_send)

    def _on_send(self, now: float, src: int, dst: int, kind: str, size: int) -> None:
        if kind == "syn":
            self._messages.append((now, src, dst))

    # -- readings ---------------------------------------------------------------------

    def node_ids(self) -> Sequence[str]:
        """Configured nodes first, then those that joined, in joining order."""
        return list(self.cluster.nodes)

    def nodes(self) -> Sequence[NodeState]:
        """Every node's state; ``suspected_by`` counts up nodes that know it and think it dead.

        A peer a node has not heard of yet is not suspected by it (joining
        nodes are not suspects), and a down node's count says how many
        running nodes have detected its absence.
        """
        cluster = self.cluster
        ids = cluster.ids.ids
        size = len(ids)
        suspected = np.zeros(size, dtype=np.int64)
        for node in cluster.nodes.values():
            if not node.running:
                continue
            # A mask, not the peer list: gathering each view's peer list (peers_held)
            # cost more than the rest of a frame at 1,000 nodes.
            doubted = node.held_mask(size)
            alive = node.alive_mask[: doubted.shape[0]]
            doubted[: alive.shape[0]] &= ~alive
            suspected[: doubted.shape[0]] += doubted
        scores, counts = cluster.true_score.tolist(), suspected.tolist()
        states = []
        for node_id, node in cluster.nodes.items():
            up = node.running
            states.append(
                NodeState(
                    node_id=node_id,
                    up=up,
                    opinion=ids[node.opinion] if up and node.opinion >= 0 else None,
                    recognised=ids[node.recognised] if up and node.recognised >= 0 else None,
                    acting=up and node.acting,
                    score=scores[node.index],
                    metrics=cluster.metrics[node_id],
                    generation=node.generation,
                    heartbeat=node.heartbeat_count,
                    suspected_by=counts[node.index],
                )
            )
        return states

    def peers(self, observer: str) -> Sequence[PeerEntry]:
        """The observer's view: every peer it holds a state for."""
        node = self.cluster.node(observer)
        if not node.running:
            return []
        held = node.peers_held()
        phi = node.phis(held.peer)
        alive = node.alive_mask
        ids = self.cluster.ids.ids
        return [
            PeerEntry(
                peer=ids[j],
                generation=int(generation),
                heartbeat=int(heartbeat),
                score=float(score),
                phi=float(p),
                alive=bool(j < alive.shape[0] and alive[j]),
            )
            for j, generation, heartbeat, score, p in zip(
                held.peer.tolist(),
                held.generation.tolist(),
                held.heartbeat.tolist(),
                held.score.tolist(),
                phi.tolist(),
                strict=True,
            )
        ]

    def phi(self, observer: str, subject: str) -> float:
        """Phi of ``subject`` at ``observer`` (0 when the observer is down)."""
        node = self.cluster.node(observer)
        return node.phi_of(subject) if node.running else 0.0

    def node_at(self, node_id: str, time: float) -> RecordedNode | None:
        """A node's record in force at ``time``."""
        index = self.cluster.ids.index.get(node_id)
        records = self.cluster.observer.nodes.get(index, []) if index is not None else []
        record = record_in_force(records, time)
        if record is None:
            return None
        ids = self.cluster.ids.ids
        return recorded_node(record.up, record.opinion, record.recognised, record.acting, ids)

    def marks(self, start: int = 0) -> Sequence[Mark]:
        """Observer marks from ``start`` on, naming the nodes a target like "leader" resolved to.

        Each mark is made with its event record, so the two lists run in step.
        """
        events = self.cluster.events
        marks = []
        for i, (t, kind, label) in enumerate(self.cluster.observer.marks[start:], start):
            record = events[i] if i < len(events) else None
            if record is not None and record.at == t and record.action == kind:
                named = [r for r in record.resolved if r not in label.split("=")[-1:]]
                if named:
                    label = f"{label} ({', '.join(named)})"
            marks.append(Mark(t, kind, label))
        return marks

    def messages(self, since: float) -> Sequence[Message]:
        """Recent gossip digests (SYN messages) sent after ``since``."""
        ids = self.cluster.ids.ids
        return [Message(t, ids[s], ids[d]) for t, s, d in self._messages if t > since]

    def loss_rate(self) -> float:
        """The network's loss probability."""
        return self.cluster.network.loss

    # -- actions ---------------------------------------------------------------------------

    def kill(self, node_id: str) -> None:
        """Crash the node."""
        self.cluster.crash(node_id)

    def revive(self, node_id: str) -> None:
        """Restart the node."""
        self.cluster.restart(node_id)

    def pause(self, node_id: str, duration: float) -> None:
        """Pause the node."""
        self.cluster.pause(node_id, duration)

    def boost(self, node_id: str) -> None:
        """Set every metric of the node to the best value of its declared range."""
        self.cluster.set_metrics(node_id, self.cluster.score_function.best_metrics())

    def partition(self, groups: Sequence[Sequence[str]] | str) -> None:
        """Partition the network."""
        self.cluster.partition(groups)

    def heal(self) -> None:
        """Heal the network."""
        self.cluster.heal()

    def loss(self, probability: float, duration: float | None = None) -> None:
        """Set the loss, restoring the previous value after ``duration`` if given."""
        set_loss(self.cluster, probability, duration, restore=self.loss_rate())

    def set_weights(self, weights: Mapping[str, float]) -> None:
        """Push new weights to every node."""
        self.cluster.set_weights(weights)

    def set_param(self, name: str, value: float) -> None:
        """Change a parameter; the fanout is kept an integer."""
        if name == "fanout":
            value = int(check_number("cluster.fanout", value, low=1, integer=True))
        self.cluster.set_param(name, value)

    def step(self) -> None:
        """One gossip round (through :meth:`advance`, so the traffic is sampled too)."""
        self.advance(self.cluster.params.gossip_interval)

    def advance(self, duration: float) -> None:
        """Advance virtual time, sampling the traffic at each whole second on the way.

        Running to each whole second and on runs exactly the events one run
        to the end would (events due at a stop are processed before it).
        """
        check_number("duration", duration, low=0)
        cluster = self.cluster
        until = cluster.time + duration
        for second in self.traffic_log.due(until):
            if second > cluster.time:
                cluster.run(second)
            self.traffic_log.add(self.traffic_now())
        cluster.run(until)

    # -- forking and rebuilding --------------------------------------------------------------

    def fork(self) -> SimClusterSource:
        """An independent copy of the running cluster that goes on event for event as this one.

        The scenario and the configuration are immutable and shared; the
        cluster (nodes, scheduler with its pending work, network, observer,
        event log) is deep-copied, and its send hook points at the copy.
        """
        twin = copy.copy(self)
        memo: dict[int, object] = {
            id(self): twin,
            id(self.scenario): self.scenario,
            id(self.cluster.config): self.cluster.config,
        }
        twin.cluster = copy.deepcopy(self.cluster, memo)
        twin._messages = copy.copy(self._messages)
        twin.traffic_log = self.traffic_log.copy()
        return twin

    def capabilities(self) -> Capabilities:
        """Every verb, every node drawn, Reset up to the exact engine's size, the graph if any."""
        config = self.cluster.config
        return Capabilities(max_size=max_nodes("exact", config.view), graph=config.graph)

    def rebuilt(self, seed: int, nodes: int) -> SimClusterSource:
        """A fresh cluster with this seed and size and the parameters in force now.

        Metrics are drawn again from the seed, so the same seed reproduces the
        same run. A scenario is re-read under the new seed (its timeline, given
        metrics and graph kept) while the size is unchanged; at another size
        its timeline is kept but its graph and per-node metrics, which name
        nodes, are dropped.
        """
        check_number("seed", seed, low=0, integer=True)
        current = self.cluster
        check_number(
            "nodes", nodes, low=1, high=max_nodes("exact", current.config.view), integer=True
        )
        old = current.config
        params, score, loss = current.params, current.score_function, current.network.loss
        if self.scenario is not None and int(nodes) == len(old.ids):
            redrawn = self.scenario.with_seed(int(seed))
            config = dataclasses.replace(redrawn.config, params=params, score=score, loss=loss)
            scenario = dataclasses.replace(redrawn, config=config)
            return SimClusterSource(build_cluster(scenario), scenario)
        config = reset_config(old, int(nodes), int(seed), params=params, score=score, loss=loss)
        if self.scenario is None:
            return SimClusterSource(SimCluster(config))
        scenario = dataclasses.replace(self.scenario, config=config)
        return SimClusterSource(build_cluster(scenario), scenario)
