"""The emergent protocol with SWIM/Lifeguard as its detector (``[detector] kind = "swim"``)."""

from __future__ import annotations

import pytest

from emergent_lab.detector.lifeguard import SwimParams
from emergent_lab.protocol.swim_node import SwimNode
from emergent_lab.scenario import ScenarioError
from emergent_lab.scenario.runner import run_scenario
from emergent_lab.scenario.schema import load_scenario, parse_scenario


def crash_scenario(detector: dict[str, object]) -> dict[str, object]:
    return {
        "cluster": {"nodes": 8, "seed": 2},
        "detector": detector,
        "run": {"until": 50},
        "events": [{"at": 15, "action": "crash", "node": "leader"}],
    }


def test_kind_swim_runs_swim_nodes_and_fails_over_to_the_best() -> None:
    scenario = parse_scenario(crash_scenario({"kind": "swim", "lifeguard": False}))
    assert scenario.config.swim == SwimParams(lifeguard=False)
    cluster, report = run_scenario(scenario)
    assert all(isinstance(node, SwimNode) for node in cluster.nodes.values())
    event = report.events[0]
    assert event.leader_is_best and event.detected_by == 7
    # Plain SWIM at n = 8: a failed probe (>= 1 interval after the crash at most
    # one probe period in) then the fixed 4 s suspicion: never under 4 s.
    assert event.detection_mean_s is not None and event.detection_mean_s >= 4.0
    assert report.false_suspicions == 0


def test_a_restarted_node_is_taken_back_under_swim() -> None:
    data = crash_scenario({"kind": "swim"})
    data["events"] = [
        {"at": 10, "action": "crash", "node": "n3"},
        {"at": 35, "action": "restart", "node": "n3"},
    ]
    cluster, _ = run_scenario(parse_scenario(data))
    assert all("n3" in cluster.node(i).alive_peers() for i in cluster.up_ids())


@pytest.mark.parametrize(
    ("detector", "message"),
    [
        ({"kind": "phi"}, r"^detector.kind: must be one of 'akka', 'cassandra', 'swim'"),
        ({"probe_interval": 2.0}, r"^detector.probe_interval: is a SWIM setting"),
        ({"kind": "swim", "threshold": 8}, r"^detector.threshold: is a phi setting"),
        ({"kind": "swim", "probe_timeout": 3}, r"^detector.probe_timeout: must be <="),
    ],
)
def test_bad_swim_settings_name_the_field(detector: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(crash_scenario(detector))


def test_swim_is_refused_on_the_array_engine() -> None:
    data = crash_scenario({"kind": "swim"})
    data["cluster"] = {"nodes": 5, "engine": "array"}
    with pytest.raises(ScenarioError, match=r"^detector.kind: 'swim' runs on the exact engine"):
        parse_scenario(data)


def test_swim_is_refused_for_the_baseline_protocols() -> None:
    data = crash_scenario({"kind": "swim"})
    data["cluster"] = {"nodes": 5, "protocol": "raft"}
    with pytest.raises(ScenarioError, match=r"^detector.kind: 'swim' is a detector of the"):
        parse_scenario(data)


def test_slow_nodes_scenario_uses_swim_with_lifeguard() -> None:
    scenario = load_scenario("slow-nodes")
    assert scenario.config.swim == SwimParams()
