"""What the MQTT cluster looks like now, from the statuses and heartbeats it published.

Pure functions of an :class:`~emergent_lab.mqtt.observe.Observation`, so
the live source (:mod:`.live`) only keeps history and serves it: a node's
state as the dashboard reads it, and "the cluster now" by the same rule both
engines' observers use (:func:`~emergent_lab.run.observer.cluster_now`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from emergent_lab.core.ids import NO_NODE
from emergent_lab.live.parts import cluster_point
from emergent_lab.mqtt.observe import Observation
from emergent_lab.mqtt.reports import NodeStatus
from emergent_lab.run.observer import cluster_now
from emergent_lab.run.source import ClusterPoint, NodeState


def online(observation: Observation) -> list[NodeStatus]:
    """The agents whose last retained status says they are online."""
    return [s for s in observation.statuses.values() if s.online]


def node_states(observation: Observation, ids: Sequence[str]) -> list[NodeState]:
    """Every node seen (agents by their status, devices by their peers' views), in ``ids`` order."""
    agents = online(observation)
    statuses = observation.statuses
    devices = observation.devices
    states = []
    for node_id in ids:
        views = [p for s in agents for p in s.peers if p.node == node_id]
        suspected_by = sum(1 for p in views if not p.alive)
        status = statuses.get(node_id)
        if status is not None:
            up = status.online
            states.append(
                NodeState(
                    node_id,
                    up,
                    status.opinion if up else None,
                    status.recognised if up else None,
                    up and status.acting,
                    status.score,
                    dict(status.metrics),
                    status.generation,
                    status.heartbeat,
                    suspected_by if up else 0,
                )
            )
            continue
        report = devices.get(node_id)
        up = any(p.alive for p in views)
        states.append(
            NodeState(
                node_id,
                up,
                None,
                None,
                False,
                views[0].score if views else 0.0,
                dict(report.metrics) if report is not None else {},
                report.generation if report is not None else 0,
                report.heartbeat if report is not None else 0,
                suspected_by if up else 0,
            )
        )
    return states


def point_now(observation: Observation, now: float) -> ClusterPoint:
    """The cluster now, by the rule both engines' observers use (:func:`cluster_now`)."""
    agents = online(observation)
    names = sorted(
        {s.node for s in agents}
        | {name for s in agents for name in (s.opinion, s.recognised) if name is not None}
    )
    index = {name: i for i, name in enumerate(names)}
    on = {index[s.node] for s in agents}

    def held(names_held: list[str | None]) -> Counter[int]:
        return Counter(NO_NODE if name is None else index[name] for name in names_held)

    record = cluster_now(
        now,
        up=len(agents),
        recognised=held([s.recognised for s in agents]),
        followed=held([s.opinion for s in agents]),
        acting=[index[s.node] for s in agents if s.acting],
        is_up=on.__contains__,
        best=lambda: NO_NODE,
    )
    return cluster_point(record, names)
