"""The columnar metrics of a cluster configuration read like one mapping per node."""

from __future__ import annotations

import numpy as np
import pytest

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.run.config import random_metrics
from emergent_lab.run.metric_table import MetricTable


def test_rows_round_trip_and_a_metric_some_nodes_lack_is_left_out() -> None:
    rows = [{"cpu": 0.5, "mem": 1.0}, {"cpu": 0.25}, {"mem": 2.0, "extra": 7.0}]
    table = MetricTable.from_rows(rows)
    assert list(table) == rows
    assert table.names == ("cpu", "mem", "extra")
    assert np.isnan(table.column("cpu")[2])
    assert table[-1] == rows[-1] and table[1:] == rows[1:]
    with pytest.raises(IndexError, match="metrics: node 3 out of range"):
        table[3]
    assert table == MetricTable.from_rows(rows) and table != MetricTable.from_rows(rows[:2])


def test_create_draws_the_same_metrics_as_the_per_node_dicts_did() -> None:
    config = ClusterConfig.create(50, seed=7, metrics={"n3": {"cpu_free": 0.99}})
    drawn = random_metrics(config.score, 50, rng=np.random.default_rng(7))
    expected = [*drawn[:3], {**drawn[3], "cpu_free": 0.99}, *drawn[4:]]
    assert list(config.metrics) == expected
    assert isinstance(config.metrics, MetricTable)


def test_a_column_cannot_be_changed_through_its_view() -> None:
    table = MetricTable({"cpu": np.array([0.1, 0.2])})
    with pytest.raises(ValueError):
        table.column("cpu")[0] = 1.0
    with pytest.raises(ValueError, match="columns of different lengths"):
        MetricTable({"a": np.zeros(2), "b": np.zeros(3)})


def test_a_score_of_no_metric_still_has_one_row_per_node() -> None:
    """lowest-id scores no metric: its table has no column but still n (empty) rows.

    A sweep of ``leader-crash`` under ``score.preset=lowest-id`` once built a
    table of length 0 and failed in the engine's constructor.
    """
    config = ClusterConfig.create(7, seed=3, score="lowest-id")
    assert len(config.metrics) == 7 and all(m == {} for m in config.metrics)
    SimCluster(config).run(2.0)
    with pytest.raises(ValueError, match="needs its number of nodes"):
        MetricTable({})
    with pytest.raises(ValueError, match="different lengths"):
        MetricTable({"cpu": np.zeros(3)}, nodes=4)
