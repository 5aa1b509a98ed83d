"""Bounded (top-k) gossip against full membership: what it saves, and where it is unsafe.

Two measurements, shared by ``benchmarks/bytes.py`` and lesson 10:

* :func:`steady_traffic`: bytes per node per second of a quiet cluster once
  membership has formed, by message kind. Full membership names every node
  in every digest, so this grows like n; top-k sends at most k + 1 entries
  a message, so only the ids grow.
* :func:`hide_the_k`: a partition that puts every one of the k best nodes on
  one side, so the other side can see none of the candidates its lists hold.
  The side is watched every ``every`` seconds: whom its nodes recognise (a
  leader on their own side, the unreachable old one, or none), how long until
  they all recognise one leader of their own, and how many of their gossip
  digests were sent across the cut, where they are lost. A top-k node draws
  its partners uniformly from all members (a peer-sampling service), a full
  node among those it believes alive: that difference is what the lesson shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import NO_NODE
from emergent_lab.exact.cluster import SimCluster
from emergent_lab.run.config import ClusterConfig
from emergent_lab.run.report import build_report

VIEWS = ("full", "topk")
KINDS = ("syn", "ack", "ack2")
FORMING_LIMIT_S = 120.0
"""Virtual seconds to wait for membership to form before giving up on a size."""


def _check_view(view: str) -> None:
    if view not in VIEWS:
        raise ValueError(f"view: unknown view {view!r} (expected one of: {', '.join(VIEWS)})")


def formed(cluster: SimCluster) -> bool:
    """Whether every running node knows every other (top-k: lists k, and a leader emerged)."""
    n = len(cluster.ids.ids)
    if cluster.config.view == "topk":
        k = min(cluster.config.k, n - 1)
        lists = (node.peers_held().peer.size for node in cluster.nodes.values())
        return all(size == k for size in lists) and cluster.leader() is not None
    return all(node.peers_held().peer.size == n - 1 for node in cluster.nodes.values())


def steady_traffic(
    view: str, n: int, *, seed: int = 1, settle: float = 10.0, seconds: float = 10.0
) -> dict[str, float]:
    """Steady bytes per node per second of a quiet exact-engine cluster, by message kind.

    The cluster runs until membership has formed (:func:`formed`), then
    ``settle`` seconds, then the bytes of the next ``seconds`` are counted.
    Returns ``formed_s`` (virtual time membership formed), ``syn``, ``ack``,
    ``ack2`` and ``total`` (bytes per node per second).

    Raises:
        ValueError: an unknown view, or a window that is not a positive time.
        RuntimeError: membership had not formed after :data:`FORMING_LIMIT_S`.
    """
    _check_view(view)
    check_number("settle", settle, low=0)
    check_number("seconds", seconds, low=0, low_open=True)
    cluster = SimCluster(ClusterConfig.create(n, seed=seed, view=view))
    while not formed(cluster):
        if cluster.time >= FORMING_LIMIT_S:
            raise RuntimeError(f"n = {n}: membership had not formed after {FORMING_LIMIT_S} s")
        cluster.run_for(1.0)
    formed_at = cluster.time
    cluster.run_for(settle)
    before = dict(cluster.network.bytes_by_kind)
    cluster.run_for(seconds)
    after = cluster.network.bytes_by_kind
    per = {k: (after.get(k, 0) - before.get(k, 0)) / n / seconds for k in KINDS}
    return {"formed_s": formed_at, **per, "total": sum(per.values())}


@dataclass(frozen=True)
class HiddenSide:
    """What the side that sees none of the k candidates did (see :func:`hide_the_k`).

    ``times`` are seconds since the cut; at each, of the side's nodes,
    ``own`` recognise a leader on their side, ``across`` the old leader
    behind the cut, ``none`` no leader at all.
    """

    view: str
    old_leader: str
    hidden: tuple[str, ...]
    """The k best nodes, all put on the other side."""
    side: tuple[str, ...]
    times: list[float]
    own: list[int]
    across: list[int]
    none: list[int]
    follows: tuple[str, ...]
    """The distinct opinions (whom they follow) of the side's nodes at the end of the cut."""
    leader: str | None
    """Whom the whole side recognised at the end of the cut (None: not one leader)."""
    recovered_after_s: float | None
    """Seconds from the cut until every node of the side recognised ``leader`` for good."""
    syns_across: float
    """Share of the side's gossip digests (SYNs) sent during the cut to the other side."""
    healed_after_s: float | None
    """Seconds from the heal until the whole cluster recognised one leader (None: not within)."""


def hide_the_k(
    view: str,
    n: int,
    side: int,
    *,
    seed: int = 1,
    k: int = 8,
    cut_at: float = 20.0,
    cut_for: float = 60.0,
    heal_for: float = 20.0,
    every: float = 0.5,
) -> HiddenSide:
    """Cut ``side`` nodes off from the k best (and the rest), watch the side, then heal.

    The side is the ``side`` lowest-scoring nodes, so every one of the k best
    nodes (the candidates a converged top-k list holds) is on the other side.
    The same partition runs on a full-membership cluster with ``view = "full"``.

    Raises:
        ValueError: an unknown view, or a side that would not leave the k best out.
    """
    _check_view(view)
    if not 1 <= side <= n - k:
        raise ValueError(f"side: {side} nodes (expected 1 to n - k = {n - k})")
    check_number("every", every, low=0, low_open=True)
    cluster = SimCluster(ClusterConfig.create(n, seed=seed, view=view, k=k))
    cluster.run(cut_at)
    old = cluster.resolve("leader")
    ranked = sorted(cluster.up_ids(), key=lambda i: -cluster.node(i).score)
    hidden, side_ids = ranked[:k], ranked[n - side :]
    members = [cluster.ids.index[i] for i in side_ids]
    own_side = set(members)
    syns = [0, 0]  # sent by the side: to its own side, across the cut

    def count(_now: float, src: int, dst: int, kind: str, _size: int) -> None:
        if kind == "syn" and src in own_side:
            syns[dst not in own_side] += 1

    cluster.network.on_send.append(count)
    cluster.partition([side_ids])
    times: list[float] = []
    own: list[int] = []
    across: list[int] = []
    none: list[int] = []
    settled_since: float | None = None
    leader: int = NO_NODE
    while cluster.time < cut_at + cut_for - 1e-9:
        cluster.run_for(every)
        recognised = [cluster.nodes[i].recognised for i in side_ids]
        on_side = [r for r in recognised if r in own_side]
        times.append(round(cluster.time - cut_at, 9))
        own.append(len(on_side))
        across.append(sum(r != NO_NODE and r not in own_side for r in recognised))
        none.append(recognised.count(NO_NODE))
        one = len(on_side) == side and len(set(on_side)) == 1
        if one and on_side[0] == leader and settled_since is not None:
            continue
        settled_since, leader = (times[-1], on_side[0]) if one else (None, NO_NODE)
    cluster.network.on_send.remove(count)
    follows = sorted({cluster.ids.ids[cluster.nodes[i].opinion] for i in side_ids})
    cluster.heal()
    cluster.run_for(heal_for)
    heal = next(e for e in build_report(cluster).events if e.action == "heal")
    return HiddenSide(
        view=view,
        old_leader=old,
        hidden=tuple(hidden),
        side=tuple(side_ids),
        times=times,
        own=own,
        across=across,
        none=none,
        follows=tuple(follows),
        leader=cluster.ids.ids[leader] if leader != NO_NODE else None,
        recovered_after_s=settled_since,
        syns_across=syns[1] / max(1, sum(syns)),
        healed_after_s=heal.reconverged_after_s,
    )
