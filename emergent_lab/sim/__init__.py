"""The simulator: virtual time, seeded randomness and a simulated network.

Layer 3. The scheduler is SimPy-like (one queue, ties broken by a counter);
the network carries the protocol's messages, so it stands above
:mod:`emergent_lab.protocol`. May import: core, score, detector, datasets,
protocol.
"""

from emergent_lab.sim.latency import (
    ConstantLatency,
    LatencyModel,
    LogNormalLatency,
    MatrixLatency,
    UniformLatency,
)
from emergent_lab.sim.network import SimNetwork
from emergent_lab.sim.scheduler import Scheduler, TimerHandle

__all__ = [
    "ConstantLatency",
    "LatencyModel",
    "LogNormalLatency",
    "MatrixLatency",
    "Scheduler",
    "SimNetwork",
    "TimerHandle",
    "UniformLatency",
]
