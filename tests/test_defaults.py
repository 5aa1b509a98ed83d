"""One set of defaults: every way of building a cluster gives the same parameters.

Before, scenario files without ``[detector]`` (and so sweeps, array-engine
scenarios and the dashboard), the agent CLI and the MQTT lesson ran a detector
with no acceptable pause, while ``ClusterConfig.create`` used Akka cluster's
3 s (issue 13, item 3).
"""

from pathlib import Path

import pytest

from emergent_lab.cli import parser
from emergent_lab.cli.mqtt import _params
from emergent_lab.detector import DetectorParams
from emergent_lab.mqtt.processes import AgentProcess
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.run import ClusterConfig
from emergent_lab.scenario import load_scenario, parse_scenario
from emergent_lab.scenario.array import build_array_cluster
from emergent_lab.sweep import plan

AKKA_CLUSTER = ProtocolParams(
    fanout=3,
    gossip_interval=1.0,
    heartbeat_interval=1.0,
    emergence_threshold=0.05,
    convergence_threshold=0.75,
    gc_after=30.0,
    detector=DetectorParams(
        kind="akka",
        threshold=8.0,
        max_sample_size=1000,
        min_std_deviation=0.1,
        acceptable_heartbeat_pause=3.0,
        first_heartbeat_estimate=None,
        max_interval=2.0,
    ),
)
"""The documented defaults (README: Akka cluster's settings), written out, not read from code."""
SEEDS = ("n0", "n1", "n2")


def scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plain.toml"
    path.write_text(text)
    return path


def test_the_python_api_uses_the_documented_defaults() -> None:
    config = ClusterConfig.create(10)
    assert config.params == AKKA_CLUSTER
    assert config.seeds == SEEDS


@pytest.mark.parametrize(
    "text",
    ["[cluster]\nnodes = 10\n", "[cluster]\nnodes = 10\n[detector]\nthreshold = 8.0\n"],
    ids=["no-detector-table", "threshold-only"],
)
def test_scenario_files_sweeps_and_the_array_engine_use_the_same_defaults(
    tmp_path: Path, text: str
) -> None:
    path = scenario_file(tmp_path, text)
    scenario = load_scenario(path)
    assert scenario.config.params == AKKA_CLUSTER
    assert scenario.config.seeds == SEEDS
    (run,) = plan(path, {"cluster.fanout": [3]}, 1)
    assert run.scenario().config.params == AKKA_CLUSTER
    array = parse_scenario({"cluster": {"nodes": 10, "engine": "array"}})
    assert build_array_cluster(array).params == AKKA_CLUSTER


def test_the_dashboard_and_its_reset_use_the_same_defaults(tmp_path: Path) -> None:
    pytest.importorskip("jupyter_bokeh")
    from emergent_lab.jupyter import Dashboard

    dashboard = Dashboard.from_scenario(scenario_file(tmp_path, "[cluster]\nnodes = 10\n"))
    assert dashboard.source.cluster.params == AKKA_CLUSTER  # type: ignore[attr-defined]
    dashboard.controls.nodes.value = 12
    dashboard.reset()
    assert dashboard.source.cluster.params == AKKA_CLUSTER  # type: ignore[attr-defined]


def agent_params(*argv: str) -> ProtocolParams:
    return _params(parser().parse_args(["agent", *argv]))


def test_the_agent_cli_uses_the_same_defaults_and_shows_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert agent_params("--id", "a") == AKKA_CLUSTER
    with pytest.raises(SystemExit):
        parser().parse_args(["agent", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for option, default in [
        ("--acceptable-pause", "3.0"),
        ("--phi-threshold", "8.0"),
        ("--min-std-deviation", "0.1"),
        ("--gc-after", "30.0"),
        ("--fanout", "3"),
    ]:
        assert option in shown and f"(default {default})" in shown


def test_the_mqtt_lesson_agents_run_what_its_watcher_assumes() -> None:
    agent = AgentProcess("n1", "mqtt://127.0.0.1:1883", "lesson", {"cpu_free": 0.5})
    argv = agent.command()[agent.command().index("agent") + 1 :]
    params = agent_params(*argv)
    pytest.importorskip("aiomqtt")
    from emergent_lab.mqtt.live import MqttCluster
    from emergent_lab.mqtt.settings import BrokerSettings

    watcher = MqttCluster(BrokerSettings.from_url("mqtt://127.0.0.1:1883"), "lesson")
    assert params == watcher.params
    # the defaults, with every time five times shorter
    assert params.detector.acceptable_heartbeat_pause == pytest.approx(0.6)
    assert params.detector.threshold == 8.0
    assert params.fanout == 3 and params.gc_after == 30.0
