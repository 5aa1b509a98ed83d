"""The retained leader topic: one writer per change, and repaired when it goes wrong.

Devices and scripts act on ``emergent/<cluster>/leader`` without speaking the
protocol, so what it holds must be right. Every agent reads it and compares
it with the leader it recognises itself; the value is *wrong* when it is
missing (deleted, or lost with a broker restart), refused by the inbox
(unsigned, badly signed, malformed), stale (its stamp is not newer than one
already seen from the same announcer, or it is one of this agent's own past
announcements) or names another leader; for the leader itself, also when
another agent wrote it (it restates it under its own stamp).

One writer per change: only the *writer* announces when recognition changes,
the recognised leader itself, or, when the leader is a device (which cannot
announce), the agent that sorts first among the agents alive to it. Any
other agent repairs a wrong value only after it stayed wrong for ``grace``
seconds (one heartbeat interval), which covers a writer that died or has
not noticed yet. The agent checks every half heartbeat interval, so a spoof,
a deletion or a stale value is corrected within two heartbeat intervals. A
freshly (re)started agent stays off the topic for five gossip intervals, while
it may still believe itself alone, and a reconnected one until the others had
time to reconnect too (see ``Agent._settled``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from emergent_lab.mqtt.reports import LeaderAnnouncement
from emergent_lab.protocol.messages import StateBatch
from emergent_lab.protocol.view import MergeResult

MAX_ANNOUNCERS = 1024
"""Announcers whose newest stamp is remembered (the least recently seen is forgotten)."""


class Stamps:
    """The newest stamp seen from each announcer, to refuse replayed announcements."""

    def __init__(self) -> None:
        self._newest: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def fresh(self, announcement: LeaderAnnouncement) -> bool:
        """False if not newer than the newest seen from its announcer (then a replay)."""
        last = self._newest.get(announcement.by)
        if last is not None and announcement.stamp < last:
            return False
        self._newest[announcement.by] = announcement.stamp
        self._newest.move_to_end(announcement.by)
        while len(self._newest) > MAX_ANNOUNCERS:
            self._newest.popitem(last=False)
        return True


class LeaderPublisher:
    """A node listener that keeps the retained leader topic right.

    Args:
        publish: sends one announcement (retained) to the leader topic.
        me: this agent's id, the announcer stamped on what it publishes.
        generation: this agent's incarnation.
        grace: seconds a wrong value is left to the writer before anyone repairs it.
        writer: whether this agent is the writer, given its node.
        wall_clock: unix time for the ``since`` field (``time.time`` by default).
    """

    def __init__(
        self,
        publish: Callable[[LeaderAnnouncement], None],
        *,
        me: str,
        generation: int,
        grace: float,
        writer: Callable[[Any], bool],
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.publish = publish
        self.me = me
        self.generation = generation
        self.grace = grace
        self.writer = writer
        self.wall_clock = wall_clock
        self.seq = 0
        self.retained: LeaderAnnouncement | None = None
        """What the topic holds, if it is valid and fresh (None: missing, refused or stale)."""
        self.published = 0
        self.stale = 0
        self.stamps = Stamps()
        self._wrong_since: float | None = None

    # -- what the topic holds -------------------------------------------------------

    def seen(self, announcement: LeaderAnnouncement | None) -> None:
        """Record what the topic now holds (None: deleted, or refused by the inbox)."""
        if announcement is not None and not self.fresh(announcement):
            self.stale += 1
            announcement = None
        self.retained = announcement

    def fresh(self, announcement: LeaderAnnouncement) -> bool:
        """False for a replay: not newer than the newest seen from its announcer.

        This agent's own announcements must be the one it published last;
        an older incarnation of it is stale by its generation.
        """
        if announcement.by == self.me:
            return announcement.stamp == (self.generation, self.seq)
        return self.stamps.fresh(announcement)

    def forget(self) -> None:
        """After a reconnect the broker may have lost its retained messages."""
        self.retained = None

    # -- writing ------------------------------------------------------------------------

    def announce(self, node: Any) -> None:
        """Publish the node's recognised leader, stamped, unless the topic already says so.

        The writer also keeps the ``members`` count current.
        """
        leader = node.id_of(node.recognised)
        members = int(np.count_nonzero(node.alive_mask))
        retained = self.retained
        if leader is None:
            return
        if retained is not None and retained.leader == leader:
            if retained.members == members and self._owned(node, retained):
                return
            since = retained.since
        else:
            since = round(self.wall_clock(), 3)
        self.seq += 1
        announcement = LeaderAnnouncement(
            leader, since, members, by=self.me, generation=self.generation, seq=self.seq
        )
        self.retained = announcement
        self._wrong_since = None
        self.published += 1
        self.publish(announcement)

    def _owned(self, node: Any, retained: LeaderAnnouncement) -> bool:
        """Whether the leader itself need not restate a right value: only its own will do.

        Another agent may have written the right leader (a repair while the
        leader was still quiet after its start, or a replay of such a repair,
        which is as fresh as that agent's newest): the leader restates it under
        its own stamp, so the topic ends up holding the leader's newest
        announcement and a replay of anyone's is superseded. Only the acting
        leader insists, and only one node can be it, so two agents never
        overwrite each other over a value they agree on.
        """
        return not node.acting or retained.by == self.me

    def node_changed(self, node: Any, now: float) -> None:
        """The node's recognition may have changed: the writer announces it."""
        if self.writer(node):
            self.announce(node)

    def suspicions_changed(
        self, node: Any, suspected: np.ndarray, restored: np.ndarray, now: float
    ) -> None:
        """Membership changed: the writer refreshes the announced member count."""
        if self.writer(node):
            self.announce(node)

    def states_merged(self, node: Any, deltas: StateBatch, result: MergeResult) -> None:
        """Nothing to announce: only a change of recognition or membership is."""

    def check(self, node: Any, now: float) -> None:
        """Repair a wrong value: at once by the writer, after ``grace`` by anyone else."""
        leader = node.id_of(node.recognised)
        retained = self.retained
        if leader is None or (
            retained is not None and retained.leader == leader and self._owned(node, retained)
        ):
            self._wrong_since = None
            return
        if self._wrong_since is None:
            self._wrong_since = now
        if self.writer(node) or now - self._wrong_since >= self.grace:
            self.announce(node)
