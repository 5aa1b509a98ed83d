"""emergent-lab: leadership that emerges from gossip, simulated deterministically.

The engine has no Jupyter, Bokeh or MQTT imports: those live in
``emergent_lab.jupyter`` and ``emergent_lab.mqtt`` and are imported on demand.
"""

from emergent_lab.detector import (
    DetectorBank,
    DetectorParams,
    ExponentialPhiDetector,
    PhiAccrualDetector,
    make_detector,
)
from emergent_lab.exact import SimCluster
from emergent_lab.protocol import Node, ProtocolParams
from emergent_lab.run import ClusterConfig, Report, build_report
from emergent_lab.scenario import Scenario, ScenarioError, load_scenario, run_scenario
from emergent_lab.score import PRESETS, MetricSpec, ScoreFunction
from emergent_lab.sim import Scheduler, SimNetwork

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "ClusterConfig",
    "DetectorBank",
    "DetectorParams",
    "ExponentialPhiDetector",
    "MetricSpec",
    "Node",
    "PhiAccrualDetector",
    "ProtocolParams",
    "Report",
    "Scenario",
    "ScenarioError",
    "Scheduler",
    "ScoreFunction",
    "SimCluster",
    "SimNetwork",
    "build_report",
    "load_scenario",
    "make_detector",
    "run_scenario",
]
