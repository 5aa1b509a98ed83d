"""Live sources: each engine as a dashboard reads it (the ClusterSource contract).

Layer 7. A source turns an engine's state into the contract's frames,
records and marks, and rebuilds its cluster from the scenario behind it on
Reset, so it stands above :mod:`emergent_lab.scenario`. The MQTT cluster's
source lives with the bridge (:mod:`emergent_lab.mqtt.live`).

May import: every layer up to and including scenario. Never Jupyter.
"""

from emergent_lab.live.array import ArrayClusterSource
from emergent_lab.live.exact import SimClusterSource

__all__ = ["ArrayClusterSource", "SimClusterSource"]
