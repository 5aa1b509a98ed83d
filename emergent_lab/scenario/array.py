"""Running a scenario on the array engine (``[cluster] engine = "array"``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emergent_lab.array.cluster import ARRAY_ACTIONS, ArrayCluster

if TYPE_CHECKING:
    from emergent_lab.scenario.schema import Scenario


def check_array_support(scenario: Scenario) -> None:
    """Refuse what the array engine cannot honour, naming the field.

    Called when the scenario is parsed, so ``load_scenario`` refuses it and a
    sweep never starts its workers on runs that would all fail.

    Raises:
        ValueError: naming the first field the array engine cannot honour.
    """
    if scenario.config.graph is not None:
        raise ValueError("network.graph: not supported by the array engine (use engine = 'exact')")
    if scenario.noise is not None:
        raise ValueError("score.noise: not supported by the array engine (use engine = 'exact')")
    if scenario.traces is not None:
        raise ValueError("score.traces: not supported by the array engine (use engine = 'exact')")
    for k, event in enumerate(scenario.events):
        if event.action not in ARRAY_ACTIONS:
            raise ValueError(
                f"events[{k}].action: {event.action!r} is not supported by the array engine "
                f"(expected one of: {', '.join(ARRAY_ACTIONS)})"
            )


def build_array_cluster(scenario: Scenario) -> ArrayCluster:
    """An array-engine cluster with the scenario's timeline scheduled, not yet run.

    Raises:
        ValueError: naming the first field the array engine cannot honour.
    """
    check_array_support(scenario)
    options = scenario.engine
    cluster = ArrayCluster(scenario.config, view=options.view, k=options.k)
    for event in scenario.events:
        cluster.at(event.at, event.action, **dict(event.arguments))
    return cluster
