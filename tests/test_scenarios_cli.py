"""Scenario files and the CLI: reports, determinism, and one-line errors for bad input."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emergent_lab.cli import main
from emergent_lab.scenario import builtin_names, load_scenario, run_scenario

BUILTINS = [
    "leader-crash",
    "partition-heal",
    "flapping-scores",
    "gc-pause",
    "join-wave",
    "lossy-network",
]


def test_builtin_scenarios_are_listed(capsys):
    assert set(BUILTINS) <= set(builtin_names())
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in BUILTINS:
        assert name in out


@pytest.mark.parametrize("name", BUILTINS)
def test_same_seed_same_event_log_other_seed_other(name):
    a = run_scenario(load_scenario(name))[1]
    b = run_scenario(load_scenario(name))[1]
    c = run_scenario(load_scenario(name, seed=12345))[1]
    assert a.event_log_sha256 == b.event_log_sha256
    assert a.to_dict() == b.to_dict()
    assert c.event_log_sha256 != a.event_log_sha256


def test_run_writes_the_json_report(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "leader-crash", "--seed", "7", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    for key in [
        "scenario",
        "seed",
        "nodes",
        "duration_s",
        "final_leader",
        "converged",
        "leader_changes",
        "split_leadership_s",
        "max_simultaneous_leaders",
        "false_suspicions",
        "messages",
        "bytes",
        "bytes_per_node_per_s",
        "events",
        "event_log_sha256",
    ]:
        assert key in data
    assert data["seed"] == 7 and data["nodes"] == 20 and data["duration_s"] == 60
    event = data["events"][0]
    assert (
        event["at_s"] == 30 and event["action"] == "crash" and event["target"] == {"node": "leader"}
    )
    assert event["reconverged_after_s"] > 0
    assert event["leader_after"] == data["final_leader"]
    assert data["bytes_per_node_per_s"] == pytest.approx(data["bytes"] / 20 / 60, rel=1e-3)
    assert "reconverged after" in capsys.readouterr().out


BAD = [
    (
        '[[events]]\nat = 1\naction = "crsh"\nnode = "n1"\n',
        "events[0].action: unknown action 'crsh' (expected one of: crash, restart",
    ),
    ("[cluster]\nnodes = 0\n", "cluster.nodes: must be an integer >= 1"),
    ('[cluster]\nfanout = "three"\n', "cluster.fanout: must be an integer >= 1"),
    ("[cluster]\nnodess = 3\n", "cluster.nodess: unknown key (expected one of: nodes"),
    ("[detector]\nthreshold = -1\n", "detector.threshold"),
    (
        "[leader]\nemergence_threshold = 2\n",
        "leader.emergence_threshold: must be a finite number >= 0 and <= 1",
    ),
    ("[score]\nweights = { cpu_free = -1 }\n", "weights.cpu_free"),
    ('[score]\npreset = "nope"\n', "nope"),
    ("[network]\nloss = 1.5\n", "network.loss"),
    ('[network]\nlatency = { model = "warp" }\n', "network.latency.model: unknown model 'warp'"),
    (
        '[run]\nuntil = 10\n[[events]]\nat = 20\naction = "heal"\n',
        "events[0].at: must be a finite number >= 0 and <= 10",
    ),
    ('[[events]]\nat = 1\naction = "pause"\nnode = "n1"\n', "events[0].duration: missing"),
    ('[[events]]\nat = 1\naction = "crash"\nnode = "n99"\n', "events[0].node: unknown node 'n99'"),
    (
        '[[events]]\nat = 1\naction = "crash"\nnode = "n1"\nnodes = 3\n',
        "events[0].nodes: unknown field for 'crash'",
    ),
    ("[bogus]\n", "bogus: unknown section"),
    ("[cluster\n", "invalid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_scenario_exits_2_with_one_line_naming_the_field(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "emergent_lab.cli", "run", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]


def test_unknown_scenario_name_lists_builtins(capsys):
    assert main(["run", "no-such-thing"]) == 2
    err = capsys.readouterr().err
    assert "leader-crash" in err


def test_leader_target_resolves_at_event_time():
    _, report = run_scenario(load_scenario("leader-crash"))
    crash = report.events[0]
    assert crash.resolved and crash.resolved[0] != report.final_leader
    assert report.final_leader_is_best


def test_a_scheduled_event_that_cannot_apply_is_reported_not_raised(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        "[cluster]\nnodes = 4\n[run]\nuntil = 20\n"
        '[[events]]\nat = 5\naction = "crash"\nnode = "n1"\n'
        '[[events]]\nat = 6\naction = "crash"\nnode = "n1"\n'
    )
    _, report = run_scenario(load_scenario(path))
    assert report.converged
    assert [e.action for e in report.events] == ["crash", "crash"]


def _output_path_cases(tmp_path):
    folder = tmp_path / "existing-folder"
    folder.mkdir()
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("")
    return [
        (str(tmp_path / "x" / "y" / "out"), f"folder '{tmp_path / 'x' / 'y'}' does not exist"),
        (str(folder), f"'{folder}' is a folder, expected a file path"),
        (str(a_file / "out"), f"'{a_file}' is not a folder"),
        ("/proc/emergent-lab-out", "cannot write '/proc/emergent-lab-out'"),
    ]


@pytest.mark.parametrize("case", range(4))
@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["run", "leader-crash"], "--json"),
        (["run", "leader-crash"], "--html"),
        (["sweep", "leader-crash", "--param", "cluster.fanout=1,2", "--quiet"], "--csv"),
    ],
)
def test_a_bad_output_path_exits_2_before_anything_runs(tmp_path, capsys, command, option, case):
    path, problem = _output_path_cases(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main([*command, option, path]) == 2
    out, err = capsys.readouterr()
    assert out == "", "the run started before its output path was checked"
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {option}: {problem}")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "the check left a file behind"


def test_html_of_an_array_engine_run_is_refused_before_the_run(tmp_path, capsys):
    scenario = tmp_path / "array.toml"
    scenario.write_text('[cluster]\nnodes = 50\nengine = "array"\n[run]\nuntil = 20\n')
    assert main(["run", str(scenario), "--html", str(tmp_path / "run.html")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: --html: only the simulated engine")
    assert not (tmp_path / "run.html").exists()


def test_python_dash_m_emergent_lab_is_the_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "emergent_lab", "scenarios"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "leader-crash" in proc.stdout


def test_a_pause_longer_than_time_itself_runs_to_the_end(tmp_path: Path) -> None:
    """A 1e308 s pause put the wake-up past the scheduler's last bucket: OverflowError mid-run."""
    path = tmp_path / "s.toml"
    path.write_text(
        "[cluster]\nnodes = 5\n[run]\nuntil = 20\n"
        '[[events]]\nat = 2\naction = "pause"\nnode = "n1"\nduration = 1e308\n'
    )
    cluster, report = run_scenario(load_scenario(path))
    assert cluster.time == 20
    assert report.events[0].skipped is None
    assert [e.action for e in report.events] == ["pause"]
    assert report.converged and report.final_leader != "n1"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[events]]\nat = 5\naction = "pause"\nnode = "n1"\nduration = 1\n', "events[0].action"),
        ("[score]\nnoise = 0.1\n", "score.noise"),
        ('[network]\ngraph = { model = "complete" }\n', "network.graph"),
    ],
)
def test_what_the_array_engine_cannot_run_is_refused_when_loaded(
    tmp_path: Path, extra: str, message: str
) -> None:
    """It was refused only when the cluster was built: a sweep started its workers first."""
    path = tmp_path / "s.toml"
    path.write_text('[cluster]\nnodes = 4\nengine = "array"\n' + extra)
    with pytest.raises(ValueError, match=re.escape(message) + ".* not supported by the array"):
        load_scenario(path)


def test_a_file_saved_with_a_byte_order_mark_runs(tmp_path: Path) -> None:
    """Notepad saves UTF-8 with a BOM; it was refused as invalid TOML at line 1, column 1."""
    path = tmp_path / "s.toml"
    path.write_bytes(b"\xef\xbb\xbf[cluster]\nnodes = 3\n[run]\nuntil = 5\n")
    assert load_scenario(path).config.ids == ("n0", "n1", "n2")
