"""Python API misuse is refused with a clear error, and a refused change leaves no trace.

The audit's cases (issue 13, item 6): ``run(nan)`` and friends hung,
``create`` took or crashed on odd sizes, ``cut(a, a)`` and unknown metrics
were accepted, and a refused ``set_param`` was half-applied.
"""

import math
import re
import signal

import numpy as np
import pytest

from emergent_lab.array import ArrayCluster
from emergent_lab.exact import SimCluster
from emergent_lab.run import ClusterConfig


def _hung(signum: int, frame: object) -> None:
    raise TimeoutError("run() did not return (it used to run forever)")


@pytest.mark.parametrize("until", [math.nan, math.inf, None, "10"])
def test_run_refuses_a_time_that_is_not_finite(until: object) -> None:
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(20)
    try:
        for cluster in (SimCluster(ClusterConfig.create(3)), ArrayCluster(ClusterConfig.create(3))):
            with pytest.raises(ValueError, match="until: must be a finite number"):
                cluster.run(until)  # type: ignore[arg-type]
            assert cluster.time == 0.0
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("nodes", [2.5, "abc", True, None])
def test_create_refuses_a_size_that_is_not_an_integer_or_a_list(nodes: object) -> None:
    with pytest.raises(
        ValueError, match=r"cluster.nodes: must be an integer >= 1 or a list of ids"
    ):
        ClusterConfig.create(nodes)  # type: ignore[arg-type]


def test_create_takes_numpy_integers() -> None:
    config = ClusterConfig.create(np.int64(5), seed=np.int64(2), seeds=np.int64(2))
    assert config.ids == ("n0", "n1", "n2", "n3", "n4")
    assert config.seeds == ("n0", "n1") and config.seed == 2


def test_a_link_from_a_node_to_itself_is_refused() -> None:
    cluster = SimCluster(ClusterConfig.create(3))
    with pytest.raises(ValueError, match="nodes: a link joins two different nodes"):
        cluster.cut("n1", "n1")
    assert cluster.events == []


def test_unknown_metrics_are_refused() -> None:
    cluster = SimCluster(ClusterConfig.create(3))
    with pytest.raises(
        ValueError, match=r"metrics.cpu: unknown metric \(expected one of: cpu_free"
    ):
        cluster.set_metric("n1", "cpu", 0.5)
    with pytest.raises(ValueError, match=r"metrics\.bogus: unknown metric"):
        cluster.join("z", metrics={"bogus": 1.0})
    assert "z" not in cluster.nodes and cluster.events == []


def test_a_refused_live_change_leaves_no_trace() -> None:
    cluster = SimCluster(ClusterConfig.create(3))
    cluster.run(2.0)
    before = cluster.params
    with pytest.raises(ValueError, match=r"detector\.kind"):
        cluster.set_param("detector.kind", "cassandra")
    assert cluster.params == before
    assert all(node.params == before for node in cluster.nodes.values())
    assert cluster.events == []
    cluster.run(4.0)  # and the cluster still runs


def test_leader_is_a_target_never_an_id() -> None:
    with pytest.raises(ValueError, match=r"cluster\.ids: 'leader' names whoever leads"):
        ClusterConfig.create(["a", "leader"])
    cluster = SimCluster(ClusterConfig.create(3))
    with pytest.raises(ValueError, match="node: 'leader' names whoever leads"):
        cluster.join("leader")
    assert cluster.events == []


@pytest.mark.parametrize("engine", [SimCluster, ArrayCluster])
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "crash: missing a required argument: 'node' (expected: node)"),
        ({"node": "n1", "bogus": 1}, "crash: got an unexpected keyword argument 'bogus'"),
    ],
)
def test_at_refuses_arguments_the_action_cannot_take(
    engine: type[SimCluster] | type[ArrayCluster], arguments: dict[str, object], message: str
) -> None:
    """They were accepted and raised a TypeError when the action came due, mid-run."""
    cluster = engine(ClusterConfig.create(4, seed=1))
    with pytest.raises(ValueError, match=re.escape(message)):
        cluster.at(5.0, "crash", **arguments)
    cluster.run(10.0)
    assert cluster.events == [] and all(cluster.is_up(n) for n in ("n0", "n1", "n2", "n3"))


def test_set_latency_refuses_what_is_not_a_latency_model() -> None:
    """A number was taken, and the next message sent raised an AttributeError."""
    cluster = SimCluster(ClusterConfig.create(4, seed=1))
    with pytest.raises(ValueError, match=r"latency: must be a latency model"):
        cluster.set_latency(0.05)  # type: ignore[arg-type]
    cluster.run(10.0)
    assert cluster.events == [] and cluster.leader() is not None


@pytest.mark.parametrize("engine", [SimCluster, ArrayCluster])
def test_a_flat_list_of_ids_is_refused_as_a_partition_not_read_letter_by_letter(
    engine: type[SimCluster] | type[ArrayCluster],
) -> None:
    cluster = engine(ClusterConfig.create(4))
    with pytest.raises(ValueError, match=r"groups: must be 'half' or a list of lists of node ids"):
        cluster.partition(["n0", "n1"])  # type: ignore[list-item]
    assert cluster.partition([["n0", "n1"], ["n2"]]) == [["n0", "n1"], ["n2"]]


@pytest.mark.parametrize("engine", [SimCluster, ArrayCluster])
def test_a_node_the_cluster_does_not_hold_is_not_up_on_either_engine(
    engine: type[SimCluster] | type[ArrayCluster],
) -> None:
    cluster = engine(ClusterConfig.create(3))
    assert cluster.is_up("n1") and not cluster.is_up("ghost")
