"""The array engine: the emergent-leader protocol in rounds, on numpy arrays.

Cycle-driven like PeerSim: time advances one gossip interval per round, and
each round is split into ``phases`` slots. Every node has a fixed random
phase (as the exact engine's nodes do) and acts in its slot: it heartbeats,
picks ``fanout`` random partners and runs a push-pull exchange with each, in
phase order, so news can travel several hops in one round as it does with
asynchronous timers. The merges run one after another in that order, in a
compiled loop (:mod:`emergent_lab.array.kernels`). After each slot the nodes
that took part re-apply the leader rule; the observer records the cluster once per slot
(one slot's work is :mod:`emergent_lab.array.slot`, what a fault does
:mod:`emergent_lab.array.faults`; this module keeps the arrays, the clock and the verbs).

The semantics are those of :class:`~emergent_lab.protocol.node.Node` at slot
granularity: versioned states merged by highest ``(generation, version)``,
phi-accrual liveness fed by heartbeat arrivals, the leader rule with its
emergence threshold, recognition at the convergence threshold, joining nodes
that hold no opinion until they hear from a peer. What differs:

* partners come from a uniform peer-sampling service (any node but oneself;
  a full view redraws once a partner it suspects), not from the view, so a
  fresh cluster forms faster than through the seeds;
* a message is lost with the loss probability or when it would cross a
  partition or reach a stopped node; there is no latency inside a slot;
* actions are those of :data:`ARRAY_ACTIONS` (no pause, leave, join, cut,
  latency, weight or parameter changes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Literal

import numpy as np

from emergent_lab.array import faults
from emergent_lab.array.detector import EntryDetector
from emergent_lab.array.record import RoundObserver
from emergent_lab.array.slot import evaluate, publish, record, run_slot
from emergent_lab.array.views import FullView, TopKView
from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import NO_NODE, IdTable, node_sort_key
from emergent_lab.protocol.messages import (
    DIGEST_ENTRY_BYTES,
    state_wire_bytes,
)
from emergent_lab.protocol.topk_view import VIEWS, ViewKind
from emergent_lab.run.config import LEADER, ClusterConfig
from emergent_lab.run.engine import Counters, Detection
from emergent_lab.run.events import (
    EventRecord,
    apply_scheduled,
    check_arguments,
    leading_now,
    log_event,
    resolve_groups,
)
from emergent_lab.run.metric_table import MetricTable
from emergent_lab.run.observer import ClusterRecord
from emergent_lab.sim.eventlog import EventLog
from emergent_lab.sim.scheduler import Scheduler

Exchange = Literal["push-pull", "push"]
EXCHANGES: tuple[Exchange, ...] = ("push-pull", "push")
ARRAY_ACTIONS = ("crash", "restart", "partition", "heal", "set_loss", "set_metric")
ENGINE_STREAM = 0x5CA1E
"""Second seed word of the engine's generator, so it is not the config's stream."""


class ArrayCluster:
    """A cluster of the emergent-leader protocol simulated in rounds on arrays.

    Args:
        config: the same configuration the exact engine takes (ids, metrics,
            protocol and detector parameters, loss, seed).
        view: ``"full"`` (n×n views) or ``"topk"`` (k best candidates per node).
        k: list length of the top-k view (ignored by the full view).
        exchange: ``"push-pull"`` (the protocol's SYN/ACK/ACK2) or ``"push"``
            (the initiator only sends), to compare with epidemic theory.
        phases: slots per round; more slots, finer timing, more kernel calls.
    """

    def __init__(
        self,
        config: ClusterConfig,
        *,
        view: str = "full",
        k: int = 8,
        exchange: str = "push-pull",
        phases: int = 4,
    ) -> None:
        if view not in VIEWS:
            raise ValueError(
                f"cluster.view: unknown view {view!r} (expected one of: {', '.join(VIEWS)})"
            )
        if exchange not in EXCHANGES:
            raise ValueError(
                f"exchange: unknown exchange {exchange!r} (expected one of: {', '.join(EXCHANGES)})"
            )
        check_number("cluster.k", k, low=1, integer=True)
        check_number("phases", phases, low=1, integer=True)
        if config.graph is not None:
            raise ValueError(
                "network.graph: not supported by the array engine (use engine = 'exact')"
            )
        self.config = config
        self.params = config.params
        self.exchange: Exchange = "push" if exchange == "push" else "push-pull"
        self.phases = int(phases)
        self.n = n = len(config.ids)
        self.ids = IdTable(list(config.ids))
        self.rank: IntArray = self.ids.rank.astype(np.int64)
        # ClusterConfig drew the metrics from default_rng(seed); the same stream
        # here would give each node a phase equal to its first metric.
        self.rng = np.random.default_rng((config.seed, ENGINE_STREAM))
        self.score_function = config.score
        self.metrics: dict[int, dict[str, float]] = {}
        table = (
            config.metrics
            if isinstance(config.metrics, MetricTable)
            else MetricTable.from_rows(config.metrics)
        )
        names = config.score.metric_names or table.names
        columns = {
            name: table.column(name) if name in table.names else np.full(n, math.nan)
            for name in names
        }
        self.true_score: FloatArray = config.score.score_array(columns, n=n)
        self.detector = EntryDetector(self.params.detector)
        self.view: FullView | TopKView = (
            FullView(n, self.detector)
            if view == "full"
            else TopKView(n, int(k), self.detector, self.rank)
        )
        self.view_kind: ViewKind = self.view.kind
        self.up: BoolArray = np.ones(n, dtype=bool)
        self.generation: IntArray = np.ones(n, dtype=np.int64)
        self.version: IntArray = np.ones(n, dtype=np.int64)
        self.heartbeat: IntArray = np.zeros(n, dtype=np.int64)
        self.score: FloatArray = self.true_score.copy()
        self.opinion: IntArray = np.full(n, NO_NODE, dtype=np.int64)
        self.recognised: IntArray = np.full(n, NO_NODE, dtype=np.int64)
        self.acting: BoolArray = np.zeros(n, dtype=bool)
        self.started_at: FloatArray = np.zeros(n)
        self.crashed_at: FloatArray = np.full(n, math.inf)
        self.phase: FloatArray = self.rng.random(n)
        self.heartbeat_phase: FloatArray = self.rng.random(n)
        # Per slot, the nodes that act in it, in the order of their phases.
        slots = (self.phase * self.phases).astype(np.int64)
        in_order = np.argsort(self.phase, kind="stable")
        self.by_phase = [in_order[slots[in_order] == slot] for slot in range(self.phases)]
        self.group: IntArray = np.zeros(n, dtype=np.int64)
        self.loss = config.loss
        # A node with a seed other than itself waits to hear from a peer before
        # it holds an opinion (Node.evaluate's joining rule); with two seeds or
        # more, that is every node.
        seeds = [self.ids.index[s] for s in config.seeds]
        self.has_seeds: BoolArray = np.full(n, len(seeds) >= 2)
        if len(seeds) == 1:
            self.has_seeds[:] = True
            self.has_seeds[seeds[0]] = False
        self.seed_nodes: IntArray = np.array(seeds, dtype=np.int64)
        """The seeds; one that heard from nobody waits at most gc_after, then leads itself."""
        self.seeds_wait: BoolArray = self.has_seeds[self.seed_nodes].copy()
        self.observer = RoundObserver()
        self.events: list[EventRecord] = []
        self.messages_sent = 0
        self.messages_dropped = 0
        self.bytes_sent = 0
        self.entry_bytes = state_wire_bytes(config.ids[0], config.ids[0], config.metrics[0])
        self.digest_bytes = DIGEST_ENTRY_BYTES + float(self.ids.id_bytes.mean())
        self._actions = Scheduler()
        """Scheduled actions, in time order (ties: the order they were scheduled)."""
        self._slot = 0
        self.best_cache = NO_NODE
        """The index :meth:`best_index` found, NO_NODE once it may be stale."""
        self.time = 0.0
        everyone = np.arange(n, dtype=np.int64)
        publish(self, everyone)
        evaluate(self, everyone)
        record(self)

    # -- what a report reads (the engine contract) ----------------------------------

    @property
    def size(self) -> int:
        """Members the cluster was configured with."""
        return self.n

    @property
    def timeline(self) -> list[ClusterRecord]:
        """The cluster as the round observer recorded it, slot by slot."""
        return self.observer.timeline

    @property
    def log(self) -> EventLog:
        """The event log whose digest identifies the run."""
        return self.observer.log

    def counters(self) -> Counters:
        """Messages and bytes counted per exchange, and the detectors' mistakes."""
        obs = self.observer
        return Counters(
            self.messages_sent,
            self.messages_dropped,
            self.bytes_sent,
            obs.false_suspicions,
            obs.unreachable_suspicions,
        )

    def opinion_changes(self, since: float) -> int:
        """Switches of a live node from one leader to another at or after ``since``."""
        return sum(count for time, count in self.observer.opinion_changes if time >= since)

    def detection(self, node: int, at: float) -> Detection | None:
        """How the members detected the crash of node index ``node`` at ``at``."""
        seen = self.observer.detections.get((node, at))
        if seen is None or not seen.count:
            return None
        return Detection(seen.total_s / seen.count, seen.max_s, seen.count)

    # -- time -------------------------------------------------------------------------

    @property
    def round(self) -> int:
        """Rounds completed."""
        return self._slot // self.phases

    def slot_time(self, slot: int) -> float:
        """Virtual time at which slot ``slot`` acts: the middle of its share of the round."""
        return (
            slot // self.phases + (slot % self.phases + 0.5) / self.phases
        ) * self.params.gossip_interval

    def run(self, until: float) -> None:
        """Advance virtual time to ``until`` seconds (finite; an earlier time changes nothing)."""
        until = check_number("until", until, low=0)
        while self.slot_time(self._slot) <= until:
            t = self.slot_time(self._slot)
            self._apply_due(t)
            self.time = t
            run_slot(self, self._slot % self.phases)
            self._slot += 1
        self._apply_due(until)
        self.time = max(self.time, until)

    def next_slot_time(self) -> float:
        """When the next slot acts."""
        return self.slot_time(self._slot)

    def step_slot(self) -> None:
        """Advance to the next slot and run it (the finest step of this engine)."""
        self.run(self.slot_time(self._slot))

    def run_for(self, duration: float) -> None:
        """Advance virtual time by ``duration`` seconds."""
        check_number("duration", duration, low=0)
        self.run(self.time + duration)

    def step_round(self) -> None:
        """Advance by one gossip interval (one round)."""
        self.run_for(self.params.gossip_interval)

    # -- reading ------------------------------------------------------------------------

    def best_index(self) -> int:
        """The up node with the best true score (ties to the id that sorts first), or -1."""
        if self.best_cache == NO_NODE or not self.up[self.best_cache]:
            up = np.flatnonzero(self.up)
            if not up.size:
                return NO_NODE
            scores = self.true_score[up]
            top = up[scores == scores.max()]
            self.best_cache = int(top[np.argmin(self.rank[top])])
        return self.best_cache

    def best_node(self) -> str | None:
        """The up node with the best true score: the leader the cluster should find."""
        best = self.best_index()
        return self.ids.ids[best] if best >= 0 else None

    def leader(self) -> str | None:
        """The leader every up node recognises, or None while leadership is emerging."""
        record = self.observer.current()
        return self.ids.ids[record.leader] if record and record.leader >= 0 else None

    def acting_leaders(self) -> list[str]:
        """Up nodes that act as leader (more than one: split leadership)."""
        return sorted(
            (self.ids.ids[i] for i in np.flatnonzero(self.acting & self.up)), key=node_sort_key
        )

    def followers(self, node: str) -> int:
        """How many up nodes follow ``node``."""
        return int((self.opinion[self.up] == self.ids.index[self.node_id(node)]).sum())

    def up_count(self) -> int:
        """How many nodes are running."""
        return int(self.up.sum())

    def is_up(self, node: str) -> bool:
        """Whether the node is running (one the cluster does not hold is not, as on SimCluster)."""
        return node in self.ids and bool(self.up[self.ids.index[node]])

    def state_bytes_per_node(self) -> float:
        """Bytes of protocol state per node: its view plus its own state."""
        own = sum(
            a.nbytes for a in (self.up, self.generation, self.version, self.heartbeat, self.score)
        )
        own += sum(a.nbytes for a in (self.opinion, self.recognised, self.acting, self.phase))
        return self.view.bytes_per_node() + own / self.n

    def node_id(self, node: str) -> str:
        """Check that ``node`` exists (raises KeyError naming some known ids)."""
        if node not in self.ids:
            known = ", ".join(self.ids.ids[:10])
            raise KeyError(f"node: unknown node {node!r} (known: {known}, …)")
        return node

    def resolve(self, node: str) -> str:
        """Turn ``"leader"`` into the node leading now (recognised, acting or most followed)."""
        if node != LEADER:
            return self.node_id(node)
        followed = self.opinion[self.up]
        return leading_now(self.leader(), self.acting_leaders(), followed, self.ids.ids)

    # -- faults and changes -----------------------------------------------------------------

    def mark(self, action: str, target: dict[str, Any], resolved: Sequence[str] = ()) -> None:
        """Log a fault or change at the current time (before it takes effect)."""
        log_event(self.events, self.observer, self.time, action, target, resolved)

    def crash(self, node: str) -> str:
        """Stop a node at once; it keeps nothing. Returns the id crashed."""
        return faults.crash(self, node)

    def restart(self, node: str) -> str:
        """Start a stopped node again under a new generation, with an empty view."""
        return faults.restart(self, node)

    def partition(self, groups: Sequence[Sequence[str]] | str = "half") -> list[list[str]]:
        """Split the network into groups (``"half"``: first and second half of the ids).

        Nodes not named in any group form one more group together, as on the
        exact engine's network.
        """
        resolved = resolve_groups(groups, self.ids.ids, self.resolve)
        self.mark("partition", {"groups": groups if isinstance(groups, str) else resolved})
        self.group[:] = 0
        for number, members in enumerate(resolved, start=1):
            self.group[[self.ids.index[m] for m in members]] = number
        return resolved

    def heal(self) -> None:
        """End partitions."""
        self.mark("heal", {})
        self.group[:] = 0

    def set_loss(self, loss: float) -> None:
        """Set the probability that any message is lost."""
        check_number("loss", loss, low=0, high=1)
        self.mark("set_loss", {"loss": loss})
        self.loss = float(loss)

    def set_metric(self, node: str, metric: str, value: float) -> None:
        """Change one metric of one node (its score follows)."""
        self.set_metrics(node, {metric: value})

    def set_metrics(self, node: str, metrics: Mapping[str, float]) -> None:
        """Change some metrics of one node, validated before anything changes."""
        faults.set_metrics(self, node, metrics)

    def at(self, time: float, action: str, **arguments: Any) -> None:
        """Schedule ``action`` (one of :data:`ARRAY_ACTIONS`) at virtual ``time``."""
        if action not in ARRAY_ACTIONS:
            raise ValueError(
                f"action: {action!r} is not supported by the array engine "
                f"(expected one of: {', '.join(ARRAY_ACTIONS)})"
            )
        check_number("at", time, low=self.time)
        check_arguments(getattr(self, action), action, arguments)
        self._actions.schedule_at(float(time), partial(self._apply, action, arguments))

    def _apply(self, action: str, arguments: dict[str, Any]) -> None:
        self.time = max(self.time, self._actions.now())
        apply_scheduled(self, action, arguments)

    def _apply_due(self, until: float) -> None:
        """Apply the actions due by ``until`` (the slots in between run first)."""
        self._actions.run(until=max(until, self._actions.now()))
