"""The exact engine: every node a real protocol node, every message an event on the simulator.

Layer 5, a sibling of :mod:`emergent_lab.array`: ``SimCluster`` implements
the engine contract of :mod:`emergent_lab.run.engine` on the discrete-event
simulator, message by message, with the protocol's own ``Node``.

May import: core, score, detector, sim, datasets, protocol, baselines, run.
Never ``array`` or anything above.
"""

from emergent_lab.exact.cluster import SimCluster

__all__ = ["SimCluster"]
