"""Running a scenario: build its cluster, schedule its timeline, report."""

from __future__ import annotations

from typing import Any

from emergent_lab.cluster.cluster import SimCluster
from emergent_lab.cluster.report import Report, build_report
from emergent_lab.scenario.schema import Scenario, ScenarioEvent


def _arguments(event: ScenarioEvent) -> dict[str, Any]:
    """Map a scenario event's fields onto the cluster method's arguments."""
    args = dict(event.arguments)
    if event.action == "cut":
        a, b = args.pop("nodes")
        args.update(a=a, b=b)
    return args


def build_cluster(scenario: Scenario) -> SimCluster:
    """A cluster with the scenario's timeline scheduled on it, not yet run."""
    cluster = SimCluster(scenario.config)
    if scenario.noise is not None:
        cluster.add_score_noise(*scenario.noise)
    for event in scenario.events:
        cluster.at(event.at, event.action, **_arguments(event))
    return cluster


def run_scenario(scenario: Scenario) -> tuple[SimCluster, Report]:
    """Run a scenario to its end; return the cluster (for its record) and the report."""
    cluster = build_cluster(scenario)
    cluster.run(scenario.until)
    return cluster, build_report(cluster, scenario=scenario.name, warmup=scenario.warmup)
