"""What a learner does to the cluster from the dashboard: pick a node, kill it, cut the network.

A mixin of :class:`~.dashboard.Dashboard`, kept apart so each file reads in
one sitting. Every action refuses to run while a past moment is replayed
(it would silently change the live cluster behind a picture of the past),
names the node it acted on, and checkpoints the cluster so replay and
"continue from here" hold the change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import cast

from emergent_lab.run.config import LEADER
from emergent_lab.run.source import ClusterSource, Sampled, capabilities_of

from .controller import Controller
from .controls import Controls
from .replay import Replay
from .serial import FairLock, serialized
from .views import DashboardViews


class NodeActions:
    """Node and network actions over the dashboard's source."""

    lock: FairLock
    source: ClusterSource
    controls: Controls
    views: DashboardViews
    controller: Controller
    replay_record: Replay
    selection: list[str]
    replay_time: float | None
    render: Callable[..., None]

    def _require_live(self, verb: str) -> None:
        if self.replay_time is not None:
            raise ValueError(
                f"{verb}: replaying t = {self.replay_time:.1f} s; "
                "press live, or continue from here to fork the run"
            )

    @serialized
    def select(self, node_id: str | None) -> None:
        """Select a node as a tap on it would (None clears the selection).

        On a sampled cluster, an undrawn node is added to the drawing first.
        """
        ids = list(self.source.node_ids())
        if (
            node_id is not None
            and node_id not in ids
            and capabilities_of(self.source).size is not None
        ):
            cast(Sampled, self.source).draw(node_id)
            self.render()
            ids = list(self.source.node_ids())
        if node_id is not None and node_id not in ids:
            raise ValueError(f"node: unknown node {node_id!r}")
        self.views.nodes.selected.indices = [] if node_id is None else [ids.index(node_id)]

    def target(self) -> str:
        """The node the node actions apply to: the selected one, or whoever leads now."""
        self._require_live("node")
        chosen = self.controls.target.value
        if chosen != LEADER:
            return str(chosen)
        leader = self.source.leader()
        if leader is not None:
            return leader
        states = self.source.nodes()
        acting = [s.node_id for s in states if s.acting]
        if acting:
            return acting[0]
        opinions = Counter(s.opinion for s in states if s.up and s.opinion)
        if not opinions:
            raise ValueError("node: 'leader' chosen, but no node follows any leader yet")
        return opinions.most_common(1)[0][0]

    @serialized
    def kill(self) -> str:
        """Crash the target node; returns its id."""
        node_id = self.target()
        self.source.kill(node_id)
        self.changed()
        self.controller.say(f"killed {node_id}")
        return node_id

    @serialized
    def revive(self) -> str:
        """Restart the target node."""
        node_id = self.target()
        self.source.revive(node_id)
        self.changed()
        self.controller.say(f"revived {node_id}")
        return node_id

    @serialized
    def pause_node(self, seconds: float) -> str:
        """Stall the target node for ``seconds``."""
        node_id = self.target()
        self.source.pause(node_id, seconds)
        self.changed()
        self.controller.say(f"paused {node_id} for {seconds:g} s")
        return node_id

    @serialized
    def boost(self) -> str:
        """Make the target node the best candidate."""
        node_id = self.target()
        self.source.boost(node_id)
        self.changed()
        self.controller.say(f"{node_id} is now the best candidate")
        return node_id

    @serialized
    def partition(self, groups: Sequence[Sequence[str]] | str) -> None:
        """Partition the network into groups, or ``"half"``."""
        self._require_live("partition")
        self.source.partition(groups)
        self.changed()
        self.controller.say("partitioned")

    @serialized
    def partition_selection(self) -> None:
        """Cut the selected nodes (box or lasso selection) off from the others."""
        chosen = set(self.selection)
        if not chosen:
            raise ValueError("partition: select a group of nodes first (box or lasso tool)")
        rest = [i for i in self.source.node_ids() if i not in chosen]
        self.partition([sorted(chosen, key=list(self.source.node_ids()).index), rest])

    @serialized
    def heal(self) -> None:
        """Heal every partition."""
        self._require_live("heal")
        self.source.heal()
        self.changed()
        self.controller.say("healed")

    @serialized
    def loss_burst(self, probability: float, seconds: float) -> None:
        """Lose messages with ``probability`` for ``seconds``, then restore the loss."""
        self._require_live("loss burst")
        self.source.loss(probability, seconds)
        self.changed()
        self.controller.say(f"loss {probability:g} for {seconds:g} s")

    @serialized
    def changed(self) -> None:
        """The cluster was just changed by hand: checkpoint it, so replay and forks hold it."""
        self.replay_record.remember(self.source, changed=True)
