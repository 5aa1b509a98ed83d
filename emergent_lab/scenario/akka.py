"""Akka Cluster's deterministic leader, expressed as a preset of the emergent protocol.

Akka's leader is the first member by address among the members that every
node sees as up, and it performs leader actions only once gossip has
converged (every member has seen the same state). Both map onto existing
knobs, so no node class is needed:

- the ``lowest-id`` score preset gives every node the same score, leaving the
  leader rule's tie-break (the id that sorts first) to decide: the first
  member by address;
- ``convergence_threshold = 1.0`` makes a node recognise a leader, and the
  leader act, only when every member it believes alive holds that opinion:
  leader actions on full convergence only.

One difference remains (see ``ScoreFunction.preset``): a node joining with a
lower id does not take over until the current leader is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emergent_lab.scenario.schema import Scenario, parse_scenario

AKKA_STYLE: Mapping[str, Any] = {
    "score.preset": "lowest-id",
    "leader.convergence_threshold": 1.0,
}
"""The dotted scenario overrides that turn the emergent leader into Akka's."""


def akka_style(scenario: Scenario) -> Scenario:
    """The same scenario with Akka's leader: lowest id, leader actions on full convergence."""
    data = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in scenario.source.items()}
    for dotted, value in AKKA_STYLE.items():
        section, key = dotted.split(".")
        data.setdefault(section, {})[key] = value
    return parse_scenario(data, name=f"{scenario.name}-akka-style")
