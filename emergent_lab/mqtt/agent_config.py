"""What one agent process is: its identity, its metrics and the cluster's rules, checked.

Kept apart from :mod:`emergent_lab.mqtt.agent`, which runs it: the command
line builds an :class:`AgentConfig` and every option is checked here, naming
the option, before anything connects to a broker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import validate_node_id
from emergent_lab.mqtt.topics import ClusterTopics
from emergent_lab.mqtt.wire import MAX_GENERATION, MIN_INTERVAL_S
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.score import ScoreFunction


def _capacity_preset() -> ScoreFunction:
    return ScoreFunction.preset("capacity")


@dataclass(frozen=True)
class AgentConfig:
    """What one agent process is: its identity, its metrics and the cluster's rules.

    Attributes:
        node_id: this node's id (the node-id syntax; it is a topic level).
        cluster: the cluster name.
        metrics: this node's metrics, the inputs of its score.
        generation: the incarnation; a restarted agent must use a higher one.
        params: protocol parameters; every member of a cluster should agree.
        score: the cluster's score function.
        seeds: ids to contact first, besides the online agents found on the broker.
        key: the shared cluster key, or ``None`` for an open cluster.
        status_interval: seconds between status publications.
        discovery: seconds spent reading retained statuses before the node
            starts, so that it joins the cluster it finds instead of leading
            a cluster of one.
        rng_seed: seed of the node's generator (peer choice, timer phases).
        state_dir: where replay stamps are kept across restarts (see
            :mod:`emergent_lab.mqtt.state`), or ``None`` to keep them in memory only.
    """

    node_id: str
    cluster: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    generation: int = 1
    params: ProtocolParams = field(default_factory=ProtocolParams)
    score: ScoreFunction = field(default_factory=_capacity_preset)
    seeds: Sequence[str] = ()
    key: bytes | None = None
    status_interval: float = 1.0
    discovery: float = 0.5
    rng_seed: int | None = None
    state_dir: str | None = None

    def __post_init__(self) -> None:
        validate_node_id(self.node_id, field="--id")
        ClusterTopics(self.cluster)
        check_number("--generation", self.generation, low=1, high=MAX_GENERATION, integer=True)
        check_number("--status-interval", self.status_interval, low=MIN_INTERVAL_S)
        check_number("--heartbeat-interval", self.params.heartbeat_interval, low=MIN_INTERVAL_S)
        check_number("--gossip-interval", self.params.gossip_interval, low=MIN_INTERVAL_S)
        check_number("--discovery", self.discovery, low=0)
        for seed in self.seeds:
            validate_node_id(seed, field="--seed")
        for name, value in self.metrics.items():
            check_number(f"--metric {name}", value)
        # A metric the score does not know would be gossiped, and refused by every peer.
        self.score.check_metrics(self.metrics, field="--metric")
