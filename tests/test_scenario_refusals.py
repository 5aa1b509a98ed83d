"""Every bad scenario is refused before anything runs: exit 2, one line naming the field.

The cases are the audit's (issue 13, item 4): each one either ended in a
traceback, ran (part of) a scenario, or failed without naming the field.
"""

from pathlib import Path

import pytest

from emergent_lab.cli import main

BAD = [
    ("[cluster]\nids = 5\n", "cluster.ids: must be a non-empty list"),
    ('[cluster]\nids = "abc"\n', "cluster.ids: must be a non-empty list"),
    ('[[events]]\nat = 1\naction = ["crash"]\nnode = "n1"\n', "events[0].action: unknown action"),
    ("[cluster]\nseeds = 3.5\n", "cluster.seeds: must be an integer >= 1 or a list of ids"),
    ("[network]\nlatency = 5\n", "network.latency: must be a table"),
    ('[network]\nlatency = "abc"\n', "network.latency: must be a table"),
    ('[network]\nlatency = { model = ["x"] }\n', "network.latency.model: unknown model"),
    (
        '[network]\nlatency = { model = "lognormal", median = "x" }\n',
        "network.latency.median: must be a finite number",
    ),
    (
        '[network]\ngraph = { model = "topology", name = 5 }\n',
        "network.graph.name: must be a topology name",
    ),
    (
        '[[events]]\nat = 5\naction = "join"\nnode = "z"\nmetrics = "x"\n',
        "events[0].metrics: must be a table",
    ),
    (
        '[[events]]\nat = 5\naction = "join"\nnode = "z"\nmetrics = { cpu_free = "x" }\n',
        "events[0].metrics.cpu_free: must be a finite number",
    ),
    (
        '[[events]]\nat = 5\naction = "set_param"\nname = "fanouts"\nvalue = 2\n',
        "events[0].name: unknown parameter 'fanouts'",
    ),
    (
        '[[events]]\nat = 5\naction = "set_param"\nname = "fanout"\nvalue = "x"\n',
        "events[0].value: cluster.fanout: must be an integer >= 1",
    ),
    (
        '[[events]]\nat = 5\naction = "set_param"\nname = "detector.kind"\nvalue = "cassandra"\n',
        "events[0].name: 'detector.kind' cannot change on a running cluster",
    ),
    (
        '[[events]]\nat = 5\naction = "set_weights"\nweights = { nope = 1.0 }\n',
        "events[0].weights.nope: unknown metric",
    ),
    ('[[events]]\nat = 5\naction = "join"\nnode = "n3"\n', "events[0].node: 'n3' already exists"),
    (
        '[[events]]\nat = 5\naction = "partition"\ngroups = [["n0"], ["n0"]]\n',
        "events[0].groups: node 'n0' is in more than one group",
    ),
    (
        '[[events]]\nat = 5\naction = "cut"\nnodes = ["n0", "n0"]\n',
        "events[0].nodes: a link joins two different nodes",
    ),
    (
        '[[events]]\nat = 5\naction = "set_metric"\nnode = "n1"\nmetric = "cpu"\nvalue = 0.5\n',
        "events[0].metric: unknown metric 'cpu'",
    ),
    ("[score]\nnoise_interval = 2.0\n", "score.noise_interval: needs score.noise"),
    ("[score]\nnodes.n1 = { cpu = 0.5 }\n", "score.nodes.n1.cpu: unknown metric"),
    ('[score]\nbase = { cpu_free = "x" }\n', "score.base.cpu_free: must be a finite number"),
    ("[score]\nweights = { cpu_free = -1 }\n", "score.weights.cpu_free"),
    ("name = 5\n", "name: must be a string"),
    # Ints beyond a double's range (TOML reads any length) raised OverflowError: a traceback.
    ("[cluster]\nseed = 1" + "0" * 400 + "\n", "cluster.seed: must be an integer >= 0"),
    ("[detector]\nthreshold = 1" + "0" * 400 + "\n", "detector.threshold: must be a finite"),
    ("[score]\nnodes.n1 = { cpu_free = 1" + "0" * 400 + " }\n", "score.nodes.n1.cpu_free: must"),
    (
        '[network]\nlatency = { model = "constant", delay = 1' + "0" * 400 + " }\n",
        "network.latency.delay: must be a finite number",
    ),
    # A log-normal draw overflowed to an infinite delay mid-run ("delay: must be finite").
    (
        '[network]\nlatency = { model = "lognormal", median = 0.02, sigma = 1e30 }\n',
        "network.latency.sigma: must be a finite number >= 0 and <= 10 (got 1e+30)",
    ),
    (
        '[network]\nlatency = { model = "lognormal", median = 1e300, sigma = 0.5 }\n',
        "network.latency.median: must be a finite number > 0 and <= 1e+06",
    ),
    # Runs that would never end (hours of events per virtual second, or 1e30 seconds).
    ("[run]\nuntil = 1e30\n", "run.until: must be <= 100000 s"),
    ("[cluster]\nheartbeat_interval = 1e-9\n", "cluster.heartbeat_interval: must be >= 0.0006 s"),
    ("[cluster]\ngossip_interval = 1e-9\n", "cluster.gossip_interval: must be >= 0.0006 s"),
    ("[score]\nnoise = 0.1\nnoise_interval = 1e-9\n", "score.noise_interval: must be >= 0.0006"),
    (
        '[[events]]\nat = 10\naction = "set_param"\nname = "gossip_interval"\nvalue = 1e-9\n',
        "events[0].value: must be >= 0.0005 s",
    ),
    # No seed: nobody ever gossips, a silent run.
    ("[cluster]\nseeds = []\n", "cluster.seeds: must be an integer >= 1 or a non-empty list"),
    ("", "empty scenario"),
    ("# only a comment\n", "empty scenario"),
]


def refusal(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI on ``path``; require exit 2, nothing on stdout, one error line."""
    assert main(["run", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_scenario_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert message in refusal(path, capsys)


def test_a_binary_file_is_refused_as_not_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "garbage.toml"
    path.write_bytes(bytes(range(256)))
    assert "garbage: not a text file" in refusal(path, capsys)
