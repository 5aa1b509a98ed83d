"""Scenario files: a cluster and a timeline of faults, validated, then run."""

from emergent_lab.scenario.errors import ScenarioError
from emergent_lab.scenario.events import ScenarioEvent
from emergent_lab.scenario.runner import build_cluster, run_scenario
from emergent_lab.scenario.schema import (
    Scenario,
    builtin_names,
    load_scenario,
    parse_scenario,
)

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioEvent",
    "build_cluster",
    "builtin_names",
    "load_scenario",
    "parse_scenario",
    "run_scenario",
]
