"""Reading an :class:`ArrayCluster` from outside a round, without changing it.

The engine's own reader, ``view.look``, is part of a round: it flags the
entries that just turned suspected and queues them for the observer, so
calling it between rounds would move suspicions (and the detection figures)
to other times. A dashboard reads between rounds, every frame, and must not
change the run it shows, so these readers only index the view arrays
(``TopKView.head`` and ``.timing``, ``FullView.entries``) and return copies. Phi is computed
from an entry's detector fields with the scalar detectors' own formulas, so
an inspected phi is the number the exact engine would show.

The array engine's observer keeps the cluster timeline only (per-node records
of a million nodes would be millions of objects per failover), so
:class:`SampledRecord` records the few nodes a reader cares about, for replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emergent_lab.array.cluster import ArrayCluster
from emergent_lab.array.detector import EntryDetector
from emergent_lab.array.kernels import COUNT, HB, ID, KEY, LAST, SCORE, SUSPECT, TOTAL, TOTAL_SQ
from emergent_lab.array.views import FullView
from emergent_lab.core.arrays import BoolArray, FloatArray, IntArray
from emergent_lab.core.timeline import index_in_force
from emergent_lab.detector.sums import entry_phi
from emergent_lab.protocol.messages import VERSION_BITS

NodeRecord = tuple[bool, int, int, bool]
"""(up, opinion, recognised, acting) of one node; -1 for no node."""


@dataclass(frozen=True)
class HeldEntries:
    """What one node holds about its peers, one row per peer (itself excluded), as copies."""

    peer: IntArray
    generation: IntArray
    heartbeat: IntArray
    score: FloatArray
    detector: FloatArray
    """(rows, 5): last arrival, interval count, sum, sum of squares, suspect-at time."""


class ViewReader:
    """Side-effect-free reads of an array cluster's views (either view model).

    Args:
        cluster: the cluster to read; it is never advanced or written.
    """

    def __init__(self, cluster: ArrayCluster) -> None:
        self.cluster = cluster
        self.detector = EntryDetector(cluster.params.detector)

    def held(self, node: int) -> HeldEntries:
        """The entries ``node``'s view holds now, other than its own state."""
        view = self.cluster.view
        if isinstance(view, FullView):
            e = view.entries
            known = e.key[node] > 0
            known[node] = False
            cols = np.flatnonzero(known)
            fields = (e.last, e.count, e.total, e.total_sq, e.suspect_at)
            return HeldEntries(
                peer=cols.astype(np.int64),
                generation=e.key[node, cols] >> VERSION_BITS,
                heartbeat=e.hb[node, cols].copy(),
                score=e.score[node, cols].copy(),
                detector=np.column_stack([f[node, cols].astype(np.float64) for f in fields]),
            )
        listed = view.head[node, :, ID] >= 0
        rows, timing = view.head[node][listed], view.timing[node][listed]
        return HeldEntries(
            peer=rows[:, ID].astype(np.int64),
            generation=rows[:, KEY].astype(np.int64) >> VERSION_BITS,
            heartbeat=rows[:, HB].astype(np.int64),
            score=rows[:, SCORE].copy(),
            detector=timing[:, [LAST, COUNT, TOTAL, TOTAL_SQ, SUSPECT]],
        )

    def alive(self, held: HeldEntries) -> BoolArray:
        """Which held entries the holder believes alive now (the engine's own test)."""
        return self.detector.alive(held.detector[:, 4], self.cluster.time)

    def phi(self, held: HeldEntries) -> list[float]:
        """Phi of every held entry now."""
        params, now = self.cluster.params.detector, self.cluster.time
        return [entry_phi(params, now, *row) for row in held.detector[:, :4].tolist()]

    def suspected_by(self, observers: IntArray, subjects: IntArray) -> IntArray:
        """Per subject, how many of ``observers`` hold it and believe it not alive now."""
        view, now = self.cluster.view, self.cluster.time
        if isinstance(view, FullView):
            e = view.entries
            cells = np.ix_(observers, subjects)
            dead = (e.key[cells] > 0) & ~self.detector.alive(e.suspect_at[cells], now)
            dead &= observers[:, None] != subjects[None, :]
            counts: IntArray = dead.sum(axis=0).astype(np.int64)
            return counts
        if not subjects.size:
            return np.zeros(0, dtype=np.int64)
        ids = view.head[observers, :, ID].astype(np.int64)
        dead_ids = ids[(ids >= 0) & ~self.detector.alive(view.timing[observers, :, SUSPECT], now)]
        order = np.argsort(subjects, kind="stable")
        ranked = subjects[order]
        at = np.minimum(np.searchsorted(ranked, dead_ids), ranked.size - 1)
        hit = ranked[at] == dead_ids
        found: IntArray = np.bincount(order[at[hit]], minlength=subjects.size).astype(np.int64)
        return found


def node_records(cluster: ArrayCluster, nodes: IntArray) -> IntArray:
    """(len(nodes), 4) rows of (up, opinion, recognised, acting); a down node holds no opinion."""
    up = cluster.up[nodes]
    return np.column_stack(
        [
            up.astype(np.int64),
            np.where(up, cluster.opinion[nodes], -1),
            np.where(up, cluster.recognised[nodes], -1),
            (up & cluster.acting[nodes]).astype(np.int64),
        ]
    )


class SampledRecord:
    """Change-only records of some nodes' (up, opinion, recognised, acting), for replay.

    A node followed only from some time on has no record before it, like a
    node that had not joined yet.
    """

    def __init__(self) -> None:
        self.nodes: IntArray = np.zeros(0, dtype=np.int64)
        self._last: IntArray = np.zeros((0, 4), dtype=np.int64)
        self._row: dict[int, int] = {}
        self._times: list[list[float]] = []
        self._values: list[list[NodeRecord]] = []

    def follow(self, cluster: ArrayCluster, nodes: Sequence[int]) -> None:
        """Start recording ``nodes`` (those not followed yet), from their state now."""
        new = [int(i) for i in dict.fromkeys(nodes) if int(i) not in self._row]
        if not new:
            return
        added = np.array(new, dtype=np.int64)
        current = node_records(cluster, added)
        for node, values in zip(new, current.tolist(), strict=True):
            self._row[node] = len(self._times)
            self._times.append([cluster.time])
            self._values.append([_as_record(values)])
        self.nodes = np.concatenate([self.nodes, added])
        self._last = np.vstack([self._last, current])

    def record(self, cluster: ArrayCluster) -> None:
        """Append the state of every followed node that changed since the last record."""
        current = node_records(cluster, self.nodes)
        changed = np.flatnonzero((current != self._last).any(axis=1))
        for row in changed.tolist():
            self._times[row].append(cluster.time)
            self._values[row].append(_as_record(current[row].tolist()))
        self._last = current

    def at(self, node: int, time: float) -> NodeRecord | None:
        """The record of ``node`` in force at ``time`` (None if not followed by then)."""
        row = self._row.get(node)
        if row is None:
            return None
        i = index_in_force(self._times[row], time)
        return self._values[row][i] if i >= 0 else None


def _as_record(values: list[int]) -> NodeRecord:
    return bool(values[0]), values[1], values[2], bool(values[3])
