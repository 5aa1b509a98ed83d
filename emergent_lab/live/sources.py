"""The live source that reads a given cluster or scenario, whichever engine runs it.

The one place that maps an engine to its source, so the dashboard and the
HTML export take a cluster of either engine (or any ClusterSource) and
never test engine types themselves.
"""

from __future__ import annotations

from emergent_lab.array import ArrayCluster
from emergent_lab.exact import SimCluster
from emergent_lab.live.array import ArrayClusterSource
from emergent_lab.live.exact import SimClusterSource
from emergent_lab.run.source import ClusterSource
from emergent_lab.scenario import Scenario
from emergent_lab.scenario.runner import ENGINES


def source_for(cluster: SimCluster | ArrayCluster | ClusterSource) -> ClusterSource:
    """The source that reads ``cluster``: an adapter for either engine, or the source itself."""
    if isinstance(cluster, SimCluster):
        return SimClusterSource(cluster)
    if isinstance(cluster, ArrayCluster):
        return ArrayClusterSource(cluster)
    return cluster


def scenario_source(scenario: Scenario) -> SimClusterSource | ArrayClusterSource:
    """A fresh cluster of the scenario's engine, its timeline scheduled, as a rebuildable source."""
    cluster = ENGINES[scenario.engine.engine](scenario)
    if isinstance(cluster, ArrayCluster):
        return ArrayClusterSource(cluster, scenario)
    return SimClusterSource(cluster, scenario)
