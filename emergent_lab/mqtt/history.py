"""What a real cluster looked like over time: change-only records for the dashboard's replay.

A simulated engine keeps its own observer timeline; a real cluster behind a
broker does not, so :class:`ChangeHistory` keeps one from the readings: a
cluster point and a node record are stored only when they differ from the
previous one, which bounds the history by how often the cluster changes, not
by how often it is read. Lookups by time use the same "record in force" rule
as the engines' timelines (:mod:`emergent_lab.core.timeline`).
"""

from __future__ import annotations

from collections.abc import Sequence

from emergent_lab.core.timeline import index_in_force, record_in_force
from emergent_lab.mqtt.observe import Observation
from emergent_lab.mqtt.readings import node_states, point_now
from emergent_lab.run.source import ClusterPoint, Mark, RecordedNode

NodeRecord = tuple[bool, str | None, str | None, bool]
"""(up, opinion, recognised, acting): the fields a replayed node shows."""


class ChangeHistory:
    """Cluster points, node records and marks, each kept in time order, one per change."""

    def __init__(self) -> None:
        self.points: list[ClusterPoint] = []
        self.nodes: dict[str, list[tuple[float, NodeRecord]]] = {}
        self.marks: list[Mark] = []

    def mark(self, now: float, kind: str, label: str) -> None:
        """Note an event (a join, a departure, a leader change, an action) on the timeline."""
        self.marks.append(Mark(now, kind, label))

    def record(self, observation: Observation, ids: Sequence[str], now: float) -> None:
        """Store the cluster and each node as observed at ``now``, where they changed."""
        point = point_now(observation, now)
        if not self.points or _fields(self.points[-1]) != _fields(point):
            self.points.append(point)
        for state in node_states(observation, ids):
            records = self.nodes.setdefault(state.node_id, [])
            value = (state.up, state.opinion, state.recognised, state.acting)
            if not records or records[-1][1] != value:
                records.append((now, value))

    def point_at(self, time: float) -> ClusterPoint | None:
        """The cluster point in force at ``time`` (None before the first reading)."""
        return record_in_force(self.points, time)

    def node_at(self, node_id: str, time: float) -> RecordedNode | None:
        """A node's record in force at ``time`` (None before it was seen)."""
        records = self.nodes.get(node_id, [])
        i = index_in_force([t for t, _ in records], time)
        return RecordedNode(*records[i][1]) if i >= 0 else None


def _fields(point: ClusterPoint) -> tuple[object, ...]:
    """A point's content without its time: two readings alike are one change."""
    return (point.up, point.converged, point.leader, point.acting, point.agreement, point.opinions)
