"""Reports that tell what happened: skipped events, interrupted reconvergence, first convergence.

Issue 13, items 5 and 7: a skipped event read as applied ("reconverged after
0.30 s"), a reconvergence was cut short at the next event, and the first
convergence could be counted while the members did not know each other yet.
"""

import json
from pathlib import Path

import pytest

from emergent_lab.array import ArrayCluster
from emergent_lab.cli import main
from emergent_lab.exact import SimCluster
from emergent_lab.run import ClusterConfig, build_report


def test_a_skipped_event_says_so_in_the_summary_and_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "twice.toml"
    path.write_text(
        "[cluster]\nnodes = 4\n[run]\nuntil = 20\n"
        '[[events]]\nat = 5\naction = "crash"\nnode = "n1"\n'
        '[[events]]\nat = 6\naction = "crash"\nnode = "n1"\n'
    )
    out = tmp_path / "r.json"
    assert main(["run", str(path), "--json", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "crash node=n1: skipped: node: 'n1' is not running" in summary
    first, second = json.loads(out.read_text())["events"]
    assert first["skipped"] is None and first["reconverged_after_s"] is not None
    assert second["skipped"] == "node: 'n1' is not running"
    assert second["reconverged_after_s"] is None and second["leader_after"] is None


def test_the_array_engine_reports_skipped_events_too() -> None:
    cluster = ArrayCluster(ClusterConfig.create(6, seed=1))
    cluster.at(5.0, "crash", node="n1")
    cluster.at(6.0, "crash", node="n1")
    cluster.run(20.0)
    first, second = build_report(cluster).events
    assert first.skipped is None and second.skipped == "node: 'n1' is not running"
    assert second.reconverged_after_s is None


def test_a_reconvergence_interrupted_by_a_later_event_is_measured_and_says_so() -> None:
    cluster = SimCluster(ClusterConfig.create(10, seed=1))
    cluster.at(20.0, "crash", node="leader")
    cluster.at(21.0, "set_loss", loss=0.0)  # changes nothing, but comes before failover ends
    cluster.run(60.0)
    crash, later = build_report(cluster).events
    assert crash.interrupted_by_s == [21.0]
    assert crash.reconverged_after_s is not None and crash.reconverged_after_s > 1.0
    assert later.interrupted_by_s == []
    assert "(interrupted by the event(s) at 21 s)" in build_report(cluster).summary()


def test_the_first_convergence_waits_until_the_members_know_each_other() -> None:
    # Two of three nodes agreed on a leader before hearing of the third; the
    # change when they did was counted as a leader change with no fault.
    cluster = SimCluster(ClusterConfig.create(3, seed=5, fanout=1, convergence_threshold=0.5))
    cluster.run(60.0)
    report = build_report(cluster)
    assert report.initial_convergence_s is not None
    assert report.leader_changes == 0
