"""A simulated cluster: nodes on the simulated network, faults, and the observer.

``SimCluster`` is what scenarios, the CLI, sweeps and the dashboard drive. Every
fault and change can be called live (``cluster.crash("n3")``) or scheduled
(``cluster.at(60, "crash", node="leader")``); both are marked on the
observer's timeline and land in the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import numpy as np

from emergent_lab.cluster.causality import CausalRecorder, TracingClock
from emergent_lab.cluster.compare import fork
from emergent_lab.cluster.config import LEADER, PROTOCOLS, ClusterConfig, random_metrics
from emergent_lab.cluster.explain import explain, explain_suspicion
from emergent_lab.cluster.observer import Observer
from emergent_lab.protocol.ids import IdTable, node_sort_key, validate_node_id
from emergent_lab.protocol.node import NO_NODE, Node, best_candidate
from emergent_lab.protocol.params import ProtocolParams, check_live_parameter, check_number
from emergent_lab.score import ScoreFunction
from emergent_lab.sim.eventlog import EventLog
from emergent_lab.sim.latency import LatencyModel
from emergent_lab.sim.network import SimNetwork
from emergent_lab.sim.scheduler import Scheduler

ACTIONS = (
    "crash",
    "restart",
    "pause",
    "leave",
    "join",
    "partition",
    "heal",
    "cut",
    "set_loss",
    "set_latency",
    "set_metric",
    "set_weights",
    "set_param",
)


@dataclass
class EventRecord:
    """A fault or change as it happened, for the report."""

    at: float
    action: str
    target: dict[str, Any]
    resolved: list[str] = field(default_factory=list)
    error: str | None = None
    """Why a scheduled event could not apply (e.g. it named a node that is down)."""


class Marker(Protocol):
    """Anything that puts events on a timeline (both engines' observers)."""

    def mark(self, now: float, kind: str, label: str) -> None:
        """Put an event on the timeline."""
        ...


class Scheduled(Protocol):
    """A cluster of either engine, as a scheduled action sees it."""

    @property
    def time(self) -> float:
        """Virtual time now."""
        ...

    @property
    def events(self) -> list[EventRecord]:
        """Faults and changes so far, for the report."""
        ...

    @property
    def observer(self) -> Marker:
        """Where events are marked on the timeline."""
        ...


def apply_scheduled(cluster: Scheduled, action: str, arguments: dict[str, Any]) -> None:
    """Run a scheduled action on either engine; one refused at its time is recorded as skipped.

    A timeline is validated before it runs, but a target can still be gone
    when its time comes (a node that crashed meanwhile): the run goes on, and
    the report says what was skipped and why.
    """
    method: Callable[..., Any] = getattr(cluster, action)
    try:
        method(**arguments)
    except (ValueError, KeyError) as error:
        reason = str(error).strip("'\"")
        cluster.events.append(EventRecord(cluster.time, action, dict(arguments), [], reason))
        cluster.observer.mark(cluster.time, "skipped", f"{action}: {reason}")


def log_event(
    events: list[EventRecord],
    observer: Marker,
    now: float,
    action: str,
    target: dict[str, Any],
    resolved: Iterable[str] = (),
) -> None:
    """Keep a fault or change for the report and mark it on the observer's timeline."""
    events.append(EventRecord(now, action, target, list(resolved)))
    label = " ".join([action, *[f"{k}={v}" for k, v in target.items()]])
    observer.mark(now, action, label)


def resolve_groups(
    groups: Sequence[Sequence[str]] | str, ids: Sequence[str], resolve: Callable[[str], str]
) -> list[list[str]]:
    """The groups of a partition as node ids: ``"half"`` splits ``ids`` in two.

    Named groups may use ``"leader"`` (``resolve`` turns it into an id) and must
    not share a node; both engines partition through here.
    """
    if isinstance(groups, str):
        if groups != "half":
            raise ValueError(f"groups: unknown split {groups!r} (expected 'half' or a list)")
        half = (len(ids) + 1) // 2
        return [list(ids[:half]), list(ids[half:])]
    resolved = [[resolve(n) for n in group] for group in groups]
    flat = [n for g in resolved for n in g]
    if len(flat) != len(set(flat)):
        raise ValueError("groups: a node appears in more than one group")
    return resolved


class SimCluster:
    """Nodes of the emergent-leader protocol on a simulated network, in virtual time.

    Args:
        config: the cluster to build; the same config (and seed) gives the
            same run, event for event.
    """

    def __init__(self, config: ClusterConfig) -> None:
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
        self.nodes: dict[str, Node] = {}
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

    # -- nodes ------------------------------------------------------------------------------

    def _spawn(self, node_id: str, metrics: Mapping[str, float]) -> Node:
        generation = self.generations.get(node_id, 0) + 1
        self.generations[node_id] = generation
        node = PROTOCOLS[self.config.protocol](
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
        self.nodes[node_id] = node
        self.metrics[node_id] = dict(metrics)
        self._grow(len(self.ids))
        self.true_score[node.index] = node.score
        self.up[node.index] = True
        self.network.attach(node.index, node.receive)
        node.start()
        self.observer.node_up(node, self.time)
        return node

    def _grow(self, n: int) -> None:
        if n > self.up.shape[0]:
            extra = n - self.up.shape[0]
            self.up = np.concatenate([self.up, np.zeros(extra, dtype=bool)])
            self.true_score = np.concatenate([self.true_score, np.full(extra, -np.inf)])

    def _best_index(self) -> int:
        """The best up node by true score (ties to the id that sorts first)."""
        up = np.flatnonzero(self.up)
        if not up.size:
            return NO_NODE
        return best_candidate(up, self.true_score[up], self.ids.rank)

    def node(self, node_id: str) -> Node:
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
        """The up node with the best true score: the leader the cluster should find."""
        best = self._best_index()
        return self.ids.ids[best] if best >= 0 else None

    def resolve(self, node_id: str) -> str:
        """Turn ``"leader"`` into the node leading now (recognised, acting or most followed)."""
        if node_id != LEADER:
            self.node(node_id)
            return node_id
        leader = self.leader()
        if leader is None:
            acting = self.acting_leaders()
            if acting:
                leader = acting[0]
            else:
                opinions = [n.opinion for n in self.nodes.values() if n.running and n.opinion >= 0]
                if not opinions:
                    raise ValueError("node: 'leader' named, but no node follows any leader yet")
                counts = np.bincount(opinions)
                leader = self.ids.ids[int(np.argmax(counts))]
        return leader

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

    def _record(self, action: str, target: dict[str, Any], resolved: Iterable[str] = ()) -> None:
        log_event(self.events, self.observer, self.time, action, target, resolved)

    def crash(self, node: str) -> str:
        """Stop a node at once; it keeps nothing. Returns the id crashed."""
        node_id = self.resolve(node)
        target = self.nodes[node_id]
        if not target.running:
            raise ValueError(f"node: {node_id!r} is not running")
        self._record("crash", {"node": node}, [node_id])
        self._take_down(target, crashed=True)
        return node_id

    def _take_down(self, target: Node, *, crashed: bool) -> None:
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

    def partition(self, groups: Sequence[Sequence[str]] | str = "half") -> list[list[str]]:
        """Split the network into groups (or ``"half"``: two halves of the up nodes)."""
        ids = list(self.config.ids) + [i for i in self.nodes if i not in self.config.ids]
        resolved = resolve_groups(groups, ids, self.resolve)
        self._record("partition", {"groups": groups if isinstance(groups, str) else resolved})
        self.network.partition([[self.ids.index[n] for n in g] for g in resolved])
        return resolved

    def heal(self) -> None:
        """End partitions and restore cut links."""
        self._record("heal", {})
        self.network.heal()

    def cut(self, a: str, b: str) -> None:
        """Cut the link between two nodes."""
        a_id, b_id = self.resolve(a), self.resolve(b)
        if a_id == b_id:
            raise ValueError(f"nodes: a link joins two different nodes (got {a_id!r} twice)")
        self._record("cut", {"nodes": [a, b]}, [a_id, b_id])
        self.network.cut(self.ids.index[a_id], self.ids.index[b_id])

    def set_loss(self, loss: float) -> None:
        """Set the probability that any message is lost."""
        check_number("loss", loss, low=0, high=1)
        self._record("set_loss", {"loss": loss})
        self.network.set_loss(loss)

    def set_latency(self, latency: LatencyModel) -> None:
        """Use another latency model from now on."""
        self._record("set_latency", {"latency": repr(latency)})
        self.network.set_latency(latency)

    def set_metric(self, node: str, metric: str, value: float) -> None:
        """Change one metric of one node (its score follows)."""
        self.set_metrics(node, {metric: value})

    def set_metrics(self, node: str, metrics: Mapping[str, float]) -> None:
        """Change some metrics of one node, validated before anything changes."""
        node_id = self.resolve(node)
        checked = self.score_function.check_metrics(metrics)
        new = {**self.metrics[node_id], **checked}
        score = self.score_function.score(new)
        self._record("set_metric", {"node": node, **checked}, [node_id])
        self.metrics[node_id] = new
        target = self.nodes[node_id]
        self.true_score[target.index] = score
        if target.running:
            target.set_metrics(checked)

    def set_weights(self, weights: Mapping[str, float]) -> ScoreFunction:
        """Change the score weights everywhere at once (a cluster-wide config push).

        Every node rescores itself at once and gossips its new score; crashed
        nodes adopt the weights when they restart.
        """
        new = self.score_function.with_weights(weights)
        self._record("set_weights", dict(weights))
        self.set_score_function(new)
        return new

    def set_score_function(self, score: ScoreFunction) -> None:
        """Adopt another score function everywhere (presets switch this way)."""
        self.score_function = score
        for node_id, node in self.nodes.items():
            self.true_score[node.index] = score.score(self.metrics[node_id])
            if node.running:
                node.set_score_function(score)

    def set_param(self, name: str, value: Any) -> ProtocolParams:
        """Change one protocol parameter on every node (``"fanout"``, ``"detector.threshold"``…).

        Refused before anything changes (nothing recorded) if the parameter
        cannot change on a running cluster or the value is out of range.
        """
        check_live_parameter(name)
        new = self.params.replace(**{name: value})
        self._record("set_param", {"name": name, "value": value})
        self.params = new
        for node in self.nodes.values():
            if node.running:
                node.set_params(new)
        return new

    def follow_series(
        self, node: str, metric: str, times: Sequence[float], values: Sequence[float]
    ) -> None:
        """Make a metric of a node follow a time series (e.g. a replayed CPU trace).

        Each sample becomes a ``set_metric`` at its time (times relative to now).
        """
        if len(times) != len(values):
            raise ValueError("series: times and values must have the same length")
        for t, v in zip(times, values, strict=True):
            value = check_number(f"series.{metric}", v)
            self.scheduler.schedule(float(t), partial(self._series_step, node, metric, value))

    def _series_step(self, node: str, metric: str, value: float) -> None:
        self._series_update(self.resolve(node), {metric: value})

    def _series_update(self, node_id: str, metrics: Mapping[str, float]) -> None:
        """Apply metric samples that come from a series, not from a user (no mark)."""
        new = {**self.metrics[node_id], **metrics}
        self.metrics[node_id] = new
        target = self.nodes[node_id]
        self.true_score[target.index] = self.score_function.score(new)
        if target.running:
            target.set_metrics(metrics)

    def watch_phi(
        self, observer: str, subject: str, *, every: float = 0.25
    ) -> list[tuple[float, float]]:
        """Sample, every ``every`` seconds from now on, the phi ``observer`` has for ``subject``.

        Returns the list the samples ``(time, phi)`` are appended to (also kept
        in ``observer.phi_series``); a down observer records nothing.
        """
        check_number("every", every, low=0, low_open=True)
        self.node(observer)
        self.node(subject)
        samples = self.observer.phi_series.setdefault((observer, subject), [])
        self.scheduler.schedule(0.0, partial(self._sample_phi, observer, subject, every, samples))
        return samples

    def _sample_phi(
        self, observer: str, subject: str, every: float, samples: list[tuple[float, float]]
    ) -> None:
        node = self.nodes[observer]
        if node.running:
            samples.append((self.time, node.phi_of(subject)))
        self.scheduler.schedule(every, partial(self._sample_phi, observer, subject, every, samples))

    def at(self, time: float, action: str, **arguments: Any) -> None:
        """Schedule ``action`` (one of ``ACTIONS``) at virtual ``time``."""
        if action not in ACTIONS:
            raise ValueError(
                f"action: unknown action {action!r} (expected one of: {', '.join(ACTIONS)})"
            )
        check_number("at", time, low=self.time)
        self.scheduler.schedule_at(float(time), partial(self._apply, action, arguments))

    def _apply(self, action: str, arguments: dict[str, Any]) -> None:
        apply_scheduled(self, action, arguments)

    def add_score_noise(self, amplitude: float, interval: float) -> None:
        """Jitter every node's metrics by up to ±amplitude of their range, every interval.

        Scores are weighted means of normalised metrics, so each node's score
        then wanders within ±amplitude of its base: the noisy load that the
        emergence threshold exists to ignore.
        """
        check_number("score.noise", amplitude, low=0, high=1)
        check_number("score.noise_interval", interval, low=0, low_open=True)
        base = {k: dict(v) for k, v in self.metrics.items()}
        self.scheduler.schedule(interval, partial(self._jitter, base, amplitude, interval))

    def _jitter(
        self, base: dict[str, dict[str, float]], amplitude: float, interval: float
    ) -> None:
        specs = self.score_function.metrics
        for node_id in sorted(self.nodes, key=node_sort_key):
            if not self.nodes[node_id].running:
                continue
            noisy = {}
            for name, value in base.get(node_id, self.metrics[node_id]).items():
                spec = specs.get(name)
                span = (spec.high - spec.low) if spec else 1.0
                noisy[name] = value + float(self.rng.uniform(-amplitude, amplitude)) * span
            self._series_update(node_id, noisy)
        self.scheduler.schedule(interval, partial(self._jitter, base, amplitude, interval))

