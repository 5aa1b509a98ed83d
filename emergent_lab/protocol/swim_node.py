"""The emergent-leader node with SWIM/Lifeguard instead of phi accrual as its detector.

Why: the pattern's leader rule needs only "which peers are up"; where that
answer comes from is a choice, and the detector most gossip systems ship is
SWIM with Lifeguard, not phi. This node keeps everything of ``Node`` (gossip,
leader rule, recognition) and takes liveness from a ``SwimMember`` that
probes the peers the gossip made known: a peer is up while SWIM holds it
alive or merely suspected, down once SWIM declares it dead.

What stays phi's: the view's detector bank still records gossip heartbeats,
and a peer's state is collected (``gc_after``) from the phi bank's
``suspect_at``, as for the emergent protocol; a node's state stops being
gossiped once SWIM (through the leader rule's liveness mask) holds it dead,
so phi follows soon after. A restart announces itself with an incarnation
above any of its previous generation's (generation x 2^20), so the members
that declared the old one dead take the new one back at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from emergent_lab.detector.lifeguard import SwimParams
from emergent_lab.protocol.messages import STATUS_UP, Message
from emergent_lab.protocol.node import Node
from emergent_lab.protocol.swim import SwimMember
from emergent_lab.protocol.swim_messages import KINDS, SwimMessage

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from emergent_lab.protocol.member import MemberOptions

INCARNATIONS_PER_GENERATION = 1 << 20
"""Refutations one generation may make before its incarnations would reach the next's."""


class SwimNode(Node):
    """A ``Node`` whose failure detector is SWIM with (or without) Lifeguard.

    Args are those of ``Node``, plus ``swim``: the SWIM/Lifeguard settings.
    """

    message_kinds = KINDS
    """SWIM's probes travel beside gossip (for the event log's codes)."""

    def __init__(
        self, node_id: str, *, swim: SwimParams | None = None, **members: Unpack[MemberOptions]
    ) -> None:
        super().__init__(node_id, **members)
        self.swim = SwimMember(
            self.index,
            params=swim or SwimParams(),
            clock=self.clock,
            transport=self.transport,
            rng=self.rng,
            members=self._members,
            incarnation=(self.generation - 1) * INCARNATIONS_PER_GENERATION,
            defer=self._defer,
            on_change=self._swim_changed,
        )

    def _members(self) -> np.ndarray:
        v = self.view
        members: np.ndarray = np.flatnonzero(v.known & (v.status == STATUS_UP))
        return members

    def start(self) -> None:
        """Start gossiping, heartbeating and probing."""
        if self.running:
            return
        super().start()
        self.swim.start()

    def stop(self) -> None:
        """Stop everything at once, as in a crash."""
        super().stop()
        self.swim.stop()

    def receive(self, message: Message | SwimMessage) -> None:
        """SWIM's messages go to the member, gossip to the node."""
        if isinstance(message, SwimMessage):
            self.swim.receive(message)
        else:
            super().receive(message)

    def _available(self, now: float) -> np.ndarray:
        """Per peer of the view, whether SWIM holds it alive or only suspected."""
        self.swim.watch()
        available = np.zeros(self.view.capacity, dtype=bool)
        held = self.swim.available()[: available.shape[0]]
        available[: held.shape[0]] = held
        return available

    def _swim_changed(self, member: int, dead: bool) -> None:
        """SWIM declared a member dead, or took one back: the leader rule runs again."""
        if self.running:
            self.evaluate()
