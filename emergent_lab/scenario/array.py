"""Running a scenario on the array engine (``[cluster] engine = "array"``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emergent_lab.array.cluster import ARRAY_ACTIONS, ArrayCluster

if TYPE_CHECKING:
    from emergent_lab.scenario.schema import Scenario


def build_array_cluster(scenario: Scenario) -> ArrayCluster:
    """An array-engine cluster with the scenario's timeline scheduled, not yet run.

    Raises:
        ValueError: naming the first field the array engine cannot honour.
    """
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
    options = scenario.engine
    cluster = ArrayCluster(scenario.config, view=options.view, k=options.k)
    for event in scenario.events:
        cluster.at(event.at, event.action, **dict(event.arguments))
    return cluster
