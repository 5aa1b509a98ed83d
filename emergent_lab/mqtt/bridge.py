"""Devices in, leader out: what connects small devices to a gossiping node.

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

The recognised leader goes the other way: :class:`LeaderPublisher` listens to
the node and publishes its recognised leader, retained, whenever it changes
and differs from what the topic already holds, so devices and scripts can act
on it without speaking the protocol.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from emergent_lab.mqtt.codec import DeviceReport, LeaderAnnouncement
from emergent_lab.protocol.messages import (
    STATUS_UP,
    GossipAck2,
    StateBatch,
    state_wire_bytes,
    version_key,
)
from emergent_lab.protocol.node import NO_NODE, Node, best_candidate
from emergent_lab.score import ScoreFunction


def _best_alive(node: Node) -> int:
    """The best candidate alive to ``node`` (highest score, ties by id), or NO_NODE."""
    members = np.flatnonzero(node.alive_mask)
    if not members.size:
        return NO_NODE
    return best_candidate(members, node.view.score[members], node.ids.rank)


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
        node.view.ensure_capacity(len(node.ids))
        opinion = _best_alive(node)
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
        node.receive(GossipAck2(node.index, batch))


class LeaderPublisher:
    """A node listener that publishes the node's recognised leader, retained.

    Args:
        publish: sends one announcement (retained) to the leader topic.
        wall_clock: unix time for the ``since`` field (``time.time`` by default).
    """

    def __init__(
        self,
        publish: Callable[[LeaderAnnouncement], None],
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.publish = publish
        self.wall_clock = wall_clock
        self.retained: LeaderAnnouncement | None = None
        """What the leader topic holds, as last received (None: nothing seen)."""
        self.published = 0

    def seen(self, announcement: LeaderAnnouncement) -> None:
        """Record what the leader topic now holds."""
        self.retained = announcement

    def forget(self) -> None:
        """After a reconnect the broker may have lost its retained messages."""
        self.retained = None

    def announce(self, node: Node) -> None:
        """Publish the node's recognised leader unless the topic already says so.

        The leader itself also keeps the ``members`` count current; other
        nodes leave an unchanged leader alone, so a stable cluster is quiet.
        """
        leader = node.id_of(node.recognised)
        members = int(node.alive_mask.sum())
        retained = self.retained
        if retained is None and leader is None:
            return
        if retained is not None and retained.leader == leader:
            if not node.acting or retained.members == members:
                return
            since = retained.since
        else:
            since = round(self.wall_clock(), 3)
        announcement = LeaderAnnouncement(leader=leader, since=since, members=members)
        self.retained = announcement
        self.published += 1
        self.publish(announcement)

    def node_changed(self, node: Any, now: float) -> None:
        """The node's recognition may have changed: announce it."""
        self.announce(node)

    def suspicions_changed(
        self, node: Any, suspected: np.ndarray, restored: np.ndarray, now: float
    ) -> None:
        """Membership changed: the leader refreshes the announced member count."""
        if node.acting:
            self.announce(node)
