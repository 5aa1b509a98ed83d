"""Running a scenario: build its cluster on its engine, schedule its timeline, report.

The scenario layer is the one place that assembles a run: it maps the
engine a scenario names to the builder of that engine's cluster
(:data:`ENGINES`); the protocols a cluster may run are
:data:`emergent_lab.run.config.PROTOCOLS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emergent_lab.array.cluster import ArrayCluster
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.exact.drivers import add_score_noise, follow_series
from emergent_lab.run.report import Report, build_report
from emergent_lab.scenario.array import build_array_cluster
from emergent_lab.scenario.events import ScenarioEvent
from emergent_lab.scenario.schema import Scenario
from emergent_lab.scenario.sections import TraceReplay


def _arguments(event: ScenarioEvent) -> dict[str, Any]:
    """Map a scenario event's fields onto the cluster method's arguments."""
    args = dict(event.arguments)
    if event.action == "cut":
        a, b = args.pop("nodes")
        args.update(a=a, b=b)
    return args


def _replay_traces(cluster: SimCluster, replay: TraceReplay, until: float) -> None:
    """Make node ``k``'s metric follow trace ``k mod len(names)`` up to the run's end."""
    from emergent_lab.datasets import load_cpu_traces

    traces = list(load_cpu_traces(replay.names).values())
    for k, node_id in enumerate(cluster.config.ids):
        trace = traces[k % len(traces)].compressed(replay.compress)
        keep = trace.times_s <= until
        times = trace.times_s[keep].tolist()
        follow_series(cluster, node_id, replay.metric, times, trace.cpu_percent[keep].tolist())


def build_cluster(scenario: Scenario) -> SimCluster:
    """A cluster with the scenario's timeline scheduled on it, not yet run."""
    cluster = SimCluster(scenario.config)
    if scenario.noise is not None:
        add_score_noise(cluster, *scenario.noise)
    if scenario.traces is not None:
        _replay_traces(cluster, scenario.traces, scenario.until)
    for event in scenario.events:
        cluster.at(event.at, event.action, **_arguments(event))
    return cluster


ENGINES: Mapping[str, Callable[[Scenario], SimCluster | ArrayCluster]] = {
    "exact": build_cluster,
    "array": build_array_cluster,
}
"""How each engine (``[cluster] engine``) builds a scenario's cluster, its timeline scheduled."""


def run_scenario(scenario: Scenario) -> tuple[SimCluster | ArrayCluster, Report]:
    """Run a scenario to its end; return the cluster (for its record) and the report.

    ``[cluster] engine = "array"`` runs it on the array engine instead.
    """
    cluster = ENGINES[scenario.engine.engine](scenario)
    cluster.run(scenario.until)
    return cluster, build_report(cluster, scenario=scenario.name, warmup=scenario.warmup)
