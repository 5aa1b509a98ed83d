"""Lesson 05's membership measurements: windows that change nothing, events grouped by kind."""

from __future__ import annotations

import pytest

from emergent_lab.analysis.membership import (
    event_kind,
    leader_moves,
    leader_sequence,
    membership_rows,
    reconvergence_points,
    windowed_run,
)
from emergent_lab.analysis.variants import run_variant


@pytest.fixture(scope="module")
def join_wave():
    return windowed_run("join-wave", windows=[(10.0, 20.0), (70.0, 80.0)])


def test_stopping_at_the_windows_changes_nothing_in_the_run(join_wave):
    _, report, _ = join_wave
    _, plain = run_variant("join-wave")
    assert report.event_log_sha256 == plain.event_log_sha256


def test_the_windows_count_the_bytes_sent_inside_them_per_up_node(join_wave):
    cluster, _, (before, after) = join_wave
    assert (before["nodes up (mean)"], after["nodes up (mean)"]) == (10.0, 20.0)
    # The two windows hold a fifth of the run's 80 s; their bytes are part of the total.
    sent = before["B/node/s"] * 10 * 10 + after["B/node/s"] * 10 * 20
    assert 0 < sent < cluster.counters().bytes
    # Every digest lists every member: twice the members, more bytes per member.
    assert after["B/node/s"] > 1.5 * before["B/node/s"]


def test_a_window_outside_the_run_or_overlapping_is_refused_before_running():
    with pytest.raises(ValueError, match=r"windows: \(70.0, 90.0\).*80"):
        windowed_run("join-wave", windows=[(70.0, 90.0)])
    with pytest.raises(ValueError, match="overlap"):
        windowed_run("join-wave", windows=[(10.0, 30.0), (20.0, 40.0)])


def test_join_wave_rows_count_every_join_and_its_reconvergence(join_wave):
    _, report, _ = join_wave
    (row,) = membership_rows({"join-wave": (None, report)})  # type: ignore[dict-item]
    joins = [e for e in report.events if e.action == "join"]
    assert row["event"] == "join" and row["applied"] == len(joins) == 10
    assert row["interrupted"] == sum(1 for e in joins if e.interrupted_by_s)
    assert row["max s"] == max(e.reconverged_after_s for e in joins)
    times, seconds = reconvergence_points(report)["join"]
    assert times == [e.at_s for e in joins] and max(seconds) == row["max s"]


def test_the_leaders_in_turn_end_on_the_strongest_newcomer(join_wave):
    _, report, _ = join_wave
    leaders = leader_sequence(report)
    assert leaders[-1] == "n19" == report.final_leader
    assert len(set(leaders)) == len(leaders)


def test_leader_moves_name_the_events_at_their_time_and_skip_the_starting_leader():
    _, report = run_variant("p2p-churn")
    moves = leader_moves(report)
    assert moves, "p2p-churn's leader moves at least at its leader crashes"
    kinds = {event_kind(e) for e in report.events}
    assert "leader crash" in kinds
    for move in moves:
        assert move["leader before"] != move["leader after"]
        at_that_time = [e for e in report.events if e.at_s == move["at s"]]
        assert at_that_time and all(
            e.leader_after in (None, move["leader after"]) for e in at_that_time
        )
    crash_times = [e.at_s for e in report.events if event_kind(e) == "leader crash"]
    assert set(crash_times) <= {m["at s"] for m in moves}
