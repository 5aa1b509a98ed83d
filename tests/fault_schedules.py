"""Random fault schedules followed by a quiet period, and what must hold after it.

Shared by the property test (a few hundred schedules) and
``benchmarks/fault_properties.py`` (as many as asked). A schedule is up to
``MAX_FAULTS`` faults (crash, restart, pause, join, leave, partition, heal,
loss) at random times in ``[FAULTS_FROM, QUIET_FROM)``; at ``QUIET_FROM``
the network heals and loses nothing any more, and no fault follows. After
``SETTLE`` seconds of quiet:

* **one leader**: every running node recognises the same running leader,
  whose true score is within the emergence threshold of the best's (a node
  that joined when all its seeds were down is outside the cluster, and must
  be still joining: it may not lead a cluster of its own);
* **the dead stay dead**: no running node believes alive a node that has
  been down since before the quiet period (by then longer than its
  detection time, ``SETTLE``, and long enough to be collected by the end);
* **no split leadership**: at most one node acts as leader.

The last two are checked every second from ``QUIET_FROM + SETTLE`` to the
end, the first at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from emergent_lab.exact import SimCluster
from emergent_lab.run import ClusterConfig

FAULTS_FROM = 3.0
QUIET_FROM = 30.0
SETTLE = 20.0
"""Seconds of quiet before the checks: a detection plus a few rounds of gossip.
A detection takes about 5 s at the default 3 s acceptable pause on a clean
network, but a detector that learned its intervals under the drawn loss (up
to 30 %) waits longer: up to 16 s measured (n = 3, seed 937 of the benchmark,
an isolated node hearing a crashed node's last heartbeat at the heal)."""
END = QUIET_FROM + SETTLE + 5.0
GC_AFTER = 5.0
"""Short, so that dead nodes are also collected (and tombstoned) within a schedule."""
MAX_FAULTS = 8
ACTIONS = ("crash", "restart", "pause", "join", "leave", "partition", "heal", "set_loss")


@dataclass(frozen=True)
class Fault:
    """One drawn fault: at ``at``, ``action`` on the node numbered ``who``, sized by ``size``."""

    at: float
    action: str
    who: int
    size: float


faults = st.lists(
    st.builds(
        Fault,
        at=st.floats(FAULTS_FROM, QUIET_FROM - 0.5),
        action=st.sampled_from(ACTIONS),
        who=st.integers(0, 15),
        size=st.floats(0.0, 1.0),
    ),
    max_size=MAX_FAULTS,
)


def schedule(cluster: SimCluster, drawn: list[Fault]) -> None:
    """Put the drawn faults on the cluster's timeline, then the quiet period's heal.

    A fault that cannot apply when it comes (a crash of a node already
    down) is skipped by the cluster, as in any scenario.
    """
    ids = list(cluster.config.ids)
    joined = 0
    for fault in sorted(drawn, key=lambda f: f.at):
        node = ids[fault.who % len(ids)]
        arguments: dict[str, Any] = {"node": node}
        if fault.action == "pause":  # ends before the quiet period
            arguments["duration"] = max(0.1, fault.size * (QUIET_FROM - fault.at))
        elif fault.action == "join":
            joined += 1
            arguments = {"node": f"j{joined}"}
            ids.append(arguments["node"])
        elif fault.action == "partition":
            cut = 1 + fault.who % (len(ids) - 1)
            arguments = {"groups": [ids[:cut], ids[cut:]]}
        elif fault.action == "heal":
            arguments = {}
        elif fault.action == "set_loss":
            arguments = {"loss": round(0.3 * fault.size, 3)}
        cluster.at(fault.at, fault.action, **arguments)
    cluster.at(QUIET_FROM, "heal")
    cluster.at(QUIET_FROM, "set_loss", loss=0.0)


def violations(n: int, seed: int, drawn: list[Fault]) -> list[str]:
    """Run one schedule and return what went wrong after the quiet period (empty if nothing)."""
    cluster = SimCluster(ClusterConfig.create(n, seed=seed, gc_after=GC_AFTER))
    schedule(cluster, drawn)
    cluster.run(QUIET_FROM)
    down_before_quiet = {i for i, node in cluster.nodes.items() if not node.running}
    problems: list[str] = []
    t = QUIET_FROM + SETTLE
    while t <= END:
        cluster.run(t)
        problems += [f"{t:g} s: {p}" for p in _dead_and_split(cluster, down_before_quiet)]
        t += 1.0
    problems += _one_leader(cluster)
    return problems


def _dead_and_split(cluster: SimCluster, down: set[str]) -> list[str]:
    out = []
    for node in cluster.nodes.values():
        if not node.running:
            continue
        believed = set(node.alive_peers()) & {d for d in down if not cluster.is_up(d)}
        if believed:
            out.append(f"{node.node_id} believes {sorted(believed)} alive")
    acting = cluster.acting_leaders()
    if len(acting) > 1:
        out.append(f"split leadership: {acting}")
    return out


def _one_leader(cluster: SimCluster) -> list[str]:
    running = [n for n in cluster.nodes.values() if n.running]
    outside = [n for n in running if n.joining(cluster.time)]
    for node in outside:  # a joiner is outside the cluster only while no seed of it is up
        up_seeds = [cluster.ids.ids[s] for s in node.seeds if cluster.is_up(cluster.ids.ids[s])]
        if up_seeds:
            return [f"{node.node_id} still joining although its seeds {up_seeds} are up"]
    running = [n for n in running if n not in outside]
    if not running:
        return []
    recognised = {n.id_of(n.recognised) for n in running}
    if len(recognised) != 1 or None in recognised:
        return [f"running nodes recognise {sorted(map(str, recognised))}"]
    leader = recognised.pop()
    assert leader is not None
    if not cluster.is_up(leader):
        return [f"the recognised leader {leader} is down"]
    best = cluster.best_node()
    assert best is not None
    scores = cluster.true_score
    margin = cluster.params.emergence_threshold
    index = cluster.ids.index
    if scores[index[leader]] < scores[index[best]] - margin - 1e-9:
        return [
            f"leader {leader} scores {scores[index[leader]]:.3f}, best {best} "
            f"{scores[index[best]]:.3f} (more than the emergence threshold apart)"
        ]
    return []
