"""Devices in: what connects small devices to a gossiping node.

A device does not gossip; it publishes a heartbeat with its metrics. Every
agent mirrors each device as a member of its own view: the heartbeat becomes
a state whose version is ``(generation, heartbeat)``, merged at the moment it
arrives, so the phi-accrual detector sees the device's real arrival times; its
score comes from its metrics with the cluster's score function. From there
on the device is an ordinary peer: gossip spreads it to agents that do not
hear it directly, a silent device is suspected and later dropped, and one
that comes back with a higher generation rejoins.

A device holds no opinion of its own, yet it counts among the members that
recognition is measured against. Its mirror therefore votes for the best
alive candidate of the mirroring node's view (the leader rule without its
hysteresis): views converge, so every mirror of a device votes alike, and a
device never props up one node's stale opinion.

The recognised leader goes the other way, through
:class:`~emergent_lab.mqtt.leader.LeaderPublisher`.
"""

from __future__ import annotations

import numpy as np

from emergent_lab.mqtt.reports import DeviceReport
from emergent_lab.protocol.messages import (
    STATUS_UP,
    StateBatch,
    state_wire_bytes,
    version_key,
)
from emergent_lab.protocol.node import Node
from emergent_lab.score import ScoreFunction


class DeviceMirror:
    """Turns device heartbeats into states of one node's view.

    Args:
        node: the node whose view mirrors the devices.
        score: the cluster's score function.
    """

    def __init__(self, node: Node, score: ScoreFunction) -> None:
        self.node = node
        self.score = score

    def mirror(self, report: DeviceReport) -> None:
        """Merge one heartbeat of a device into the node's view, at the current time.

        ``report`` comes from :meth:`~emergent_lab.mqtt.inbox.Inbox.device`, which
        has checked its id, the id-table cap and that its metrics score.
        """
        node = self.node
        if report.node == node.node_id:
            return
        index = node.ids.intern(report.node)
        opinion = node.best_alive()
        metrics = np.empty(1, dtype=object)
        metrics[0] = dict(report.metrics)
        batch = StateBatch(
            idx=np.array([index], dtype=np.int64),
            key=np.array([version_key(report.generation, report.heartbeat)], dtype=np.int64),
            heartbeat=np.array([report.heartbeat], dtype=np.int64),
            score=np.array([self.score.score(report.metrics)]),
            opinion=np.array([opinion], dtype=np.int64),
            status=np.array([STATUS_UP], dtype=np.int8),
            metrics=metrics,
            state_bytes=np.array(
                [state_wire_bytes(report.node, node.id_of(opinion), report.metrics)],
                dtype=np.int64,
            ),
        )
        node.admit(batch)
