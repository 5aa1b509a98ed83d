"""What the protocol needs from the world: a clock and a way to send messages.

The node is written against these two interfaces only, so the same code runs
on the simulator (virtual time, simulated network) and on MQTT (asyncio loop
time, a broker).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from emergent_lab.protocol.messages import Message, StateBatch

if TYPE_CHECKING:
    from emergent_lab.protocol.member import Member
    from emergent_lab.protocol.view import MergeResult


class Cancellable(Protocol):
    """A scheduled callback that can be cancelled."""

    def cancel(self) -> None:
        """Stop the callback from running."""
        ...


class Clock(Protocol):
    """Time as the node sees it, in seconds, and timers on that time."""

    def now(self) -> float:
        """Return the current time in seconds."""
        ...

    def call_later(self, delay: float, callback: Callable[[], Any]) -> Cancellable:
        """Run ``callback`` after ``delay`` seconds."""
        ...


class Transport(Protocol):
    """Delivers a node's messages to other nodes, addressed by id-table index."""

    def send(self, src: int, dst: int, message: Message) -> None:
        """Send ``message`` from ``src`` to ``dst``; it may be delayed or lost."""
        ...


class NodeListener(Protocol):
    """Told when a node's opinion, recognised leader or suspicions change, and what it merged.

    The simulator's observer and the MQTT bridge's leader publisher are
    listeners; the protocol itself never needs one. Only a causal record
    reads merges (which states a message taught, and what they replaced).
    """

    def node_changed(self, node: Member, now: float) -> None:
        """The node's opinion, recognised leader or acting flag changed."""
        ...

    def suspicions_changed(
        self, node: Member, suspected: np.ndarray, restored: np.ndarray, now: float
    ) -> None:
        """The node started suspecting ``suspected`` and stopped suspecting ``restored``."""
        ...

    def states_merged(self, node: Member, deltas: StateBatch, result: MergeResult) -> None:
        """The node took newer states from ``deltas`` (``result``: which, and what they replaced).

        Called before the node re-evaluates, so before any change it reports
        because of them.
        """
        ...


class SilentListener:
    """A listener that ignores everything: the default for a node on its own."""

    def node_changed(self, node: Member, now: float) -> None:
        """Ignore the change."""

    def suspicions_changed(
        self, node: Member, suspected: np.ndarray, restored: np.ndarray, now: float
    ) -> None:
        """Ignore the change."""

    def states_merged(self, node: Member, deltas: StateBatch, result: MergeResult) -> None:
        """Ignore the merge."""
