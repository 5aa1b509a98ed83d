"""A simulated cluster: nodes on the simulated network, faults, and the observer.

``SimCluster`` is what scenarios, the CLI, sweeps and the dashboard drive. Every
fault and change can be called live (``cluster.crash("n3")``) or scheduled
(``cluster.at(60, "crash", node="leader")``); both are marked on the
observer's timeline and land in the report. The cluster owns its nodes and
their lifecycle (crash, restart, pause, leave, join); the changes of the
conditions they run in (network, metrics, weights, parameters) are
:class:`~emergent_lab.exact.changes.ClusterChanges`, which it inherits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from itertools import pairwise
from typing import Any

import numpy as np

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import NO_NODE, IdTable, node_sort_key, validate_node_id
from emergent_lab.exact.causality import CausalRecorder, TracingClock
from emergent_lab.exact.changes import ClusterChanges
from emergent_lab.exact.compare import fork
from emergent_lab.exact.explain import explain, explain_suspicion
from emergent_lab.protocol.member import Member
from emergent_lab.protocol.rules import best_of
from emergent_lab.protocol.swim_node import SwimNode
from emergent_lab.protocol.topk_node import TopKNode
from emergent_lab.run.config import LEADER, PROTOCOLS, ClusterConfig, random_metrics
from emergent_lab.run.engine import Counters, Detection, max_nodes
from emergent_lab.run.events import (
    ACTIONS,
    EventRecord,
    apply_scheduled,
    check_arguments,
    leading_now,
)
from emergent_lab.run.observer import ClusterRecord, Observer
from emergent_lab.sim.eventlog import EventLog
from emergent_lab.sim.network import SimNetwork
from emergent_lab.sim.scheduler import Scheduler


class SimCluster(ClusterChanges):
    """Nodes of the emergent-leader protocol on a simulated network, in virtual time.

    Args:
        config: the cluster to build; the same config (and seed) gives the
            same run, event for event.
    """

    def __init__(self, config: ClusterConfig) -> None:
        # Refused before anything is built: a full view of 10^5 nodes would need
        # hundreds of GiB and hours; the error says how many fit, and where more do.
        check_number(
            f"cluster.nodes (exact engine, {config.view} view; the array engine takes more)",
            len(config.ids),
            high=max_nodes("exact", config.view),
            integer=True,
        )
        self.config = config
        self.scheduler = Scheduler()
        self.rng = np.random.default_rng(config.seed)
        self.ids = IdTable(list(config.ids))
        self.log = EventLog()
        self.network = SimNetwork(
            self.scheduler,
            self.rng,
            self.ids,
            latency=config.latency,
            loss=config.loss,
            graph=config.graph,
            log=self.log,
            kinds=_member_class(config).message_kinds,
        )
        self.params = config.params
        self.score_function = config.score
        self.observer = Observer(self.log, best=self._best_index, reachable=self.network.reachable)
        self.causality: CausalRecorder | None = None
        """Every message and change with its cause, when ``config.causality`` is on."""
        self._clock: Scheduler | TracingClock = self.scheduler
        self._listener: Observer | CausalRecorder = self.observer
        if config.causality:
            self.causality = CausalRecorder(self.observer, clock=self.scheduler)
            self.network.tracer = self.causality
            self._clock = TracingClock(self.scheduler, self.causality)
            self._listener = self.causality
        self.nodes: dict[str, Member] = {}
        self.generations: dict[str, int] = {}
        self.metrics: dict[str, dict[str, float]] = {}
        self.true_score = np.zeros(0)
        self.up = np.zeros(0, dtype=bool)
        self.events: list[EventRecord] = []
        for node_id, node_metrics in zip(config.ids, config.metrics, strict=True):
            self._spawn(node_id, node_metrics)

    # -- time ---------------------------------------------------------------------------

    @property
    def time(self) -> float:
        """Current virtual time in seconds."""
        return self.scheduler.now()

    def run(self, until: float) -> None:
        """Advance virtual time to ``until`` seconds (a finite time, not before now)."""
        self.scheduler.run(until=check_number("until", until, low=self.time))

    def run_for(self, duration: float) -> None:
        """Advance virtual time by ``duration`` seconds."""
        check_number("duration", duration, low=0)
        self.scheduler.run(until=self.time + duration)

    def step_round(self) -> None:
        """Advance by one gossip interval (one round)."""
        self.run_for(self.params.gossip_interval)

    # -- what a report reads (the engine contract) -------------------------------------------

    @property
    def size(self) -> int:
        """Members the cluster was configured with."""
        return len(self.config.ids)

    @property
    def timeline(self) -> list[ClusterRecord]:
        """The cluster as the observer recorded it."""
        return self.observer.timeline

    def counters(self) -> Counters:
        """Messages and bytes the network carried, and the detectors' mistakes."""
        net, judged = self.network, self.observer.suspicions
        return Counters(
            net.messages_sent,
            net.messages_dropped,
            net.bytes_sent,
            judged.false_suspicions,
            judged.unreachable_suspicions,
        )

    def opinion_changes(self, since: float) -> int:
        """Switches of a live node from one leader to another at or after ``since``."""
        changes = 0
        for records in self.observer.nodes.values():
            held = [r.opinion for r in records if r.up and r.time >= since]
            changes += sum(1 for a, b in pairwise(held) if a != b and a >= 0 and b >= 0)
        return changes

    def detection(self, node: int, at: float) -> Detection | None:
        """How the members detected the crash of node index ``node`` at ``at``."""
        delays = list(self.observer.suspicions.detections.get((node, at), {}).values())
        if not delays:
            return None
        return Detection(sum(delays) / len(delays), max(delays), len(delays))

    # -- nodes ------------------------------------------------------------------------------

    def _spawn(self, node_id: str, metrics: Mapping[str, float]) -> Member:
        generation = self.generations.get(node_id, 0) + 1
        self.generations[node_id] = generation
        swim = self.config.swim  # SWIM as the emergent protocol's detector
        member: Callable[..., Member] = PROTOCOLS[self.config.protocol]
        if swim:
            member = partial(SwimNode, swim=swim)
        elif self.config.view == "topk":  # bounded gossip (``cluster.view``)
            member = partial(TopKNode, k=self.config.k)
        node = member(
            node_id,
            ids=self.ids,
            params=self.params,
            score=self.score_function,
            metrics=metrics,
            clock=self._clock,
            transport=self.network,
            rng=self.rng,
            seeds=self.config.seeds,
            generation=generation,
            listener=self._listener,
        )
        previous = self.nodes.get(node_id)
        if previous is not None:
            node.recover(previous)
        self.nodes[node_id] = node
        self.metrics[node_id] = dict(metrics)
        self._grow(len(self.ids))
        self.true_score[node.index] = node.score
        self.up[node.index] = True
        self.network.attach(node.index, node.receive)
        if self.causality is not None:
            self.causality.watch(node)
        node.start()
        self.observer.node_up(node, self.time)
        return node

    def _grow(self, n: int) -> None:
        if n > self.up.shape[0]:
            extra = n - self.up.shape[0]
            self.up = np.concatenate([self.up, np.zeros(extra, dtype=bool)])
            self.true_score = np.concatenate([self.true_score, np.full(extra, -np.inf)])

    def _best_index(self) -> int:
        """The best up member by true score (ties to the id that sorts first).

        A node outside the cluster (joining while its seeds are down,
        :meth:`Observer.outside`) cannot be found by the members, so it is
        not the leader they should find.
        """
        up = np.flatnonzero(self.up)
        outside = self.observer.outside()
        if outside:
            up = np.setdiff1d(up, outside, assume_unique=True)
        if not up.size:
            return NO_NODE
        return best_of(up, self.true_score, self.ids.rank)

    def node(self, node_id: str) -> Member:
        """The node with this id (raises KeyError naming the known ids)."""
        try:
            return self.nodes[node_id]
        except KeyError:
            known = ", ".join(sorted(self.nodes, key=node_sort_key)[:10])
            raise KeyError(f"node: unknown node {node_id!r} (known: {known}, …)") from None

    def is_up(self, node_id: str) -> bool:
        """Whether the node is running (a paused node is up)."""
        return node_id in self.nodes and self.nodes[node_id].running

    def up_ids(self) -> list[str]:
        """Ids of the running nodes, in natural order."""
        return sorted((i for i, n in self.nodes.items() if n.running), key=node_sort_key)

    def leader(self) -> str | None:
        """The leader every up node recognises, or None while leadership is emerging."""
        record = self.observer.current()
        return self.ids.ids[record.leader] if record and record.leader >= 0 else None

    def acting_leaders(self) -> list[str]:
        """Up nodes that currently act as leader (more than one: split leadership)."""
        return sorted(
            (i for i, n in self.nodes.items() if n.running and n.acting), key=node_sort_key
        )

    def best_node(self) -> str | None:
        """The up member with the best true score: the leader the cluster should find."""
        best = self._best_index()
        return self.ids.ids[best] if best >= 0 else None

    def resolve(self, node_id: str) -> str:
        """Turn ``"leader"`` into the node leading now (recognised, acting or most followed)."""
        if node_id != LEADER:
            self.node(node_id)
            return node_id
        followed = np.array([n.opinion for n in self.nodes.values() if n.running], dtype=np.int64)
        return leading_now(self.leader(), self.acting_leaders(), followed, self.ids.ids)

    # -- causality -------------------------------------------------------------------------

    def explain(self, node: str, *, at: float | None = None) -> str:
        """Why ``node`` follows whom at ``at`` (default now), in words (needs ``causality``)."""
        return explain(self, node, at=at)

    def explain_suspicion(self, node: str) -> str:
        """Who first suspected ``node`` and when every other node did (needs ``causality``)."""
        return explain_suspicion(self, node)

    def fork(self, *, at: float | None = None) -> SimCluster:
        """An independent copy at ``at`` (default now) on the same random stream (see compare)."""
        return fork(self, at=at)

    # -- faults and changes -------------------------------------------------------------------

    def crash(self, node: str) -> str:
        """Stop a node at once; it keeps nothing. Returns the id crashed."""
        node_id = self.resolve(node)
        target = self.nodes[node_id]
        if not target.running:
            raise ValueError(f"node: {node_id!r} is not running")
        self._record("crash", {"node": node}, [node_id])
        self._take_down(target, crashed=True)
        return node_id

    def _take_down(self, target: Member, *, crashed: bool) -> None:
        if target.running:
            target.stop()
        self.network.detach(target.index)
        self.up[target.index] = False
        self.observer.node_down(target.index, self.time, crashed=crashed)

    def restart(self, node: str) -> str:
        """Start a stopped node again under a new generation, with an empty view."""
        node_id = self.resolve(node)
        if self.nodes[node_id].running:
            raise ValueError(f"node: {node_id!r} is already running")
        self._record("restart", {"node": node}, [node_id])
        self._spawn(node_id, self.metrics[node_id])
        return node_id

    def pause(self, node: str, duration: float) -> str:
        """Stall a node for ``duration`` seconds (a GC pause): alive but silent."""
        check_number("duration", duration, low=0, low_open=True)
        node_id = self.resolve(node)
        if not self.nodes[node_id].running:
            raise ValueError(f"node: {node_id!r} is not running")
        self._record("pause", {"node": node, "duration": duration}, [node_id])
        self.nodes[node_id].pause(duration)
        return node_id

    def leave(self, node: str) -> str:
        """Leave gracefully: the node announces it and stops."""
        node_id = self.resolve(node)
        target = self.nodes[node_id]
        if not target.running:
            raise ValueError(f"node: {node_id!r} is not running")
        self._record("leave", {"node": node}, [node_id])
        target.leave()
        self._take_down(target, crashed=False)
        return node_id

    def join(self, node: str, metrics: Mapping[str, float] | None = None) -> str:
        """Add a new node that knows only the seeds."""
        if node in self.nodes:
            raise ValueError(f"node: {node!r} already exists (use restart)")
        if node == LEADER:
            raise ValueError(f"node: {LEADER!r} names whoever leads, it cannot be an id")
        validate_node_id(node)
        if metrics is None:
            metrics = random_metrics(self.score_function, 1, rng=self.rng)[0]
        else:
            metrics = self.score_function.check_metrics(metrics)
        self.ids.intern(node)
        self._record("join", {"node": node}, [node])
        self._spawn(node, metrics)
        return node

    def at(self, time: float, action: str, **arguments: Any) -> None:
        """Schedule ``action`` (one of ``ACTIONS``) at virtual ``time``."""
        if action not in ACTIONS:
            raise ValueError(
                f"action: unknown action {action!r} (expected one of: {', '.join(ACTIONS)})"
            )
        check_number("at", time, low=self.time)
        check_arguments(getattr(self, action), action, arguments)
        self.scheduler.schedule_at(float(time), partial(self._apply, action, arguments))

    def _apply(self, action: str, arguments: dict[str, Any]) -> None:
        apply_scheduled(self, action, arguments)


def _member_class(config: ClusterConfig) -> type[Member]:
    """The node class a cluster runs: its protocol's, or the emergent node on SWIM."""
    return SwimNode if config.swim is not None else PROTOCOLS[config.protocol]
