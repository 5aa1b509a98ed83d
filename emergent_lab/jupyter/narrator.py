"""The event log: what just happened, told as a chain a learner can follow.

"n3 crashed → n0 suspects n3 (phi crossed 8) → 12 of 19 now follow n6 →
n6 recognised by all 19: converged". The narrator compares each live frame
with the one before, so it works for every cluster source, simulated or
real; faults and slider changes come from the source's timeline marks.
Entries are kept with their virtual time, so replay shows the log as it
stood at the replayed moment, and a fork drops the entries after it.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from emergent_lab.run.source import Mark, NodeState

from .frame import NodeFrame, Status

SHOWN = 9
"""Entries the log shows (the newest last)."""
LIMIT = 2000
"""Entries kept; older ones are dropped, oldest first."""
KIND_COLOURS = {
    "fault": "#d62728",
    "change": "#ff7f0e",
    "suspect": "#9467bd",
    "opinion": "#1f77b4",
    "leader": "#2ca02c",
    "split": "#d62728",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the log."""

    time: float
    kind: str
    """``fault``, ``change``, ``suspect``, ``opinion``, ``leader`` or ``split``."""
    text: str


class Narrator:
    """Turns frames and marks into log entries."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._suspected: dict[str, int] = {}
        self._top: tuple[str, int] | None = None
        self._status: Status | None = None

    def marks(self, marks: Sequence[Mark]) -> None:
        """Faults, skipped actions and parameter changes, as the timeline recorded them."""
        for mark in marks:
            kind = "change" if mark.kind.startswith("set_") else "fault"
            self._add(mark.time, kind, mark.label)

    def frame(
        self, frame: NodeFrame, states: Sequence[NodeState], status: Status, threshold: float
    ) -> None:
        """Note what changed since the previous live frame."""
        now = frame.time
        self._suspicions(now, states, threshold)
        self._opinions(now, frame)
        self._leadership(now, status, frame)

    def _suspicions(self, now: float, states: Sequence[NodeState], threshold: float) -> None:
        running = sum(1 for s in states if s.up)
        current = {s.node_id: s.suspected_by for s in states if s.suspected_by > 0}
        for node_id, count in current.items():
            before = self._suspected.get(node_id, 0)
            up = next(s.up for s in states if s.node_id == node_id)
            others = running - 1 if up else running
            if before == 0:
                # "Though it is up", not "falsely": behind a partition the suspicion is right.
                though = " though it is up" if up else ""
                self._add(
                    now,
                    "suspect",
                    f"{node_id} suspected by {count} of {others}{though}: "
                    f"phi crossed {threshold:g}",
                )
            elif count >= others > before:
                self._add(now, "suspect", f"all {others} running nodes now suspect {node_id}")
        for node_id in self._suspected.keys() - current.keys():
            state = next((s for s in states if s.node_id == node_id), None)
            if state is not None and state.up:
                self._add(now, "suspect", f"{node_id} trusted again")
        self._suspected = current

    def _opinions(self, now: float, frame: NodeFrame) -> None:
        up = frame.up.tolist()
        followed = Counter(
            frame.ids[f]
            for f, alive in zip(frame.follows.tolist(), up, strict=True)
            if alive and f >= 0
        )
        if not followed:
            self._top = None
            return
        leader, count = max(followed.items(), key=lambda item: (item[1], item[0]))
        if self._top is None or self._top[0] != leader:
            self._add(now, "opinion", f"{count} of {sum(up)} now follow {leader}")
        self._top = (leader, count)

    def _leadership(self, now: float, status: Status, frame: NodeFrame) -> None:
        before = self._status
        self._status = status
        if before is not None and (before.state, before.leaders) == (status.state, status.leaders):
            return
        if status.state == "converged":
            self._add(
                now,
                "leader",
                f"{status.leaders[0]} recognised by all {int(frame.up.sum())} running nodes",
            )
        elif status.state == "split":
            self._add(now, "split", status.text)
        elif before is not None and before.state in ("converged", "split"):
            self._add(now, "leader", status.text)

    def _add(self, time: float, kind: str, text: str) -> None:
        self.entries.append(Entry(time, kind, text))
        if len(self.entries) > LIMIT:
            del self.entries[: len(self.entries) - LIMIT]

    def truncate(self, time: float) -> None:
        """Forget entries after ``time`` (a fork continues from there)."""
        keep = bisect_right([e.time for e in self.entries], time)
        del self.entries[keep:]
        self._suspected, self._top, self._status = {}, None, None

    def html(self, until: float | None = None) -> str:
        """The newest entries up to ``until`` (all when None), as the log widget shows them."""
        entries = self.entries
        if until is not None:
            entries = entries[: bisect_right([e.time for e in entries], until)]
        if not entries:
            return "<i>events will be told here as they happen</i>"
        lines = [
            f'<div><span style="color:#777">{e.time:7.1f} s</span> '
            f'<span style="color:{KIND_COLOURS.get(e.kind, "#000")}">■</span> '
            f"{html.escape(e.text)}</div>"
            for e in entries[-SHOWN:]
        ]
        return "".join(lines)
