"""The domain scenarios and the CPU-trace replay option lessons 04 and 05 run on."""

import copy
import re

import networkx as nx
import numpy as np
import pytest

from emergent_lab.analysis import run_variant
from emergent_lab.datasets import load_cpu_traces, load_latency
from emergent_lab.scenario import ScenarioError, builtin_names, load_scenario, parse_scenario

NEW = ["iot-mesh", "microservice-mesh", "cdn-edge", "p2p-churn", "cpu-traces"]


def test_domain_scenarios_are_built_in():
    assert set(NEW) <= set(builtin_names())


def test_iot_mesh_is_a_lossy_radio_graph_and_a_drained_leader_hands_over():
    scenario = load_scenario("iot-mesh")
    graph = scenario.config.graph
    assert graph is not None and nx.is_connected(graph)
    assert graph.number_of_edges() < 30 * 29 / 2  # radio range, not a full mesh
    assert scenario.config.loss == 0.1 and scenario.config.score.name == "battery-aware"
    _, report = run_variant("iot-mesh")
    drained, crash = report.events
    assert drained.action == "set_metric" and drained.leader_after != drained.resolved[0]
    assert crash.action == "crash" and crash.leader_after not in (None, crash.resolved[0])


def test_microservice_mesh_moves_leadership_off_a_loaded_leader():
    _, report = run_variant("microservice-mesh")
    spike = report.events[0]
    assert spike.action == "set_metric" and spike.leader_after != spike.resolved[0]
    assert report.converged and report.final_leader_is_best


def test_cdn_edge_rtt_metric_is_each_nodes_median_measured_rtt():
    scenario = load_scenario("cdn-edge")
    rtt = load_latency("seattle", slice=1).rtt_s[:20, :20]
    for i, metrics in enumerate(scenario.config.metrics):
        both_ways = [(rtt[i, j] + rtt[j, i]) / 2 for j in range(20) if j != i]
        assert metrics["rtt"] == pytest.approx(float(np.median(both_ways)))
    _, report = run_variant("cdn-edge")
    assert report.converged and report.events[0].reconverged_after_s is not None


def test_p2p_churn_crashes_restarts_and_joins_and_still_converges():
    scenario = load_scenario("p2p-churn")
    actions = [e.action for e in scenario.events]
    assert actions.count("crash") >= 25 and actions.count("restart") >= 25
    assert actions.count("join") == 9
    _, report = run_variant("p2p-churn")
    assert report.converged and report.split_leadership_s < 1.0


def test_cpu_traces_replay_real_load_into_the_cpu_metric():
    scenario = load_scenario("cpu-traces")
    assert scenario.traces is not None and scenario.traces.compress == 2016.0
    changes = {"run.until": 100.0}
    cluster, _ = run_variant("cpu-traces", changes=changes)
    traces = list(load_cpu_traces().values())
    for k, node_id in enumerate(cluster.config.ids):
        expected = traces[k % len(traces)].compressed(2016.0).at(100.0)
        assert cluster.metrics[node_id]["cpu"] == expected


def _with_traces(traces):
    data = copy.deepcopy(dict(load_scenario("cpu-traces").source))
    data["score"]["traces"] = traces
    return data


@pytest.mark.parametrize(
    ("traces", "message"),
    [
        ({"dataset": "nab", "speed": 2}, "score.traces.speed: unknown key"),
        ({"dataset": "aws"}, "score.traces.dataset: unknown dataset 'aws'"),
        ({"compress": 0}, "score.traces.compress: must be a finite number > 0"),
        ({"metric": "battery"}, "score.traces.metric: 'battery' is not a metric"),
        ({"names": ["ec2_nope"]}, "score.traces.names"),
        ("nab", "score.traces: must be a table"),
    ],
)
def test_bad_trace_options_name_the_field(traces, message):
    with pytest.raises(ScenarioError, match=re.escape(message)):
        parse_scenario(_with_traces(traces))


def test_rtt_from_latency_needs_a_matrix_latency():
    data = copy.deepcopy(dict(load_scenario("cdn-edge").source))
    data["network"]["latency"] = {"model": "constant", "delay": 0.01}
    with pytest.raises(ScenarioError, match=r"score\.rtt_from_latency: needs"):
        parse_scenario(data)


def test_trace_replay_is_deterministic():
    changes = {"run.until": 60.0}
    a = run_variant("cpu-traces", changes=changes)[1]
    b = run_variant("cpu-traces", changes=changes)[1]
    assert a.event_log_sha256 == b.event_log_sha256 and a.to_dict() == b.to_dict()
