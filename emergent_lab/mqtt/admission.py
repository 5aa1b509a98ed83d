"""Which ids may enter a process's tables, and which leave to make room.

On an open broker anyone can name ids: a gossip syn listing ten thousand
invented nodes once filled the id table, after which every message naming a
real newcomer was refused and the cluster split for good. So an id enters
only on evidence that it exists, and a full table makes room instead of
refusing:

- an id merely *named* (in a digest, a request or as an opinion) enters
  nothing: it is ignored until someone hands over its state;
- an id whose *state* a peer hands over enters as *provisional*, vouched for by
  that peer; one sender vouches for at most :data:`PER_SENDER` provisional ids
  at a time, so a single sender cannot fill the table;
- a device heartbeat on its own topic, an agent's status and a gossip sender
  are direct evidence: the id vouches for itself;
- a provisional id is *established* once it has shown a live heartbeat
  (two heartbeats newer than the first one held), which a one-shot flood
  never does;
- ids never established are evicted once they hold no state for
  ``grace`` seconds (never sent one, or collected as dead); when the table
  is full a newcomer takes the slot of the least valuable entry: a stateless
  provisional id first, then a tombstone, then the oldest provisional id.
  Established members, the node itself, its opinion, its recognised leader
  and its seeds are never evicted.

The table therefore never holds more than ``max_ids`` ids, and a flood of
invented ids costs a real member at most a wait for the flood's entries to
be displaced, never a refusal. Slots are reused (:class:`RecyclingIdTable`),
so the node's view arrays stay at ``max_ids`` rows.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from emergent_lab.core.ids import IdTable, validate_node_id
from emergent_lab.protocol.node import Node

PER_SENDER = 64
"""Most provisional ids one sender may vouch for at a time."""
ESTABLISHED_BEATS = 2
"""Heartbeats beyond the first held that make a provisional id an established member."""
_FREE = ""
"""Placeholder id of a free slot (never a valid id, never sent: its slot holds no state)."""


class RecyclingIdTable(IdTable):
    """An id table whose slots can be released and reused by later ids."""

    def __init__(self) -> None:
        super().__init__()
        self.free: list[int] = []

    def intern(self, node_id: str) -> int:
        """Return the index of ``node_id``, reusing a released slot if there is one."""
        found = self.index.get(node_id)
        if found is not None or not self.free:
            return found if found is not None else super().intern(node_id)
        validate_node_id(node_id)
        slot = self.free.pop()
        self.ids[slot] = node_id
        self.index[node_id] = slot
        self._stale = True
        return slot

    def release(self, slot: int) -> None:
        """Forget the id of ``slot``; its index goes to the next new id."""
        del self.index[self.ids[slot]]
        self.ids[slot] = _FREE
        self.free.append(slot)
        self._stale = True

    @property
    def used(self) -> int:
        """Slots holding an id."""
        return len(self.ids) - len(self.free)


@dataclass
class _Provisional:
    voucher: str
    """Who vouched for the id ("" when it vouched for itself)."""
    since: float
    first_beat: int = -1


class Admission:
    """Admits ids into one process's table on evidence and evicts to keep it bounded.

    Args:
        ids: the process's id table (a :class:`RecyclingIdTable` to evict; a
            plain table is only capped).
        max_ids: the most ids the table may hold.
        per_sender: the most provisional ids one sender may vouch for.
        grace: seconds a provisional id may hold no state before it is evicted.
        clock: monotonic seconds.
    """

    def __init__(
        self,
        ids: IdTable,
        *,
        max_ids: int,
        per_sender: int = PER_SENDER,
        grace: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ids = ids
        self.max_ids = max_ids
        self.per_sender = per_sender
        self.grace = grace
        self.clock = clock
        self.node: Node | None = None
        self.evicted = 0
        self.on_evict: list[Callable[[str], None]] = []
        """Called with each evicted id, so other per-id state can forget it too."""
        self._provisional: dict[int, _Provisional] = {}
        self._vouched: Counter[str] = Counter()

    def attach(self, node: Node) -> None:
        """From now on evictions clear the slot in ``node``'s view."""
        self.node = node

    @property
    def provisional(self) -> int:
        """Ids admitted but not established yet."""
        return len(self._provisional)

    def is_provisional(self, slot: int) -> bool:
        """Whether the id of ``slot`` was admitted and has not shown a live heartbeat yet."""
        return slot in self._provisional

    def admit(self, node_id: str, voucher: str, protect: Iterable[str] = ()) -> bool:
        """Intern ``node_id`` if it is known or there is room for it; False if refused.

        ``voucher`` is who gave the evidence (``node_id`` itself for direct
        evidence); ``protect`` names ids the caller is about to use, which
        must not be evicted to make room.
        """
        if node_id in self.ids.index:
            return True
        if voucher != node_id and self._vouched[voucher] >= self.per_sender:
            return False
        if self._used() >= self.max_ids and not self._make_room(set(protect) | {voucher}):
            return False
        slot = self.ids.intern(node_id)
        vouched = voucher if voucher != node_id else ""
        self._provisional[slot] = _Provisional(vouched, self.clock())
        if vouched:
            self._vouched[vouched] += 1
        return True

    def sweep(self) -> None:
        """Establish the provisional ids that heartbeat; evict those stateless past the grace."""
        node = self.node
        if node is None:
            return
        now = self.clock()
        view = node.view
        for slot, entry in list(self._provisional.items()):
            if slot >= view.capacity or not view.known[slot]:
                if now - entry.since > self.grace and self._evictable(slot, set()):
                    self._evict(slot)
                continue
            beat = int(view.heartbeat[slot])
            if entry.first_beat < 0:
                entry.first_beat = beat
            elif beat >= entry.first_beat + ESTABLISHED_BEATS:
                self._forget_provisional(slot)

    # -- eviction ----------------------------------------------------------------------

    def _used(self) -> int:
        ids = self.ids
        return ids.used if isinstance(ids, RecyclingIdTable) else len(ids)

    def _evictable(self, slot: int, protect: set[str]) -> bool:
        node = self.node
        if self.ids.ids[slot] in protect:
            return False
        if node is None:
            return True
        return slot not in (node.index, node.opinion, node.recognised) and slot not in set(
            node.seeds.tolist()
        )

    def _make_room(self, protect: set[str]) -> bool:
        """Evict the least valuable evictable entries; False if there is none.

        A batch of a sixteenth of the table goes at once, so a flood costs
        one scan of the table per batch rather than per newcomer.
        """
        if not isinstance(self.ids, RecyclingIdTable):
            return False
        self.sweep()
        if self._used() < self.max_ids:
            return True
        victims = self._victims(protect, max(1, self.max_ids // 16))
        for slot in victims:
            self._evict(slot)
        return bool(victims)

    def _victims(self, protect: set[str], count: int) -> list[int]:
        node = self.node
        known = node.view.known if node is not None else np.zeros(0, dtype=bool)
        held = [s for s in self._provisional if s < known.shape[0] and known[s]]
        stateless = [s for s in self._provisional if s >= known.shape[0] or not known[s]]
        tombstones: list[int] = []
        if node is not None:
            view = node.view
            tombstones = np.flatnonzero(~view.known & (view.key != 0)).tolist()
            tombstones = [s for s in tombstones if s not in self._provisional]
        victims: list[int] = []
        for group in (stateless, tombstones, held):
            for slot in sorted(group, key=self._age):
                if len(victims) == count:
                    return victims
                if self._evictable(slot, protect):
                    victims.append(slot)
        return victims

    def _age(self, slot: int) -> float:
        entry = self._provisional.get(slot)
        return entry.since if entry is not None else -np.inf

    def _evict(self, slot: int) -> None:
        ids = self.ids
        assert isinstance(ids, RecyclingIdTable)
        node_id = ids.ids[slot]
        self._forget_provisional(slot)
        if self.node is not None and slot < self.node.view.capacity:
            self.node.view.forget(np.array([slot], dtype=np.int64))
            if slot < self.node.alive_mask.shape[0]:
                self.node.alive_mask[slot] = False
        ids.release(slot)
        self.evicted += 1
        for callback in self.on_evict:
            callback(node_id)

    def _forget_provisional(self, slot: int) -> None:
        entry = self._provisional.pop(slot, None)
        if entry is not None and entry.voucher:
            self._vouched[entry.voucher] -= 1
            if self._vouched[entry.voucher] <= 0:
                del self._vouched[entry.voucher]
