"""The simulator: virtual time, seeded randomness and a simulated network."""

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
