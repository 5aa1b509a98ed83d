"""What lesson 10 shows about bounded (top-k) gossip, checked on small clusters.

:mod:`emergent_lab.analysis.bounded` measures it: steady bytes per node per
second (full membership grows with n, top-k does not) and a partition that
hides all k candidates from one side. The expectations come from the
protocols' definitions, not from a run of the code under test: a full digest
names every member, a top-k message holds at most k + 1 entries, and a node
alone behind a cut has no partner whose opinion could refresh its sample, so
once the opinions in it are older than the horizon only its own vote counts.
"""

from __future__ import annotations

import dataclasses

import pytest

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.analysis.bounded import hide_the_k, steady_traffic
from emergent_lab.array import ArrayCluster
from emergent_lab.core.ids import NO_NODE
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.protocol.rules import opinion_horizon

HORIZON = opinion_horizon(ProtocolParams().detector)
"""How long a top-k node counts a sampled opinion with the default detector (about 5.3 s)."""
ROUND = 1.0
"""The default gossip interval: a node looks at its sample once a round."""


def test_full_membership_costs_grow_with_n_and_top_k_costs_do_not() -> None:
    full = [steady_traffic("full", n, settle=1.0, seconds=1.0)["total"] for n in (20, 60)]
    topk = [steady_traffic("topk", n, settle=1.0, seconds=1.0)["total"] for n in (20, 60)]
    assert 2.4 < full[1] / full[0] < 3.6  # three times the members, three times the bytes
    assert 0.8 < topk[1] / topk[0] < 1.25  # only the ids grow


def test_a_lone_node_cut_off_from_the_k_best_recovers_on_top_k_as_on_full() -> None:
    topk = hide_the_k("topk", 20, 1, k=4, cut_at=10.0, cut_for=25.0, heal_for=5.0)
    full = hide_the_k("full", 20, 1, k=4, cut_at=10.0, cut_for=25.0, heal_for=5.0)
    assert set(topk.hidden).isdisjoint(topk.side) and len(topk.hidden) == 4
    assert topk.syns_across == 1.0  # every digest it sent was lost at the cut
    for side in (topk, full):
        assert side.follows == side.side  # it follows itself ...
        assert side.leader == side.side[0] and side.across[-1] == 0  # ... and recognises itself
        assert side.recovered_after_s is not None
    # Its samples expire within the horizon, as a full view's detectors convict the others.
    assert (topk.recovered_after_s or float("inf")) <= HORIZON + 2 * ROUND


def lone_node_recognises(
    engine: str, params: ProtocolParams
) -> tuple[str, str, list[tuple[float, str | None]]]:
    """(old leader, lone node, [(seconds since the cut, whom it recognises)]) of a 20-node top-k.

    The lowest-scoring node is cut off from everyone at 10 s; watched every half second
    for three horizons.
    """
    horizon = opinion_horizon(params.detector)
    config = ClusterConfig.create(20, seed=1, view="topk", k=4, params=params)
    cluster: SimCluster | ArrayCluster = (
        SimCluster(config) if engine == "exact" else ArrayCluster(config, view="topk", k=4)
    )
    cluster.run(10.0)
    old = cluster.leader()
    assert old is not None
    scores = (
        [cluster.node(i).score for i in config.ids]
        if isinstance(cluster, SimCluster)
        else cluster.score.tolist()
    )
    lone = config.ids[scores.index(min(scores))]
    cluster.partition([[lone]])
    seen: list[tuple[float, str | None]] = []
    while cluster.time < 10.0 + 3 * horizon:
        cluster.run_for(0.5)
        if isinstance(cluster, SimCluster):
            held = cluster.nodes[lone].recognised
        else:
            held = int(cluster.recognised[cluster.ids.index[lone]])
        seen.append((cluster.time - 10.0, cluster.ids.ids[held] if held != NO_NODE else None))
    return old, lone, seen


@pytest.mark.parametrize("pause", [3.0, 8.0])
@pytest.mark.parametrize("engine", ["exact", "array"])
def test_a_lone_top_k_node_stops_recognising_the_old_leader_within_the_horizon(
    engine: str, pause: float
) -> None:
    """Behind the cut its sample is never refreshed: the opinions expire, its own vote stays.

    The horizon follows the detector: a longer acceptable pause (the default is 3 s)
    keeps the opinions heard before the cut, and so the old leader, for longer.
    """
    default = ProtocolParams()
    detector = dataclasses.replace(default.detector, acceptable_heartbeat_pause=pause)
    params = dataclasses.replace(default, detector=detector)
    horizon = opinion_horizon(detector)
    old, lone, seen = lone_node_recognises(engine, params)
    assert old != lone
    early = [held for since, held in seen if since <= horizon - 2 * ROUND]
    assert early and set(early) == {old}, seen  # the samples from before the cut still count
    late = [held for since, held in seen if since > horizon + 2 * ROUND]
    assert late and set(late) == {lone}, seen


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: steady_traffic("tree", 10),
            r"view: unknown view 'tree' \(expected one of: full, topk\)",
        ),
        (lambda: hide_the_k("topk", 10, 3, k=8), r"side: 3 nodes \(expected 1 to n - k = 2\)"),
        (lambda: steady_traffic("full", 10, seconds=0.0), r"seconds"),
    ],
)
def test_bad_input_is_refused_naming_the_field(call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()
