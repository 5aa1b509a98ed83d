"""A scenario's timeline: each event checked on its own, then against the cluster it acts on.

Checking an event on its own (its action, fields and their types) is not
enough for "nothing runs unless everything can": a ``crash`` of a node that
never exists, a ``join`` of an id already taken, a ``set_metric`` of a metric
the score does not know or a ``set_param`` the protocol would refuse would
otherwise surface mid-run, after part of the timeline already happened. So
the whole timeline is walked once, in time order, against the cluster's ids,
score function and parameters, each ``join``, ``set_weights`` and
``set_param`` applied to a copy as it would be applied to the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import validate_node_id
from emergent_lab.protocol.params import check_live_parameter
from emergent_lab.run.config import LEADER, ClusterConfig
from emergent_lab.run.events import ACTIONS
from emergent_lab.scenario.errors import checked, checked_under, fail
from emergent_lab.score import ScoreFunction
from emergent_lab.sim.latency import latency_from_mapping

MAX_ROUNDS = 100_000
"""Most timer periods (gossip, heartbeat, score noise) a run may last: ``until = 1e30`` or a
``heartbeat_interval`` of a nanosecond would otherwise run for ever instead of being refused."""
PERIODS = ("gossip_interval", "heartbeat_interval")
"""The protocol's timer periods, which ``set_param`` may shorten mid-run."""

# action → (required fields, optional fields)
EVENT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "crash": (("node",), ()),
    "restart": (("node",), ()),
    "pause": (("node", "duration"), ()),
    "leave": (("node",), ()),
    "join": (("node",), ("metrics",)),
    "partition": (("groups",), ()),
    "heal": ((), ()),
    "cut": (("nodes",), ()),
    "set_loss": (("loss",), ()),
    "set_latency": (("latency",), ()),
    "set_metric": (("node", "metric", "value"), ()),
    "set_weights": (("weights",), ()),
    "set_param": (("name", "value"), ()),
}


@dataclass(frozen=True)
class ScenarioEvent:
    """One entry of the timeline: ``action`` at ``at`` seconds with its arguments."""

    at: float
    action: str
    arguments: Mapping[str, Any]


def parse_event(k: int, raw: Any, until: float) -> ScenarioEvent:
    """Check one ``[[events]]`` table on its own: action, fields, types and ranges."""
    path = f"events[{k}]"
    if not isinstance(raw, Mapping):
        raise fail(path, "must be a table with 'at' and 'action'")
    action = raw.get("action")
    if action is None:
        raise fail(f"{path}.action", f"missing (expected one of: {', '.join(ACTIONS)})")
    if not isinstance(action, str) or action not in EVENT_FIELDS:
        raise fail(
            f"{path}.action", f"unknown action {action!r} (expected one of: {', '.join(ACTIONS)})"
        )
    if "at" not in raw:
        raise fail(f"{path}.at", "missing (a time in seconds)")
    at = checked(check_number, f"{path}.at", raw["at"], low=0, high=until)
    required, optional = EVENT_FIELDS[action]
    arguments = {k2: v for k2, v in raw.items() if k2 not in ("at", "action")}
    for name in required:
        if name not in arguments:
            raise fail(
                f"{path}.{name}", f"missing (action '{action}' needs: {', '.join(required)})"
            )
    unknown = sorted(set(arguments) - set(required) - set(optional))
    if unknown:
        allowed = ", ".join(("at", "action", *required, *optional))
        raise fail(f"{path}.{unknown[0]}", f"unknown field for '{action}' (expected: {allowed})")
    if "node" in arguments and not isinstance(arguments["node"], str):
        raise fail(f"{path}.node", f"must be a node id string or '{LEADER}'")
    if "duration" in arguments:
        checked(check_number, f"{path}.duration", arguments["duration"], low=0, low_open=True)
    if "loss" in arguments:
        checked(check_number, f"{path}.loss", arguments["loss"], low=0, high=1)
    if action == "set_metric":
        checked(check_number, f"{path}.value", arguments["value"])
        if not isinstance(arguments["metric"], str):
            raise fail(f"{path}.metric", "must be a metric name")
    if action == "partition":
        _groups(path, arguments["groups"])
    if action == "cut":
        nodes = arguments["nodes"]
        if not (
            isinstance(nodes, list) and len(nodes) == 2 and all(isinstance(n, str) for n in nodes)
        ):
            raise fail(f"{path}.nodes", "must be a list of two node ids")
        if nodes[0] == nodes[1]:
            raise fail(
                f"{path}.nodes", f"a link joins two different nodes (got {nodes[0]!r} twice)"
            )
    if action == "set_latency":
        arguments["latency"] = checked(
            latency_from_mapping, arguments["latency"], field=f"{path}.latency"
        )
    if action == "set_weights" and not isinstance(arguments["weights"], Mapping):
        raise fail(f"{path}.weights", "must be a table of weights")
    if action == "set_param":
        checked(check_live_parameter, arguments["name"], field=f"{path}.name")
    return ScenarioEvent(float(at), action, arguments)


def _groups(path: str, groups: Any) -> None:
    ok = groups == "half" or (
        isinstance(groups, list)
        and all(isinstance(g, list) and all(isinstance(n, str) for n in g) for g in groups)
    )
    if not ok:
        raise fail(f"{path}.groups", "must be 'half' or a list of lists of node ids")
    if groups != "half":
        seen: set[str] = set()
        for node in (n for g in groups for n in g):
            if node in seen:
                raise fail(f"{path}.groups", f"node {node!r} is in more than one group")
            seen.add(node)


def check_timeline(events: tuple[ScenarioEvent, ...], config: ClusterConfig, until: float) -> None:
    """Walk the timeline in time order against the cluster it will act on.

    Every node an event names must exist by then (or be ``leader``), a join
    must bring a new id, metrics must be the score's, and weight and
    parameter changes must be ones the cluster would accept (a period short
    enough that the rest of the run would last over ``MAX_ROUNDS`` of it is not).
    """
    known = set(config.ids)
    score: ScoreFunction = config.score
    params = config.params
    for k, event in sorted(enumerate(events), key=lambda ke: ke[1].at):
        path = f"events[{k}]"
        arguments = event.arguments
        if event.action == "join":
            node = checked(validate_node_id, arguments["node"], field=f"{path}.node")
            if node in known or node == LEADER:
                raise fail(f"{path}.node", f"{node!r} already exists (join adds a new id)")
            checked(score.check_metrics, arguments.get("metrics", {}), field=f"{path}.metrics")
            known.add(node)
            continue
        for fieldname, node in _targets(event):
            if node != LEADER and node not in known:
                raise fail(
                    f"{path}.{fieldname}",
                    f"unknown node {node!r} (expected an id of cluster.ids, or '{LEADER}')",
                )
        if event.action == "set_metric":
            names = score.metric_names
            if names and arguments["metric"] not in names:
                raise fail(
                    f"{path}.metric",
                    f"unknown metric {arguments['metric']!r} (expected one of: {', '.join(names)})",
                )
        elif event.action == "set_weights":
            score = checked_under(path, score.with_weights, arguments["weights"])
        elif event.action == "set_param":
            try:
                params = params.replace(**{arguments["name"]: arguments["value"]})
            except ValueError as error:
                raise fail(f"{path}.value", str(error)) from None
            name = arguments["name"]
            if name in PERIODS and (until - event.at) > MAX_ROUNDS * getattr(params, name):
                raise fail(
                    f"{path}.value",
                    f"must be >= {(until - event.at) / MAX_ROUNDS:g} s: the {until - event.at:g} s "
                    f"left of the run last at most {MAX_ROUNDS} periods of {name} "
                    f"(got {arguments['value']!r})",
                )


def _targets(event: ScenarioEvent) -> list[tuple[str, str]]:
    """(field, node id) for every node an event names."""
    arguments = event.arguments
    names = [("node", arguments["node"])] if "node" in arguments else []
    if event.action == "cut":
        names += [("nodes", n) for n in arguments["nodes"]]
    if event.action == "partition" and arguments["groups"] != "half":
        names += [("groups", n) for g in arguments["groups"] for n in g]
    return names
