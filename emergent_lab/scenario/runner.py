"""Running a scenario: build its cluster, schedule its timeline, report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emergent_lab.exact.cluster import SimCluster
from emergent_lab.exact.drivers import add_score_noise, follow_series
from emergent_lab.run.report import Report, build_report
from emergent_lab.scenario.events import ScenarioEvent
from emergent_lab.scenario.schema import Scenario, TraceReplay

if TYPE_CHECKING:
    from emergent_lab.array.cluster import ArrayCluster


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


def run_scenario(scenario: Scenario) -> tuple[SimCluster | ArrayCluster, Report]:
    """Run a scenario to its end; return the cluster (for its record) and the report.

    ``[cluster] engine = "array"`` runs it on the array engine instead.
    """
    if scenario.engine.engine == "array":
        from emergent_lab.scenario.array import run_array_scenario

        return run_array_scenario(scenario)
    cluster = build_cluster(scenario)
    cluster.run(scenario.until)
    return cluster, build_report(cluster, scenario=scenario.name, warmup=scenario.warmup)
