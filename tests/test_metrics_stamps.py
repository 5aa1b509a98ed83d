"""A merge copies only the metrics a view does not hold, and every view still holds the right ones.

Each state's metrics travel as the object its owner published, made anew
only when the metrics change; a view keeps, per peer, the key of that
publication (its stamp) and copies the object only when a state taken
carries another stamp. The oracle here is the publications themselves,
recorded as the nodes make them: whatever a view holds of a peer must be
the object published last at or before the key the view holds.
"""

from __future__ import annotations

import bisect

import numpy as np
import pytest

from emergent_lab import ClusterConfig, SimCluster
from emergent_lab.detector import DetectorParams
from emergent_lab.protocol.messages import StateBatch, version_key
from emergent_lab.protocol.node import Node
from emergent_lab.protocol.view import View


def test_every_view_holds_the_metrics_published_with_the_state_it_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    published: dict[int, list[tuple[int, object]]] = {}
    publish = Node._publish_own_state

    def recorded(node: Node) -> None:
        publish(node)
        i = node.index
        held = published.setdefault(i, [])
        if not held or held[-1][1] is not node.view.metrics[i]:
            held.append((int(node.view.key[i]), node.view.metrics[i]))

    monkeypatch.setattr(Node, "_publish_own_state", recorded)
    cluster = SimCluster(ClusterConfig.create(12, seed=3, fanout=2, score="capacity"))
    cluster.run(8.0)
    cluster.set_metrics("n2", {"cpu_free": 0.1})
    cluster.set_metrics("n5", {"cpu_free": 0.9})
    cluster.run(12.0)
    cluster.crash("n5")
    cluster.run(14.0)
    cluster.restart("n5")
    cluster.set_metrics("n7", {"cpu_free": 0.4})
    cluster.run(25.0)

    checked = 0
    for node in cluster.nodes.values():
        if not node.running:
            continue
        assert isinstance(node, Node)
        view = node.view
        for j in np.flatnonzero(view.known).tolist():
            keys = [k for k, _ in published[j]]
            at = bisect.bisect_right(keys, int(view.key[j])) - 1
            assert view.metrics[j] is published[j][at][1], (node.node_id, j)
            checked += 1
    assert checked > 100
    assert any(len(p) > 1 for p in published.values())  # metrics did change mid-run


def _one(metrics: dict[str, float], key: int, stamp: int | None) -> StateBatch:
    """Peer 1's state at ``key`` carrying ``metrics`` (gathered with ``stamp``, or built: None)."""
    source = View(3, DetectorParams(), capacity=4)
    source.key[1], source.heartbeat[1], source.known[1] = key, key & 0xFFFF, True
    source.metrics[1] = metrics
    source.metrics_stamp[1] = -1 if stamp is None else stamp
    batch = source.batch(np.array([1]))
    if stamp is None:  # a codec's batch, field by field: no stamps
        return StateBatch(
            batch.idx, batch.key, batch.heartbeat, batch.score, batch.opinion,
            batch.status.astype(np.int8), batch.metrics, batch.state_bytes,
        )  # fmt: skip
    return batch


def test_a_merge_copies_metrics_only_when_their_stamp_differs_or_is_unknown() -> None:
    view = View(0, DetectorParams(), capacity=4)
    first, second, third = {"m": 1.0}, {"m": 2.0}, {"m": 3.0}
    view.merge(_one(first, version_key(1, 1), version_key(1, 1)), 1.0)
    assert view.metrics[1] is first
    same = dict(first)  # equal, another object, under the same stamp: the one held stays
    view.merge(_one(same, version_key(1, 2), version_key(1, 1)), 2.0)
    assert view.metrics[1] is first and view.key[1] == version_key(1, 2)
    view.merge(_one(second, version_key(1, 3), version_key(1, 3)), 3.0)
    assert view.metrics[1] is second
    view.merge(_one(third, version_key(1, 4), None), 4.0)
    assert view.metrics[1] is third and view.metrics_stamp[1] == -1
    again = {"m": 3.0}  # unknown stamps are copied every time
    view.merge(_one(again, version_key(1, 5), None), 5.0)
    assert view.metrics[1] is again
    view.collect(np.array([1]))
    assert view.metrics[1] is None and view.metrics_stamp[1] == 0
    reborn = {"m": 4.0}  # a restart's first state, stamped as the gossip carries it
    view.merge(_one(reborn, version_key(2, 1), version_key(2, 1)), 6.0)
    assert view.metrics[1] is reborn
