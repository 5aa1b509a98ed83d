"""Building clusters on the simulator, driving faults, observing and reporting."""

from emergent_lab.cluster.cluster import ACTIONS, EventRecord, SimCluster
from emergent_lab.cluster.config import LEADER, ClusterConfig, random_metrics
from emergent_lab.cluster.observer import ClusterRecord, NodeRecord, Observer
from emergent_lab.cluster.report import EventReport, Report, build_report

__all__ = [
    "ACTIONS",
    "LEADER",
    "ClusterConfig",
    "ClusterRecord",
    "EventRecord",
    "EventReport",
    "NodeRecord",
    "Observer",
    "Report",
    "SimCluster",
    "build_report",
    "random_metrics",
]
