"""The lessons' measurement helpers: what each lesson claims, checked on small runs."""

import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emergent_lab import DetectorParams, ScoreFunction
from emergent_lab.analysis import scenario_variant
from emergent_lab.analysis.dissemination import (
    engine_rounds,
    model_rounds,
    model_spread,
    push_asymptotic,
)
from emergent_lab.analysis.phi import arrivals, phi_outcome, timeout_outcome
from emergent_lab.analysis.scoring import IOT_DEVICES, emerged_leader, rank_nodes, tie_break
from emergent_lab.scenario import ScenarioError

# -- lesson 01: score functions --------------------------------------------------------------------


def test_ranking_matches_the_weighted_mean_worked_by_hand():
    rows = rank_nodes(ScoreFunction.preset("battery-aware"), IOT_DEVICES)
    # n0: 0.6 * 0.95 + 0.3 * 0.40 + 0.1 * (1 - 0.30) = 0.76; n2: 0.48 + 0.21 + 0.03 = 0.72
    assert [r["node"] for r in rows[:2]] == ["n0", "n2"]
    assert rows[0]["score"] == pytest.approx(0.76)
    assert rows[1]["score"] == pytest.approx(0.72)


def test_equal_scores_rank_by_natural_id_order():
    same = {"n10": {"cpu": 10.0}, "n2": {"cpu": 10.0}, "n1": {"cpu": 50.0}}
    rows = rank_nodes(ScoreFunction.preset("cpu"), same)
    assert [r["node"] for r in rows] == ["n2", "n10", "n1"]


def test_the_protocol_elects_the_top_of_the_ranking_and_breaks_ties_by_id():
    assert emerged_leader(ScoreFunction.preset("battery-aware"), IOT_DEVICES) == "n0"
    result = tie_break(["n9", "n10", "n11"])
    assert result["emerged leader"] == "n9"
    assert result["string order would pick"] == "n10"


# -- lesson 02: dissemination ----------------------------------------------------------------------


def test_model_spread_grows_from_one_node_to_all():
    counts = model_spread(200, fanout=1, mode="push", seed=3)
    assert counts[0] == 1 and counts[-1] == 200
    assert all(b >= a for a, b in itertools.pairwise(counts))
    # With push and fanout 1, each informed node informs at most one other per round.
    assert all(b <= 2 * a for a, b in itertools.pairwise(counts))


def test_push_follows_pittels_asymptotic_and_push_pull_beats_push():
    push = [model_rounds(1000, mode="push", seed=s) for s in range(20)]
    push_pull = [model_rounds(1000, mode="push-pull", seed=s) for s in range(20)]
    # Pittel 1987: log2 n + ln n + O(1) rounds.
    assert abs(np.mean(push) - (math.log2(1000) + math.log(1000))) < 3
    assert np.mean(push_pull) < np.mean(push) * 0.7


def test_model_rejects_bad_input_naming_the_field():
    with pytest.raises(ValueError, match="mode: unknown mode 'gossip'"):
        model_rounds(10, mode="gossip")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fanout"):
        model_rounds(10, fanout=10)


def test_engine_dissemination_is_logarithmic_fast_and_faster_with_fanout():
    one = [engine_rounds(30, fanout=1, seed=s) for s in (1, 2)]
    three = [engine_rounds(30, fanout=3, seed=s) for s in (1, 2)]
    assert np.mean(three) < np.mean(one)
    assert max(one + three) < push_asymptotic(30)
    assert engine_rounds(30, fanout=3, seed=1) == three[0]


# -- lesson 03: phi accrual ------------------------------------------------------------------------


def test_steady_heartbeats_arrive_every_second():
    times = arrivals("steady", seconds=600.0)
    gaps = np.diff(times)
    assert times.size == 600 and (gaps > 0).all()
    assert gaps.mean() == pytest.approx(1.0, abs=0.01)


def test_jittery_heartbeats_use_the_seattle_delays():
    from emergent_lab.datasets import load_latency

    times = arrivals("jittery", seconds=600.0, seed=1)
    largest_one_way = np.nanmax(load_latency("seattle", slice=1).rtt_s) / 2
    # The k-th arrival is some send at k s or later plus a measured one-way delay (RTT / 2).
    assert times.size <= 600 and (np.diff(times) > 0).all()
    assert (times >= np.arange(times.size)).all()
    assert times[-1] <= 599.0 + largest_one_way
    assert np.diff(times).std() > 0.05


def test_akka_on_steady_heartbeats_has_no_false_suspicions_and_detects_in_seconds():
    outcome = phi_outcome(arrivals("steady", seconds=1800.0), DetectorParams(threshold=8.0))
    assert outcome.false_suspicions_per_hour == 0
    # Mean 1 s, deviation at its 0.1 s floor: phi reaches 8 about 5.4 deviations late.
    assert 1.3 < outcome.mean_detection_s < 1.8


def test_cassandra_detects_after_threshold_times_ln10_mean_intervals():
    params = DetectorParams(kind="cassandra", threshold=8.0)
    outcome = phi_outcome(arrivals("steady", seconds=1800.0), params)
    assert outcome.mean_detection_s == pytest.approx(8 * math.log(10) * 1.0, rel=0.02)


def test_a_late_heartbeat_is_a_false_suspicion():
    times = np.concatenate([np.arange(0.0, 100.0), np.arange(110.0, 200.0)])
    assert phi_outcome(times, DetectorParams(threshold=8.0)).false_suspicions_per_hour > 0


def test_fixed_timeout_counts_gaps_longer_than_the_timeout():
    outcome = timeout_outcome(np.array([0.0, 1.0, 2.0, 5.0, 6.0]), 2.0)
    assert outcome.false_suspicions_per_hour == pytest.approx(1 / (6.0 / 3600.0))
    assert outcome.mean_detection_s == 2.0


# -- lesson 04: thresholds -------------------------------------------------------------------------


def test_emergence_threshold_above_the_noise_stops_thrashing():
    from emergent_lab.analysis.thresholds import emergence_sweep

    zero, above = emergence_sweep([0.0, 0.05], seeds=[1])
    assert zero["leader changes"] > 10
    assert above["leader changes"] == 0


def test_convergence_threshold_trades_splits_for_time_to_recognition():
    from emergent_lab.analysis.thresholds import convergence_sweep

    low, full = convergence_sweep([0.3, 1.0], seeds=[1])
    assert low["split leadership s"] > full["split leadership s"]
    assert full["first recognition s"] > low["first recognition s"]


def test_real_load_thrashes_without_a_threshold():
    from emergent_lab.analysis.thresholds import real_load_cluster
    from emergent_lab.run.report import build_report

    calm = build_report(real_load_cluster(0.1, until=150.0), warmup=10.0)
    thrash = build_report(real_load_cluster(0.0, until=150.0), warmup=10.0)
    assert thrash.leader_changes > calm.leader_changes


# -- lesson 05: failover ---------------------------------------------------------------------------


def test_failover_is_detection_plus_dissemination():
    from emergent_lab.analysis.failover import failover_decomposition

    (row,) = failover_decomposition(seeds=[1])
    assert row["new leader"] != row["crashed"]
    assert row["first detection s"] <= row["detection s"] <= row["last detection s"]
    assert row["detection s"] + row["dissemination s"] == pytest.approx(row["failover s"])
    assert row["dissemination s"] > 0


def test_backbone_partition_splits_coasts_then_heals_to_one_leader():
    from emergent_lab.analysis.failover import backbone_cluster, backbone_report, router_names

    cluster, (west, east) = backbone_cluster("Abilene")
    names = router_names("Abilene")
    assert sorted(west + east, key=lambda n: int(n[1:])) == [f"n{k}" for k in range(11)]
    assert {"Seattle", "Sunnyvale", "Los Angeles"} <= {names[n] for n in west}
    assert {"New York", "Washington DC"} <= {names[n] for n in east}
    report = backbone_report(cluster)
    assert report.max_simultaneous_leaders == 2
    assert report.events[1].action == "heal" and report.events[1].reconverged_after_s is not None
    assert report.converged


def test_scenario_variant_applies_and_validates_changes():
    changed = scenario_variant("flapping-scores", changes={"leader.emergence_threshold": 0.0})
    assert changed.config.params.emergence_threshold == 0.0
    with pytest.raises(ScenarioError, match=r"leader\.emergence"):
        scenario_variant("flapping-scores", changes={"leader.emergence": 0.0})


# -- the package stays headless --------------------------------------------------------------------


def test_importing_the_analysis_loads_no_jupyter_or_bokeh():
    """The lessons' measurements run headless: every analysis module, imported, pulls in no UI."""
    modules = sorted(
        f"emergent_lab.analysis.{p.stem}"
        for p in (Path(__file__).parents[1] / "emergent_lab" / "analysis").glob("*.py")
    )
    assert len(modules) >= 10
    code = (
        f"import sys, emergent_lab.live, emergent_lab.sweep, {', '.join(modules)}; "
        "print(sorted(m for m in ('bokeh', 'ipywidgets', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lesson_player_steps_and_kills_without_a_browser():
    from emergent_lab.jupyter.play import LessonPlayer
    from emergent_lab.scenario import load_scenario, parse_scenario

    quiet = dict(load_scenario("leader-crash").source)
    quiet.pop("events")
    player = LessonPlayer(parse_scenario(quiet))
    player.advance(20.0)
    first = player.cluster.leader()
    assert first is not None and first in player.status()
    assert player.kill() == first
    player.advance(15.0)
    assert player.cluster.leader() not in (None, first)


def test_figures_build():
    pytest.importorskip("bokeh")
    from emergent_lab.jupyter.figures import line_chart, stacked_bars, timeline_chart
    from emergent_lab.jupyter.play import LessonPlayer

    player = LessonPlayer("leader-crash")
    player.advance(10.0)
    assert timeline_chart(player.cluster, title="t").renderers
    assert line_chart({"a": ([1, 2], [3, 4])}, title="t", x_label="x", y_label="y").renderers
    assert stacked_bars(["a"], {"x": [1.0], "y": [2.0]}, title="t", y_label="s").renderers


def test_explorer_panels_draw_and_redraw_on_change():
    pytest.importorskip("ipywidgets")
    import ipywidgets as w

    from emergent_lab.jupyter.panels import panel

    seen = []
    slider = w.IntSlider(value=1)
    box = panel(lambda n: seen.append(n), {"n": slider})
    slider.value = 3
    assert seen == [1, 3] and slider in box.children[0].children
    button_panel = panel(lambda n: seen.append(n), {"n": w.IntSlider(value=5)}, button="Run")
    assert seen == [1, 3]  # a button panel waits for its button
    button_panel.children[0].children[-1].click()
    assert seen == [1, 3, 5]
