"""Causality on demand: the record, the explanations in words, and the exports.

The leader-crash chain checked here was worked out by hand from the run's
JSON-lines log (``emergent-lab explain leader-crash --jsonl run.jsonl``,
seed 1), reading these lines:

- action: crash of the leader at 30.0 s, resolved to n3;
- timer -1342, n12's gossip tick at 33.7248 s: n12 ``suspected`` n3 (phi
  11.944, deadline 33.408, last heartbeat arrival 29.7645) and ``decided``
  opinion n13 (previous n3);
- n12's newest state of n13 before that: ``learned`` at 33.0068 s from
  message 5723, generation 1, version 35, heartbeat 32, score 0.78769;
- message 5723: ``ack2`` from n17 to n12, sent at 32.9726 s; n17 had taken
  that same version (35) at 32.62 s from message 5671.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import pytest

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.cli import main
from emergent_lab.exact.explain import Explainer
from emergent_lab.exact.exports import SHIVIZ_REGEX, jsonl_lines, shiviz_lines
from emergent_lab.scenario import ScenarioError, load_scenario, parse_scenario
from emergent_lab.scenario.runner import build_cluster


def _run(name: str, *, causality: bool) -> SimCluster:
    scenario = load_scenario(name)
    config = dataclasses.replace(scenario.config, causality=causality)
    cluster = build_cluster(dataclasses.replace(scenario, config=config))
    cluster.run(scenario.until)
    return cluster


@pytest.fixture(scope="module")
def crash() -> SimCluster:
    return _run("leader-crash", causality=True)


@pytest.mark.parametrize("name", ["leader-crash", "gc-pause"])
def test_recording_causes_changes_nothing_in_the_run(name: str, crash: SimCluster) -> None:
    """Same event-log digest with causality on: it draws no number, schedules nothing new."""
    off = _run(name, causality=False)
    on = crash if name == "leader-crash" else _run(name, causality=True)
    assert off.causality is None
    assert on.log.hexdigest() == off.log.hexdigest()
    assert on.network.messages_sent == off.network.messages_sent


def test_every_message_and_change_has_its_cause(crash: SimCluster) -> None:
    recorder = crash.causality
    assert recorder is not None
    assert recorder.message_count == crash.network.messages_sent
    delivered = sum(m.fate == "delivered" for m in recorder.messages())
    assert delivered == crash.network.messages_delivered
    # A reply is sent while its request is handled: every ACK's cause is a SYN to its sender.
    for m in recorder.messages()[:500]:
        if m.kind == "ack":
            cause = recorder.message(m.cause)
            assert (cause.kind, cause.dst, cause.src) == ("syn", m.src, m.dst)
        if m.kind == "syn":
            assert m.cause < 0 and recorder.timer(m.cause).name == "gossip"
    # Decisions agree with the observer, which keeps its own record of every node.
    n12 = crash.ids.index["n12"]
    decided = [c for c in recorder.changes if c.kind == "decided" and c.node == n12]
    observed = crash.observer.nodes[n12][1:]
    assert [(c.time, c.opinion) for c in decided] == [(r.time, r.opinion) for r in observed]


def test_explanation_of_a_follower_matches_the_chain_worked_out_by_hand(
    crash: SimCluster,
) -> None:
    text = crash.explain("n12", at=45.0)
    assert text.startswith("n12 follows n13 since 33.72 s (decided at its gossip tick)")
    assert (
        "n13's state (score 0.79, generation 1, heartbeat 32) reached n12 "
        "in an ACK2 #5723 from n17 at 33.01 s" in text
    )
    assert "n12's previous leader n3 was suspected at 33.72 s (phi 11.9 ≥ 8;" in text
    assert "last heartbeat from n3 learned at 29.76 s; n3 had crashed at 30.00 s" in text
    # The way n13's state travelled ends with the hop from n17 (which had it at 32.62 s).
    assert "→ n17 → n12)" in text
    assert crash.params.detector.threshold == 8.0 and 11.9 >= 8.0
    assert "n12 recognises n13 as leader (since 35.79 s)" in text


def test_who_suspected_the_crashed_leader_first(crash: SimCluster) -> None:
    text = crash.explain_suspicion("n3")
    assert text.startswith("n3 crashed at 30.00 s. n7 suspected n3 first, at 33.45 s (phi ")
    others = re.findall(r"(n\d+) at (\d+\.\d+) s", text.split("Then ", 1)[1])
    assert len(others) == 18  # every other survivor
    times = [float(t) for _, t in others]
    assert times == sorted(times) and times[0] >= 33.45


def test_explain_without_causality_says_how_to_switch_it_on() -> None:
    cluster = SimCluster(ClusterConfig.create(4, seed=1))
    cluster.run(3.0)
    with pytest.raises(ValueError, match=r"causality: .*causality=True"):
        cluster.explain("n1")


def test_scenario_field_is_validated() -> None:
    base = {"cluster": {"nodes": 4}, "run": {"until": 5}}
    assert parse_scenario({**base, "run": {"until": 5, "causality": True}}).config.causality
    with pytest.raises(ScenarioError, match=r"run.causality: must be true or false"):
        parse_scenario({**base, "run": {"until": 5, "causality": "yes"}})
    array = {"cluster": {"nodes": 4, "engine": "array"}, "run": {"until": 5, "causality": True}}
    with pytest.raises(ScenarioError, match=r"run.causality: only the exact engine"):
        parse_scenario(array)


def _small() -> SimCluster:
    cluster = SimCluster(ClusterConfig.create(6, seed=3, causality=True))
    cluster.at(8.0, "crash", node="leader")
    cluster.run(16.0)
    return cluster


def test_exports_are_deterministic_bytes() -> None:
    a, b = _small(), _small()
    assert list(jsonl_lines(a)) == list(jsonl_lines(b))
    assert list(shiviz_lines(a)) == list(shiviz_lines(b))
    header = json.loads(next(jsonl_lines(a)))
    assert header["actions"][0]["action"] == "crash" and header["seed"] == 3


def test_a_fork_records_on_by_itself_like_a_fresh_run() -> None:
    """A fork shares the record so far (nothing is deep-copied) but goes on alone.

    Its record is then byte for byte the record of a fresh run to the same
    time, and the original's record is untouched by what the fork did.
    """
    original = SimCluster(ClusterConfig.create(6, seed=3, causality=True))
    original.at(8.0, "crash", node="leader")
    original.run(6.0)
    kept = list(jsonl_lines(original))
    twin = original.fork()
    twin.run(16.0)
    assert list(jsonl_lines(twin)) == list(jsonl_lines(_small()))
    assert list(jsonl_lines(original)) == kept
    assert twin.causality is not None and original.causality is not None
    assert twin.causality.message_count > original.causality.message_count
    explainer_text = Explainer(twin).explain("n1", at=15.0)
    assert explainer_text == Explainer(_small()).explain("n1", at=15.0)


def test_shiviz_log_parses_with_its_regex_and_clocks_are_consistent() -> None:
    lines = list(shiviz_lines(_small()))
    assert lines[0] == SHIVIZ_REGEX and lines[1] == ""
    body = "\n".join(lines[2:]) + "\n"
    pattern = re.compile(SHIVIZ_REGEX.replace("(?<", "(?P<"))
    events = [m.groupdict() for m in pattern.finditer(body)]
    assert len(events) == (len(lines) - 2) // 2 > 100
    clocks: dict[str, dict[str, int]] = {}
    at_send: dict[str, dict[str, int]] = {}
    receives = 0
    for event in events:
        host, clock = event["host"], json.loads(event["clock"])
        before = clocks.get(host, {})
        assert clock[host] == before.get(host, 0) + 1  # each event ticks its own entry
        sent = re.match(r"(send|receive) \w+ (#\d+)", event["event"])
        expected = dict(before)
        if sent and sent[1] == "receive" and sent[2] in at_send:
            receives += 1
            for other, count in at_send[sent[2]].items():  # element-wise maximum
                expected[other] = max(expected.get(other, 0), count)
        expected[host] = before.get(host, 0) + 1
        assert clock == expected
        if sent and sent[1] == "send":
            at_send[sent[2]] = clock
        clocks[host] = clock
    assert receives > 50


def test_cli_refuses_bad_input_before_running(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "leader-crash", "--node", "n99"]) == 2
    assert capsys.readouterr().err.startswith("error: --node: no node 'n99' in this scenario")
    assert main(["explain", "leader-crash", "--node", "n7", "--at", "99"]) == 2
    assert capsys.readouterr().err.startswith("error: --at: must be a finite number >= 0")
    assert main(["explain", "leader-crash"]) == 2
    assert "--node: say which node" in capsys.readouterr().err


def test_cli_gives_the_same_text_in_a_fresh_process(crash: SimCluster) -> None:
    """Same seed, same words: a new process explains the run exactly as this one does."""
    command = [sys.executable, "-m", "emergent_lab.cli", "explain", "leader-crash"]
    out = subprocess.run(
        [*command, "--node", "n12", "--at", "45", "--suspicion", "n3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out == crash.explain("n12", at=45.0) + "\n" + crash.explain_suspicion("n3") + "\n"


def test_sequence_data_for_chosen_lanes_is_the_whole_window_filtered(crash: SimCluster) -> None:
    """A large cluster's panel asks only for its lanes' messages and marks: the same rows.

    The expected rows are the unfiltered window's, filtered here by who sent,
    received or changed; labels (what each message taught) must not change.
    """
    from emergent_lab.exact.lamport import sequence_data

    lanes = ["n3", "n7", "n13"]
    whole = sequence_data(crash, start=28.0, end=40.0)
    some = sequence_data(crash, start=28.0, end=40.0, nodes=lanes)
    a = whole.arrows
    rows = [k for k in range(len(a.id)) if a.src[k] in lanes or a.dst[k] in lanes]
    assert 0 < len(rows) < len(a.id)
    assert some.arrows.id == [a.id[k] for k in rows]
    assert some.arrows.label == [a.label[k] for k in rows]
    assert some.arrows.folded == [a.folded[k] for k in rows]
    m = whole.marks
    marks = [k for k in range(len(m.node)) if m.node[k] in lanes]
    assert 0 < len(marks) < len(m.node)
    assert some.marks.text == [m.text[k] for k in marks]
    assert some.marks.past == [m.past[k] for k in marks]
