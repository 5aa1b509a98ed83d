"""Scenario files: a cluster and a timeline of faults, validated, then run.

Layer 7, the one place that assembles a run: it validates a file
(:mod:`.schema`, :mod:`.events`), maps its engine to that engine's builder
(:mod:`.runner`'s ``ENGINES``, :mod:`.array`, :mod:`.engines`) and offers
the Akka-style preset (:mod:`.akka`). May import every layer up to the
engines; nothing here imports Jupyter or MQTT.
"""

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
