"""The live changes of a simulated cluster beside its nodes' lifecycle: network and parameters.

A cluster's faults fall in two kinds. Crashes, restarts, pauses, joins and
leaves start or stop nodes, and stay with :class:`~emergent_lab.exact.cluster.SimCluster`,
which owns its nodes. What this mixin holds changes the conditions the nodes run
in: partitions, cut links, loss and latency, metrics, score weights and
protocol parameters. Each is marked on the observer's timeline (``_record``),
whether called live or scheduled, so that it lands in the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from emergent_lab.core.arrays import FloatArray
from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import IdTable
from emergent_lab.protocol.member import Member
from emergent_lab.protocol.params import ProtocolParams, check_live_parameter
from emergent_lab.run.config import ClusterConfig
from emergent_lab.run.events import EventRecord, log_event, resolve_groups
from emergent_lab.run.observer import Observer
from emergent_lab.score import ScoreFunction
from emergent_lab.sim.latency import LatencyModel
from emergent_lab.sim.network import SimNetwork
from emergent_lab.sim.scheduler import Scheduler


class ClusterChanges:
    """Partitions, links, loss, latency, metrics, weights and parameters of a running cluster."""

    config: ClusterConfig
    ids: IdTable
    scheduler: Scheduler
    network: SimNetwork
    observer: Observer
    events: list[EventRecord]
    nodes: dict[str, Member]
    metrics: dict[str, dict[str, float]]
    true_score: FloatArray
    score_function: ScoreFunction
    params: ProtocolParams
    resolve: Callable[[str], str]
    """Turns ``"leader"`` into the node leading now (the cluster's own)."""

    def _record(self, action: str, target: dict[str, Any], resolved: Iterable[str] = ()) -> None:
        log_event(self.events, self.observer, self.scheduler.now(), action, target, resolved)

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
        if not callable(getattr(latency, "sample", None)):
            raise ValueError(f"latency: must be a latency model, with sample() (got {latency!r})")
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

    def apply_series(self, node_id: str, metrics: Mapping[str, float]) -> None:
        """Apply metric samples that come from a series or noise, not from a user (no mark)."""
        new = {**self.metrics[node_id], **metrics}
        self.metrics[node_id] = new
        target = self.nodes[node_id]
        self.true_score[target.index] = self.score_function.score(new)
        if target.running:
            target.set_metrics(metrics)
