"""The Jupyter layer of emergent-lab: the live dashboard, its export, the lessons' figures.

``Dashboard.from_scenario("leader-crash")`` (or ``Dashboard(cluster)``) shows
one widget with run controls, live parameter sliders, click-to-act network
and flock views, live plots, a node inspector and replay. The dashboard reads
a cluster only through :class:`ClusterSource`, so a real cluster that
implements that protocol is shown the same way; an array-engine cluster is
drawn as a seeded sample of its nodes (:class:`ArrayClusterSource`).
The lessons' Bokeh figures (:mod:`.figures`, drawn offline through
:mod:`.bokehjs`), their explorers (:mod:`.explorers`, built on
:mod:`.panels`) and :func:`.play.open_dashboard` live here too.

Layer 9, the top with the CLI: may import anything below; nothing below
imports it. ipywidgets and Bokeh are imported here and nowhere else.
"""

from emergent_lab.jupyter.dashboard import Dashboard
from emergent_lab.jupyter.export import save_cluster_html, save_run_html
from emergent_lab.jupyter.sequence import SequenceView, save_sequence_html
from emergent_lab.live import ArrayClusterSource, SimClusterSource
from emergent_lab.run.source import (
    ClusterPoint,
    ClusterSource,
    Mark,
    Message,
    NodeState,
    PeerEntry,
    RecordedNode,
    Traffic,
)

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
