"""Colours of the dashboard: a node takes the colour of the leader it follows.

A leader keeps its colour for as long as anyone follows it, and a new leader
takes the first colour nobody holds. So over a failover only the nodes that
change their opinion change colour: the survivors of the old flock keep
theirs until they move, and the cluster does not flash into new colours all
at once (which, when each leader's colour came from its own index, read as
an error). The first colour is the one most followed in a quiet cluster.
"""

from __future__ import annotations

from bokeh.palettes import Category10

from .frame import NodeFrame

PALETTE: tuple[str, ...] = tuple(Category10[10])
"""Colours handed to leaders in turn (blue first)."""
NO_OPINION = "#c8c8c8"
"""A node that follows nobody yet (joining, or just restarted)."""
DOWN = "#4a4a4a"
"""A crashed or departed node."""


class LeaderColours:
    """Hands out palette colours to leaders, keeping each while it has followers."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    def of(self, frame: NodeFrame) -> list[str]:
        """Per node of ``frame``, the colour of the leader it follows (grey: none; dark: down)."""
        followed = [
            frame.ids[f] if up and f >= 0 else None
            for up, f in zip(frame.up.tolist(), frame.follows.tolist(), strict=True)
        ]
        present = {leader for leader in followed if leader is not None}
        for leader in list(self._held):
            if leader not in present:
                del self._held[leader]
        # Most-followed first, ties by id: deterministic, and the big flock gets the low colour.
        counts = {leader: followed.count(leader) for leader in present}
        for leader in sorted(present - set(self._held), key=lambda x: (-counts[x], x)):
            taken = set(self._held.values())
            free = next((k for k in range(len(PALETTE)) if k not in taken), len(self._held))
            self._held[leader] = free
        return [
            DOWN
            if not up
            else NO_OPINION
            if leader is None
            else PALETTE[self._held[leader] % len(PALETTE)]
            for up, leader in zip(frame.up.tolist(), followed, strict=True)
        ]

    def legend(self) -> list[tuple[str, str]]:
        """(leader, colour) for every leader that has followers, in palette order."""
        return [
            (leader, PALETTE[k % len(PALETTE)])
            for leader, k in sorted(self._held.items(), key=lambda item: item[1])
        ]

    def forget(self) -> None:
        """Start again (a new cluster after Reset)."""
        self._held.clear()
