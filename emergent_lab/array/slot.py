"""One slot of the array engine: heartbeats, the exchanges of its nodes, the leader rule.

:class:`~emergent_lab.array.cluster.ArrayCluster` holds the cluster's arrays
and its verbs; what happens in a slot is written here, as functions of the
cluster, so the engine's clock and actions and its per-slot work each read
in one sitting. A slot runs what the exact engine's nodes run on their
heartbeat and gossip timers (:class:`emergent_lab.protocol.node.Node`), at
slot granularity (the cluster's module docstring says what differs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from emergent_lab.array.exchange import deliveries, draw_pairs, transfers
from emergent_lab.array.kernels import Opinions, Transfers
from emergent_lab.array.views import FullView
from emergent_lab.core.arrays import IntArray
from emergent_lab.protocol.messages import HEADER_BYTES, VERSION_BITS
from emergent_lab.protocol.rules import seed_still_waits

if TYPE_CHECKING:
    from emergent_lab.array.cluster import ArrayCluster


def own_keys(cluster: ArrayCluster, nodes: IntArray) -> IntArray:
    """The nodes' own version keys: generation in the high bits, version in the low."""
    key: IntArray = (cluster.generation[nodes] << VERSION_BITS) | cluster.version[nodes]
    return key


def publish(cluster: ArrayCluster, nodes: IntArray) -> None:
    """Write nodes' own states where the view keeps them: a full view's diagonal.

    A top-k list holds no own state: each transfer carries its sender's.
    """
    if not isinstance(cluster.view, FullView):
        return
    cluster.view.publish(
        nodes,
        own_keys(cluster, nodes),
        cluster.heartbeat[nodes],
        cluster.score[nodes],
        cluster.opinion[nodes],
        cluster.time,
    )


def run_slot(cluster: ArrayCluster, slot: int) -> None:
    """Run slot ``slot`` of the round at the cluster's time.

    The up nodes heartbeat if their beat is due; the up nodes whose phase falls
    in the slot run their exchanges, merged one after another in phase order;
    those that took part, and those whose view changed structurally, re-apply
    the leader rule; the observer records the cluster.
    """
    now = cluster.time
    # Whole-array arithmetic, masked by up, costs less than gathering the
    # up nodes' fields first (a million nodes, four times a round).
    beats = (now - cluster.started_at) / cluster.params.heartbeat_interval
    beats += cluster.heartbeat_phase
    np.floor(beats, out=beats)
    ticked = np.flatnonzero(cluster.up & (beats > cluster.heartbeat))
    cluster.heartbeat[ticked] = beats[ticked]
    cluster.version[ticked] += 1
    publish(cluster, np.flatnonzero(cluster.up))
    by_phase = cluster.by_phase[slot]
    mine = by_phase[cluster.up[by_phase]]
    a, b = _pairs(cluster, mine)
    flags = np.zeros(cluster.n, dtype=bool)
    flags[mine] = True
    if a.size:
        dst, src = _transfers(cluster, a, b)
        transfers = Transfers(
            dst,
            src,
            (cluster.generation << VERSION_BITS) | cluster.version,
            cluster.heartbeat,
            cluster.score,
            cluster.opinion,
            np.zeros(dst.size, dtype=bool),
        )
        cluster.bytes_sent += int(cluster.view.merge(transfers, now) * cluster.entry_bytes)
        # Like the exact engine's nodes, those whose view changed structurally
        # re-apply the leader rule at once; a mere heartbeat waits for their tick.
        flags[dst[transfers.structural]] = True
    evaluate(cluster, np.flatnonzero(flags))
    record(cluster)


def _pairs(cluster: ArrayCluster, initiators: IntArray) -> tuple[IntArray, IntArray]:
    """Each initiator with ``fanout`` distinct random partners, in initiator order."""
    avoid = cluster.view.entries.suspected if isinstance(cluster.view, FullView) else None
    return draw_pairs(
        cluster.rng, initiators, n=cluster.n, fanout=cluster.params.fanout, avoid=avoid
    )


def _count_messages(
    cluster: ArrayCluster, syn: int, syn_ok: int, ack_ok: int, ack2_ok: int
) -> None:
    digest = cluster.n if isinstance(cluster.view, FullView) else cluster.view.k + 1
    sent = syn + (syn_ok + ack_ok if cluster.exchange == "push-pull" else 0)
    delivered = syn_ok + ack_ok + ack2_ok
    cluster.messages_sent += sent
    cluster.messages_dropped += sent - delivered
    cluster.bytes_sent += int(sent * HEADER_BYTES + syn * digest * cluster.digest_bytes)


def _transfers(cluster: ArrayCluster, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
    """The one-way state transfers of the exchanges (see :func:`.exchange.transfers`)."""
    reachable = cluster.up[b] & (cluster.group[a] == cluster.group[b])
    got = deliveries(cluster.rng, reachable, loss=cluster.loss, push=cluster.exchange == "push")
    _count_messages(cluster, a.size, got.syn_ok, got.ack_ok, got.ack2_ok)
    return transfers(a, b, got, fanout=min(cluster.params.fanout, cluster.n - 1))


# -- the leader rule -----------------------------------------------------------------


def evaluate(cluster: ArrayCluster, nodes: IntArray) -> None:
    """Re-apply the leader rule and recognition for ``nodes`` (all up), as Node.evaluate."""
    if not nodes.size:
        return
    p = cluster.params
    # As Node.joining: a seed heard from by nobody stops waiting for its seeds in time.
    seeds = cluster.seed_nodes
    cluster.has_seeds[seeds] = cluster.seeds_wait & seed_still_waits(
        cluster.time - cluster.started_at[seeds], p.gc_after
    )
    switched, moved = cluster.view.evaluate(
        nodes,
        cluster.time,
        Opinions(
            cluster.score,
            cluster.opinion,
            cluster.recognised,
            cluster.acting,
            cluster.version,
            cluster.has_seeds,
            cluster.rank,
            p.emergence_threshold,
            p.convergence_threshold,
        ),
    )
    observers, subjects = cluster.view.suspicions.drain()
    cluster.observer.suspected(
        cluster.time,
        observers,
        subjects,
        up=cluster.up,
        group=cluster.group,
        crashed_at=cluster.crashed_at,
    )
    if moved.size:
        publish(cluster, moved)
    cluster.observer.changed_opinions(cluster.time, switched)


def record(cluster: ArrayCluster) -> None:
    """The observer's record of the cluster now (once per slot, and after each action)."""
    cluster.observer.record(
        cluster.time,
        up=cluster.up,
        opinion=cluster.opinion,
        recognised=cluster.recognised,
        acting=cluster.acting,
        best=cluster.best_index(),
    )
