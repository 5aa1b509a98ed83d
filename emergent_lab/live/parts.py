"""What the ``ClusterSource`` implementations over the two engines share.

``SimClusterSource`` (exact engine) and ``ArrayClusterSource`` (array engine)
turn the same observer records into the protocol's records and drive their
engines through the same verbs, so that logic is written once here and the
dashboard reads and acts the same way on either engine. It is kept out of
:mod:`emergent_lab.run.source`, which only defines the protocol and its
records and so imports nothing an outside implementation (the MQTT bridge)
does not need; and it imports no Jupyter module, so the engine never depends
on the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from emergent_lab.core.checks import check_number
from emergent_lab.core.timeline import record_in_force
from emergent_lab.protocol.params import PARAMETERS, ProtocolParams
from emergent_lab.run.config import ClusterConfig
from emergent_lab.run.engine import Engine
from emergent_lab.run.observer import ClusterRecord
from emergent_lab.run.source import ClusterPoint, RecordedNode, Traffic, TrafficLog
from emergent_lab.score import ScoreFunction


class LossControl(Protocol):
    """What :func:`set_loss` needs of an engine: its clock, its scheduler and its loss."""

    @property
    def time(self) -> float:
        """Current virtual time."""
        ...

    def at(self, time: float, action: str, **arguments: Any) -> None:
        """Schedule an engine action at virtual ``time``."""
        ...

    def set_loss(self, loss: float) -> None:
        """Set the message-loss probability now."""
        ...


class LiveEngine(Engine, Protocol):
    """An engine a dashboard drives: the report's contract plus the settings a user can change."""

    params: ProtocolParams
    score_function: ScoreFunction


E = TypeVar("E", bound=LiveEngine)


class EngineReadings(Generic[E]):
    """The readings both sources take straight from their engine's contract.

    Time, seed, the cluster timeline, the leader and the settings in force
    read the same on either engine, so they are written once here; what
    differs (per-node states, views, phi, replay records) stays in each
    source.
    """

    cluster: E
    traffic_log: TrafficLog
    """Set by the source when it starts; it samples at each whole second it advances past."""

    @property
    def time(self) -> float:
        """Virtual time of the cluster."""
        return self.cluster.time

    def traffic_now(self) -> Traffic:
        """The engine's message and byte counters now."""
        counters = self.cluster.counters()
        return Traffic(self.cluster.time, counters.messages, counters.bytes)

    def traffic(self, start: int = 0) -> Sequence[Traffic]:
        """Counter samples from index ``start`` on: the start, then one each whole second."""
        return self.traffic_log.samples[start:]

    @property
    def seed(self) -> int:
        """The cluster's seed."""
        return self.cluster.config.seed

    def phi_threshold(self) -> float:
        """The detector threshold in force."""
        return self.cluster.params.detector.threshold

    def leader(self) -> str | None:
        """The leader every up node of the whole cluster recognises."""
        return self.cluster.leader()

    def timeline(self, start: int = 0) -> Sequence[ClusterPoint]:
        """The engine's cluster timeline points from ``start`` on."""
        ids = self.cluster.ids.ids
        return [cluster_point(r, ids) for r in self.cluster.timeline[start:]]

    def cluster_at(self, time: float) -> ClusterPoint | None:
        """The timeline point in force at ``time``."""
        record = record_in_force(self.cluster.timeline, time)
        return cluster_point(record, self.cluster.ids.ids) if record else None

    def weights(self) -> Mapping[str, float]:
        """Weights of the cluster's score function."""
        return dict(self.cluster.score_function.weights)

    def param(self, name: str) -> float:
        """A protocol parameter by the name ``set_param`` takes (``detector.*`` too)."""
        return param_value(self.cluster.params, name)


def cluster_point(record: ClusterRecord, ids: Sequence[str]) -> ClusterPoint:
    """An observer's cluster record as the protocol's point, with node ids for indices.

    Both engines' observers record :class:`ClusterRecord` with node indices;
    the protocol speaks in node ids, with None for "no node".
    """
    return ClusterPoint(
        time=record.time,
        up=record.up,
        converged=record.converged,
        leader=ids[record.leader] if record.leader >= 0 else None,
        acting=record.acting,
        agreement=record.agreement,
        opinions=record.opinions,
    )


def recorded_node(
    up: bool, opinion: int, recognised: int, acting: bool, ids: Sequence[str]
) -> RecordedNode:
    """A node's recorded state, with node ids for its indices (-1 is no node)."""
    return RecordedNode(
        up=up,
        opinion=ids[opinion] if opinion >= 0 else None,
        recognised=ids[recognised] if recognised >= 0 else None,
        acting=acting,
    )


def param_value(params: ProtocolParams, name: str) -> float:
    """A protocol parameter by the name ``set_param`` takes (``detector.*`` for the detector's).

    Raises:
        ValueError: the name is no field of the parameters; the message lists
            every field ``set_param`` and the scenario files name.
    """
    owner: object = params.detector if name.startswith("detector.") else params
    field = name.removeprefix("detector.")
    if not hasattr(owner, field):
        raise ValueError(f"param: unknown parameter {name!r} (expected one of: {PARAMETERS})")
    return float(getattr(owner, field))


def set_loss(
    engine: LossControl, probability: float, duration: float | None, restore: float
) -> None:
    """Set an engine's loss; after ``duration``, if given, set it back to ``restore``.

    Both inputs are checked before anything changes. The restore is
    scheduled as an engine action, so a burst's end is marked on the
    timeline like its start.
    """
    check_number("loss", probability, low=0, high=1)
    if duration is not None:
        check_number("loss.duration", duration, low=0, low_open=True)
        engine.at(engine.time + duration, "set_loss", loss=restore)
    engine.set_loss(probability)


def reset_config(
    old: ClusterConfig,
    nodes: int,
    seed: int,
    *,
    params: ProtocolParams,
    score: ScoreFunction,
    loss: float,
) -> ClusterConfig:
    """The config a dashboard Reset builds when it cannot re-read a scenario at this size.

    The nodes and their metrics are drawn again from ``seed``, so the same
    seed reproduces the same run; what the user set while it ran (the
    parameters, score function and loss in force, passed in as each engine
    holds them) and the cluster's shape (how many seed nodes, the latency
    model) are kept. Per-node metrics and a graph name nodes of the old size,
    so they are dropped.
    """
    return ClusterConfig.create(
        nodes,
        seed=seed,
        params=params,
        score=score,
        seeds=len(old.seeds),
        latency=old.latency,
        loss=loss,
    )
