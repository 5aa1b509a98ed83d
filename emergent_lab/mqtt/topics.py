"""The topic tree of one cluster, so every component spells it the same way.

``emergent/<cluster>/`` holds everything of a cluster: per-node gossip inboxes,
per-node retained status, per-device heartbeats and the retained leader. Ids
and cluster names share the node-id syntax, so none can inject ``/``, ``+``
or ``#`` into a topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from emergent_lab.core.ids import validate_node_id

ROOT = "emergent"


@dataclass(frozen=True)
class ClusterTopics:
    """Topic names of one cluster.

    Args:
        cluster: the cluster name (the node-id syntax: letters, digits, ``_.-``).
    """

    cluster: str

    def __post_init__(self) -> None:
        validate_node_id(self.cluster, field="cluster")

    @property
    def base(self) -> str:
        """Prefix of every topic of this cluster."""
        return f"{ROOT}/{self.cluster}"

    def gossip(self, node_id: str) -> str:
        """Inbox of a full node: the gossip messages addressed to it."""
        return f"{self.base}/nodes/{node_id}/gossip"

    def status(self, node_id: str) -> str:
        """Retained presence and summary of a full node (its will says offline)."""
        return f"{self.base}/nodes/{node_id}/status"

    def device_state(self, device_id: str) -> str:
        """Where a device publishes its heartbeat and metrics."""
        return f"{self.base}/devices/{device_id}/state"

    @property
    def leader(self) -> str:
        """Retained: the recognised leader, for devices and scripts to act on."""
        return f"{self.base}/leader"

    @property
    def all_status(self) -> str:
        """Filter matching every node's status."""
        return f"{self.base}/nodes/+/status"

    @property
    def all_devices(self) -> str:
        """Filter matching every device's heartbeat."""
        return f"{self.base}/devices/+/state"

    def topic_node(self, topic: str) -> str | None:
        """The id level of a ``nodes/<id>/…`` or ``devices/<id>/…`` topic of this cluster."""
        parts = topic.split("/")
        if len(parts) != 5 or "/".join(parts[:2]) != self.base:
            return None
        return parts[3] if parts[2] in ("nodes", "devices") else None
