"""``cluster.fork(at=…)`` and side-by-side branches: deterministic, with a shared past."""

from __future__ import annotations

import dataclasses

import pytest

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.exact.compare import side_by_side


def _fresh() -> SimCluster:
    config = ClusterConfig.create(10, seed=5, fanout=2, causality=True)
    cluster = SimCluster(config)
    cluster.at(6.0, "crash", node="leader")
    return cluster


def test_a_branch_has_the_digest_of_a_fresh_run_with_the_same_actions() -> None:
    trunk = _fresh()
    trunk.run(4.0)
    branch = trunk.fork(at=10.0)  # runs the copy on to 10 s; the trunk stays at 4 s
    assert (trunk.time, branch.time) == (4.0, 10.0)
    trunk.run(10.0)
    assert trunk.log.hexdigest() == branch.log.hexdigest()  # same random stream
    trunk.cut("n1", "n2")
    branch.partition([["n0", "n1", "n2", "n3"]])
    trunk.run(18.0)
    branch.run(18.0)

    fresh_cut, fresh_partition = _fresh(), _fresh()
    for fresh in (fresh_cut, fresh_partition):
        fresh.run(10.0)
    fresh_cut.cut("n1", "n2")
    fresh_partition.partition([["n0", "n1", "n2", "n3"]])
    fresh_cut.run(18.0)
    fresh_partition.run(18.0)
    assert trunk.log.hexdigest() == fresh_cut.log.hexdigest()
    assert branch.log.hexdigest() == fresh_partition.log.hexdigest()
    assert trunk.log.hexdigest() != branch.log.hexdigest()


def test_two_branches_share_their_history_up_to_the_fork() -> None:
    a = _fresh()
    a.run(9.0)
    assert a.causality is not None
    sent_before = a.causality.message_count
    b = a.fork()
    a.crash("n4")
    b.pause("n4", 3.0)
    comparison = side_by_side({"crash": a, "pause": b}, until=15.0, step=0.5)
    assert b.causality is not None
    past_a = [dataclasses.astuple(m) for m in a.causality.messages()[:sent_before]]
    past_b = [dataclasses.astuple(m) for m in b.causality.messages()[:sent_before]]
    assert past_a == past_b
    # Ids go on from the same number in both branches, but what follows differs.
    after = a.causality.messages()[sent_before:], b.causality.messages()[sent_before:]
    assert [m.id for m in after[0][:5]] == [m.id for m in after[1][:5]]
    assert [m.src for m in after[0]] != [m.src for m in after[1]]
    first = comparison.samples["crash"][0], comparison.samples["pause"][0]
    assert first[0] == first[1]  # the fork's moment, identical
    assert comparison.times[-1] == 15.0 and len(comparison.times) == 13
    diverged = comparison.diverged_at("messages")
    assert diverged is not None and 9.0 < diverged <= 15.0
    assert "crash" in comparison.table() and "pause" in comparison.table()


def test_bad_fork_and_comparison_input_is_refused() -> None:
    cluster = _fresh()
    cluster.run(3.0)
    with pytest.raises(ValueError, match=r"at: must be .*>= 3"):
        cluster.fork(at=1.0)
    other = cluster.fork(at=4.0)
    with pytest.raises(ValueError, match="branches: must stand at the same time"):
        side_by_side({"a": cluster, "b": other}, until=5.0)
    twin = cluster.fork()
    with pytest.raises(ValueError, match="what: unknown measure"):
        side_by_side({"a": cluster, "b": twin}, until=4.0).diverged_at("latency")


def test_the_comparison_plot_draws_every_branch_and_marks_where_they_part() -> None:
    from emergent_lab.jupyter.compare_view import comparison_layout

    a = _fresh()
    a.run(9.0)
    b = a.fork()
    a.crash("n4")
    comparison = side_by_side({"crash": a, "as is": b}, until=12.0, step=0.5)
    layout = comparison_layout(comparison)
    plots = [child for child in layout.children if getattr(child, "renderers", None)]
    assert [p.name for p in plots] == ["compare-agreement", "compare-messages", "compare-bytes"]
    for plot in plots:
        assert len(plot.renderers) == 2  # one line per branch
        spans = {s.name: s.location for s in plot.center if s.name}
        assert spans["messages differ"] == comparison.diverged_at("messages")
    summary = layout.children[0].text
    assert summary.startswith("<b>crash vs as is</b>: messages differ at ")
