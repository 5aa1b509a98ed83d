"""Scale mode: the protocol in rounds on arrays, to a million nodes.

``ArrayCluster`` runs the same protocol as ``SimCluster`` at slot
granularity, its loops compiled (``kernels``), with a full-membership view
(n×n, a few thousand nodes) or a top-k candidate view (n×k, a million
nodes); ``build_array_report`` gives the same ``Report``. ``measure``
defines dissemination and failover once for both engines, ``theory`` the
epidemic reference curves, ``compare`` a numpy two-sample test. Scenarios
select it with ``[cluster] engine = "array"``.
"""

from emergent_lab.scale.compare import ks_critical, ks_statistic, median_ratio
from emergent_lab.scale.engine import ARRAY_ACTIONS, EXCHANGES, ArrayCluster
from emergent_lab.scale.options import ENGINES, EngineOptions
from emergent_lab.scale.report import build_array_report
from emergent_lab.scale.theory import failover_bound, push_pull_rounds, push_rounds
from emergent_lab.scale.views import VIEWS

__all__ = [
    "ARRAY_ACTIONS",
    "ENGINES",
    "EXCHANGES",
    "VIEWS",
    "ArrayCluster",
    "EngineOptions",
    "build_array_report",
    "failover_bound",
    "ks_critical",
    "ks_statistic",
    "median_ratio",
    "push_pull_rounds",
    "push_rounds",
]
