"""A figure's printed summary: the numbers nbval compares in place of the figure."""

import math

import pytest

from emergent_lab.analysis.summaries import series_summary


def test_one_row_per_series_with_its_range_and_statistics():
    rows = series_summary({"a": ([1, 2, 3], [4.0, 2.0, 6.0]), "b": ([0], [1.0])})
    assert [r["series"] for r in rows] == ["a", "b"]
    a = rows[0]
    assert (a["points"], a["missing"], a["x from"], a["x to"]) == (3, 0, 1.0, 3.0)
    assert (a["y min"], a["y mean"], a["y max"], a["y last"]) == (2.0, 4.0, 6.0, 6.0)


def test_gaps_are_counted_not_averaged():
    (row,) = series_summary({"push": ([1, 2, 3], [1.0, math.nan, 3.0])})
    assert row["missing"] == 1 and row["y mean"] == 2.0 and row["y last"] == 3.0


def test_an_empty_series_has_no_statistics():
    (row,) = series_summary({"none": ([], [])})
    assert row["points"] == 0 and row["y mean"] is None and row["x from"] is None


def test_mismatched_lengths_name_the_series():
    with pytest.raises(ValueError, match="'bad'"):
        series_summary({"bad": ([1, 2], [1.0])})


def test_a_timeline_summary_reads_the_observer_of_a_crash():
    from emergent_lab.analysis.summaries import timeline_summary
    from emergent_lab.analysis.timelines import cluster_series
    from emergent_lab.analysis.variants import run_variant

    cluster, report = run_variant("leader-crash", changes={"run.until": 40.0})
    (row,) = timeline_summary({"crash": cluster})
    series = cluster_series(cluster)
    assert row["steps"] == len(series.time) and row["faults marked"] == 1
    full = series.agreement.index(1.0)
    assert row["all agree at s"] == series.time[full] < 30.0  # before the crash at 30 s
    assert row["then lowest"] == min(series.agreement[full:]) < 1.0
    assert row["at s"] >= 30.0  # the dip is the crash's
    assert row["most acting"] == max(series.acting)
    assert abs(row["s with 2+ acting"] - report.split_leadership_s) < 1.0
