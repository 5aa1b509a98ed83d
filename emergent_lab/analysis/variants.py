"""Built-in scenarios with a few fields changed: the lessons' sweeps start here."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from emergent_lab.exact.cluster import SimCluster
from emergent_lab.run.report import Report, build_report
from emergent_lab.scenario import Scenario, build_cluster, load_scenario, parse_scenario


def scenario_variant(
    name: str, *, seed: int | None = None, changes: Mapping[str, Any] | None = None
) -> Scenario:
    """Load a scenario and change some fields, validated as if written in its file.

    Args:
        name: a built-in scenario name or a TOML path.
        seed: another seed (``None`` keeps the file's).
        changes: ``{"section.key": value}``, e.g. ``{"leader.emergence_threshold": 0.0}``.

    Raises:
        ScenarioError: a change names an unknown field or an invalid value.
    """
    data = copy.deepcopy(dict(load_scenario(name).source))
    for dotted, value in (changes or {}).items():
        section, _, key = dotted.partition(".")
        if not key:
            raise ValueError(f"changes: {dotted!r} must be 'section.key'")
        data.setdefault(section, {})[key] = value
    if seed is not None:
        data.setdefault("cluster", {})["seed"] = seed
    return parse_scenario(data, name=str(data.get("name", name)))


def run_variant(
    name: str, *, seed: int | None = None, changes: Mapping[str, Any] | None = None
) -> tuple[SimCluster, Report]:
    """Run :func:`scenario_variant` to its end on the exact engine (lessons read its observer)."""
    return run_exact(scenario_variant(name, seed=seed, changes=changes))


def run_exact(scenario: Scenario) -> tuple[SimCluster, Report]:
    """Run a scenario on the exact (per-node) engine and report, whatever engine it names."""
    cluster = build_cluster(scenario)
    cluster.run(scenario.until)
    return cluster, build_report(cluster, scenario=scenario.name, warmup=scenario.warmup)


def mean(values: list[float]) -> float | None:
    """The mean, or None for no values (a table prints it as ``-``)."""
    return sum(values) / len(values) if values else None
