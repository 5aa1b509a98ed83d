"""The lesson-06 quorum measurements: what they report, and bad input named before anything runs."""

from __future__ import annotations

import pytest

from emergent_lab.analysis.quorum import failover_rows, partition_rows


def test_a_raft_minority_elects_nobody_where_the_emergent_minority_keeps_a_leader():
    rows = {r["protocol"]: r for r in partition_rows(["raft", "emergent"], seeds=(4,))}
    assert (rows["raft"]["minority leads"], rows["raft"]["majority leads"]) == (0, 1)
    assert (rows["emergent"]["minority leads"], rows["emergent"]["majority leads"]) == (1, 1)
    # The emergent sides both lead from the cut (20 s) to the end (60 s); Raft's old
    # leader steps down within its check-quorum window (three heartbeats).
    assert rows["emergent"]["split s"] > 30.0
    assert rows["raft"]["split s"] < 4.0


def test_every_protocol_fails_over_to_another_leader():
    rows = failover_rows(seeds=(1,))
    assert [r["protocol"] for r in rows] == ["emergent", "bully", "raft"]
    assert all(r["failover s"] is not None and 0 < r["failover s"] < 30 for r in rows)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: partition_rows(["paxos"]), "protocols"),
        (lambda: partition_rows(minority=20), "minority"),
        (lambda: failover_rows(loss=1.5), "loss"),
        (lambda: failover_rows(until=10.0), "until"),
    ],
)
def test_bad_settings_are_named(call, field):
    with pytest.raises(ValueError, match=field):
        call()


def test_a_process_pool_gives_the_same_rows_in_the_same_order():
    from concurrent.futures import ProcessPoolExecutor

    options = {"protocols": ("emergent", "raft"), "nodes": 6, "seeds": (1, 2)}
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = failover_rows(**options, crash_at=10.0, until=20.0, executor=pool)
        cut = partition_rows(**options, minority=2, at=10.0, until=20.0, executor=pool)
    assert pooled == failover_rows(**options, crash_at=10.0, until=20.0)
    assert cut == partition_rows(**options, minority=2, at=10.0, until=20.0)
    assert [(r["protocol"], r["seed"]) for r in pooled] == [
        ("emergent", 1),
        ("emergent", 2),
        ("raft", 1),
        ("raft", 2),
    ]
