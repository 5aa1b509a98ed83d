"""What lesson 10 shows about bounded (top-k) gossip, checked on small clusters.

:mod:`emergent_lab.analysis.bounded` measures it: steady bytes per node per
second (full membership grows with n, top-k does not) and a partition that
hides all k candidates from one side. The expectations come from the
protocols' definitions, not from a run of the code under test: a full digest
names every member, a top-k message holds at most k + 1 entries, and a node
alone behind a cut has no partner whose opinion could refresh its sample.
"""

from __future__ import annotations

import pytest

from emergent_lab.analysis.bounded import hide_the_k, steady_traffic


def test_full_membership_costs_grow_with_n_and_top_k_costs_do_not() -> None:
    full = [steady_traffic("full", n, settle=1.0, seconds=1.0)["total"] for n in (20, 60)]
    topk = [steady_traffic("topk", n, settle=1.0, seconds=1.0)["total"] for n in (20, 60)]
    assert 2.4 < full[1] / full[0] < 3.6  # three times the members, three times the bytes
    assert 0.8 < topk[1] / topk[0] < 1.25  # only the ids grow


def test_a_lone_node_cut_off_from_the_k_best_never_recovers_on_top_k_but_does_on_full() -> None:
    topk = hide_the_k("topk", 20, 1, k=4, cut_at=10.0, cut_for=25.0, heal_for=5.0)
    full = hide_the_k("full", 20, 1, k=4, cut_at=10.0, cut_for=25.0, heal_for=5.0)
    assert set(topk.hidden).isdisjoint(topk.side) and len(topk.hidden) == 4
    assert topk.follows == topk.side  # it follows itself ...
    assert topk.recovered_after_s is None and topk.across[-1] == 1  # ... recognising the old one
    assert topk.syns_across == 1.0  # every digest it sent was lost at the cut
    assert full.recovered_after_s is not None and full.leader == full.side[0]


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
