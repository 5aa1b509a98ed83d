"""The protocol's tunable parameters, validated once where they are set."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emergent_lab.core.checks import check_number
from emergent_lab.detector import DetectorParams

CLUSTER_DETECTOR = DetectorParams(acceptable_heartbeat_pause=3.0)
"""Akka cluster's defaults (threshold 8, 100 ms std floor, 3 s acceptable pause).

Heartbeats reach a node through several gossip hops, so their arrivals are
irregular; a cluster needs the pause that a single direct link would not.
"""


@dataclass(frozen=True)
class ProtocolParams:
    """What every node of a cluster agrees on: timing, fanout and the two thresholds.

    ``emergence_threshold`` is the score margin by which a better node must
    beat the one a node follows before it switches (hysteresis against
    thrashing). ``convergence_threshold`` is the fraction of the members a node
    believes alive that must share an opinion before it recognises that leader.
    ``detector`` defaults to Akka cluster's failure-detector settings.
    ``gc_after`` is how long a peer stays in a view after it stopped being
    alive; it then leaves a tombstone, so gossip from slower nodes does not
    resurrect it (see ``protocol.view``).
    """

    fanout: int = 3
    gossip_interval: float = 1.0
    heartbeat_interval: float = 1.0
    emergence_threshold: float = 0.05
    convergence_threshold: float = 0.75
    gc_after: float = 30.0
    detector: DetectorParams = field(default_factory=lambda: CLUSTER_DETECTOR)

    def __post_init__(self) -> None:
        check_number("cluster.fanout", self.fanout, low=1, integer=True)
        check_number("cluster.gossip_interval", self.gossip_interval, low=0, low_open=True)
        check_number("cluster.heartbeat_interval", self.heartbeat_interval, low=0, low_open=True)
        check_number("leader.emergence_threshold", self.emergence_threshold, low=0, high=1)
        check_number(
            "leader.convergence_threshold", self.convergence_threshold, low=0, high=1, low_open=True
        )
        check_number("cluster.gc_after", self.gc_after, low=0, low_open=True)
        if not isinstance(self.detector, DetectorParams):
            raise ValueError("detector: must be a DetectorParams")

    def replace(self, **changes: Any) -> ProtocolParams:
        """Return a validated copy with ``changes`` applied (or raise, changing nothing)."""
        detector_changes = {k: changes.pop(k) for k in list(changes) if k.startswith("detector.")}
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown parameter (expected one of: {PARAMETERS})")
        if detector_changes:
            current = dataclasses.asdict(self.detector)
            current.update({k.removeprefix("detector."): v for k, v in detector_changes.items()})
            changes["detector"] = DetectorParams.from_mapping(current)
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ProtocolParams:
        """Build from plain values (already split out of a scenario's tables)."""
        return cls(**dict(values))


PARAMETERS = ", ".join(
    [f.name for f in dataclasses.fields(ProtocolParams) if f.name != "detector"]
    + ["detector.threshold", "detector.acceptable_heartbeat_pause", "..."]
)

FIXED_WHILE_RUNNING = ("detector.kind", "detector.max_sample_size")
"""They define a detector's history itself, so a running node cannot change them."""
LIVE_PARAMETERS = tuple(
    name
    for name in [f.name for f in dataclasses.fields(ProtocolParams) if f.name != "detector"]
    + [f"detector.{f.name}" for f in dataclasses.fields(DetectorParams)]
    if name not in FIXED_WHILE_RUNNING
)
"""What ``set_param`` may change on a running cluster."""


def check_live_parameter(name: object, *, field: str = "name") -> str:
    """Return ``name`` if a running cluster can change it, else raise naming ``field``."""
    if name in FIXED_WHILE_RUNNING:
        raise ValueError(f"{field}: {name!r} cannot change on a running cluster")
    if not isinstance(name, str) or name not in LIVE_PARAMETERS:
        raise ValueError(
            f"{field}: unknown parameter {name!r} (expected one of: {', '.join(LIVE_PARAMETERS)})"
        )
    return name
