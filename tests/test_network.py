"""The simulated network: loss, partitions, cuts, graphs, latency and accounting."""

import networkx as nx
import numpy as np
import pytest

from emergent_lab.core.ids import IdTable
from emergent_lab.exact import SimCluster
from emergent_lab.exact.drivers import watch_phi
from emergent_lab.protocol.messages import DIGEST_ENTRY_BYTES, HEADER_BYTES, GossipSyn
from emergent_lab.run import ClusterConfig
from emergent_lab.sim import (
    ConstantLatency,
    LogNormalLatency,
    Scheduler,
    SimNetwork,
    UniformLatency,
)


def network(**kwargs):
    scheduler = Scheduler()
    ids = IdTable(["a", "b", "c", "d"])
    net = SimNetwork(scheduler, np.random.default_rng(1), ids, **kwargs)
    inbox = {i: [] for i in range(4)}
    for i in range(4):
        net.attach(i, lambda m, i=i: inbox[i].append((scheduler.now(), m)))
    return scheduler, net, inbox


def syn(sender=0):
    return GossipSyn(sender, np.array([5, 0, 7, 0], dtype=np.int64))


def test_messages_are_delivered_after_the_latency_and_counted_with_their_size():
    scheduler, net, inbox = network(latency=ConstantLatency(0.25))
    net.send(0, 1, syn())
    scheduler.run()
    assert [t for t, _ in inbox[1]] == [0.25]
    # two held versions: ids "a" and "c" (1 byte each) plus 8 bytes each, plus the header
    assert net.bytes_sent == HEADER_BYTES + 2 * (1 + DIGEST_ENTRY_BYTES)
    assert net.messages_sent == 1 and net.messages_delivered == 1


def test_loss_drops_about_the_given_fraction():
    scheduler, net, inbox = network(loss=0.3)
    for _ in range(2000):
        net.send(0, 1, syn())
    scheduler.run()
    delivered = len(inbox[1])
    assert 0.65 < delivered / 2000 < 0.75
    assert net.messages_dropped == 2000 - delivered


def test_partition_blocks_across_groups_and_heal_restores():
    scheduler, net, inbox = network()
    net.partition([[0, 1], [2]])
    for dst in (1, 2, 3):
        net.send(0, dst, syn())
    scheduler.run()
    # node 3 is in no named group: it forms the remaining group on its own
    assert len(inbox[1]) == 1 and not inbox[2] and not inbox[3]
    net.heal()
    net.send(0, 2, syn())
    scheduler.run()
    assert len(inbox[2]) == 1


def test_cut_blocks_one_link_both_ways():
    scheduler, net, inbox = network()
    net.cut(0, 1)
    net.send(0, 1, syn(0))
    net.send(1, 0, syn(1))
    net.send(0, 2, syn(0))
    scheduler.run()
    assert not inbox[1] and not inbox[0] and len(inbox[2]) == 1


def test_graph_restricts_reach_and_multiplies_latency_by_hops():
    graph = nx.Graph([("a", "b"), ("b", "c")])
    graph.add_node("d")
    scheduler, net, inbox = network(latency=ConstantLatency(0.1), graph=graph)
    net.send(0, 2, syn())
    net.send(0, 3, syn())
    scheduler.run()
    assert [t for t, _ in inbox[2]] == [pytest.approx(0.2)]
    assert not inbox[3]


@pytest.mark.parametrize(
    ("model", "low", "high"),
    [(UniformLatency(0.01, 0.02), 0.01, 0.02), (LogNormalLatency(0.02, 0.5), 0.0, 1.0)],
)
def test_random_latency_models_stay_in_range_and_are_seeded(model, low, high):
    a = [model.sample(0, 1, np.random.default_rng(7)) for _ in range(3)]
    b = [model.sample(0, 1, np.random.default_rng(7)) for _ in range(3)]
    assert a == b
    rng = np.random.default_rng(3)
    samples = np.array([model.sample(0, 1, rng) for _ in range(2000)])
    assert samples.min() >= low and samples.max() <= high
    if isinstance(model, LogNormalLatency):
        assert 0.017 < np.median(samples) < 0.023


def test_bad_latency_parameters_name_the_field():
    with pytest.raises(ValueError, match=r"network\.latency\.high"):
        UniformLatency(0.5, 0.1)
    with pytest.raises(ValueError, match=r"network\.loss"):
        network(loss=2.0)


def test_dead_peers_are_collected_and_not_resurrected_by_slower_gossip():
    config = ClusterConfig.create(6, seed=4, gc_after=10.0)
    cluster = SimCluster(config)
    cluster.run(10.0)
    victim = "n3" if cluster.leader() != "n3" else "n4"
    index = cluster.ids.index[victim]
    cluster.crash(victim)
    cluster.run(32.0)  # suspected after ~4 s (3 s acceptable pause), collected 10 s later
    views = [n.view for n in cluster.nodes.values() if n.running]
    assert all(not v.known[index] for v in views)
    assert all(v.metrics[index] is None for v in views)
    cluster.run(60.0)
    assert all(not v.known[index] for v in views)
    assert all(not n.alive_mask[index] for n in cluster.nodes.values() if n.running)


def test_phi_can_be_watched_for_a_pair():
    cluster = SimCluster(ClusterConfig.create(4, seed=1))
    samples = watch_phi(cluster, "n0", "n1", every=0.5)
    cluster.run(10.0)
    cluster.crash("n1")
    cluster.run(20.0)
    assert len(samples) == 41  # t = 0, 0.5, ..., 20
    before = [p for t, p in samples if 5 <= t < 10]
    after = [p for t, p in samples if t >= 19]
    assert max(before) < 8.0
    assert min(after) > 8.0
