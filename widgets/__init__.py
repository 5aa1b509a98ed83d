"""The Jupyter layer of emergent-lab: a live dashboard of a cluster, and its HTML export.

``Dashboard.from_scenario("leader-crash")`` (or ``Dashboard(cluster)``) shows
one widget with run controls, live parameter sliders, click-to-act network
and flock views, live plots, a node inspector and replay. The dashboard reads
a cluster only through :class:`ClusterSource`, so a real cluster that
implements that protocol is shown the same way; an array-engine cluster is
drawn as a seeded sample of its nodes (:class:`ArrayClusterSource`).
"""

from emergent_lab.cluster.source import (
    ClusterPoint,
    ClusterSource,
    Mark,
    Message,
    NodeState,
    PeerEntry,
    RecordedNode,
    Traffic,
)

from .array_source import ArrayClusterSource
from .dashboard import Dashboard
from .export import save_cluster_html, save_run_html
from .sequence import SequenceView, save_sequence_html
from .sim_source import SimClusterSource

__all__ = [
    "ArrayClusterSource",
    "ClusterPoint",
    "ClusterSource",
    "Dashboard",
    "Mark",
    "Message",
    "NodeState",
    "PeerEntry",
    "RecordedNode",
    "SequenceView",
    "SimClusterSource",
    "Traffic",
    "save_cluster_html",
    "save_run_html",
    "save_sequence_html",
]
