"""The pieces lesson 09 narrates, read from a run recording causality: an exchange, a decision.

A push-pull exchange is three messages: a SYN carrying the initiator's
digest, the ACK answering with the states the initiator lacks (and asking
for those the receiver lacks), the ACK2 sending those. :func:`digest_rows`
replays that comparison on two nodes' views with the protocol's own
``View.compare``; :func:`next_exchange` finds the next such exchange in the
causal record (each message's cause is the one before) and what each step
taught its receiver. :func:`decision_rows` lays out one node's leader rule:
the candidates it believes alive, their scores, the opinions they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from emergent_lab.exact import SimCluster
from emergent_lab.exact.causality import MessageRecord
from emergent_lab.exact.explain import recorder_of
from emergent_lab.protocol.messages import split_key


def _node(cluster: SimCluster, name: str) -> Any:
    """The protocol node ``name`` (a clear error for an unknown id)."""
    cluster.node(name)
    return cluster.nodes[name]


def digest_rows(
    cluster: SimCluster, initiator: str, receiver: str, *, digest: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """Per peer newer on one side: both versions, and which message of the exchange carries it.

    ``digest`` is the SYN's (the initiator's digest when it sent it; default:
    its digest now); the receiver compares it with its view as it is now.
    The cluster is not changed: the comparison runs on a fork.
    """
    twin = cluster.fork()
    a, b = _node(twin, initiator), _node(twin, receiver)
    ids = twin.ids.ids
    if digest is None:
        digest = a.view.digest()
    b_newer, b_lacks = b.view.compare(digest)
    rows = []
    for peer in sorted(set(b_newer.tolist()) | set(b_lacks.tolist())):
        row: dict[str, Any] = {"peer": ids[peer]}
        offered = int(digest[peer]) if peer < digest.shape[0] else 0
        row[f"SYN: {initiator} offers"] = _version(offered)
        row[f"{receiver} holds"] = _version(int(b.view.key[peer]))
        row["carried by"] = (
            f"ACK ({receiver}→{initiator})"
            if peer in b_newer
            else (f"ACK2 ({initiator}→{receiver})")
        )
        rows.append(row)
    return rows


def _version(key: int) -> str:
    """A packed version key as "g1 v12" ("-" for none)."""
    if not key:
        return "-"
    generation, version = split_key(key)
    return f"g{generation} v{version}"


@dataclass(frozen=True)
class Exchange:
    """One recorded push-pull exchange, and what its ACK and ACK2 taught."""

    syn: MessageRecord
    ack: MessageRecord | None
    ack2: MessageRecord | None
    ack_carried: list[str]
    """Nodes whose states the ACK carried (empty if it taught nothing: then it was not kept)."""
    ack_taught: list[str]
    """Of those, the ones the initiator took: still newer than its view when the ACK arrived."""
    ack_mattered: list[str]
    """Of those, the ones where more than a heartbeat moved on (a score, opinion, new node…)."""
    ack2_carried: list[str]
    ack2_taught: list[str]
    ack2_mattered: list[str]


def next_exchange(cluster: SimCluster, initiator: str, receiver: str, *, after: float) -> Exchange:
    """The first exchange ``initiator`` opened with ``receiver`` after virtual time ``after``."""
    recorder = recorder_of(cluster)
    ids = cluster.ids.ids
    a, b = cluster.ids.index[initiator], cluster.ids.index[receiver]
    messages = recorder.messages(start=after)
    syn = next((m for m in messages if m.kind == "syn" and m.src == a and m.dst == b), None)
    if syn is None:
        raise ValueError(f"exchange: {initiator} sent {receiver} no SYN after {after:g} s")
    ack = next((m for m in messages if m.kind == "ack" and m.cause == syn.id), None)
    ack2 = None
    if ack is not None:
        ack2 = next((m for m in messages if m.kind == "ack2" and m.cause == ack.id), None)
    taught = {batch.cause: batch for batch in recorder.learned_since(after)}

    def learned(message: MessageRecord | None) -> tuple[list[str], list[str], list[str]]:
        batch = taught.get(message.id) if message is not None else None
        if batch is None:
            return [], [], []
        subjects = batch.subjects
        return (
            [ids[i] for i in batch.carried.tolist()],
            [ids[i] for i in subjects.tolist()],
            [ids[i] for i in subjects[batch.mattered].tolist()],
        )

    return Exchange(syn, ack, ack2, *learned(ack), *learned(ack2))


def decision_rows(cluster: SimCluster, name: str, *, top: int = 5) -> list[dict[str, Any]]:
    """The ``top`` candidates ``name`` believes alive, best first, with the opinions they hold."""
    node = _node(cluster, name)
    ids = cluster.ids.ids
    view = node.view
    members = np.flatnonzero(node.alive_mask)
    held = view.opinion[members]
    order = sorted(members.tolist(), key=lambda i: (-float(view.score[i]), cluster.ids.rank[i]))
    rows = []
    for i in order[:top]:
        rows.append(
            {
                "candidate": ids[i],
                "score": round(float(view.score[i]), 3),
                "followed by": int(np.count_nonzero(held == i)),
                "of alive": int(members.shape[0]),
            }
        )
    return rows
