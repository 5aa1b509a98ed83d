"""The neutral run layer both engines stand on: what a run is made of and what it reports.

Layer 4. The configuration of a cluster and the protocols it may run (with
its metrics as columns, :mod:`.metric_table`), the
faults and changes as recorded (:mod:`.events`), the engine contract both
engines implement (:mod:`.engine`), the observer's records and "the cluster
now" (:mod:`.observer`), the report built from any engine (:mod:`.report`),
and the live-reading contract a dashboard reads (:mod:`.source`).

May import: core, score, detector, sim, datasets, protocol, baselines.
Never an engine (``exact``, ``array``) or anything above them.
"""

from emergent_lab.run.config import LEADER, ClusterConfig, random_metrics
from emergent_lab.run.events import ACTIONS, EventRecord
from emergent_lab.run.observer import ClusterRecord, NodeRecord, Observer
from emergent_lab.run.report import EventReport, Report, build_report

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
    "build_report",
    "random_metrics",
]
