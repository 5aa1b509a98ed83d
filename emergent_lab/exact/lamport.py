"""What a message-sequence (space-time, Lamport) diagram of a run shows, without drawing it.

Arrows are messages (SYN, ACK, ACK2) with what they taught their receiver
that mattered: a new node, a new generation, a changed score or opinion. A
message that only moved heartbeats on is *folded* (the view hides those
unless asked). Marks are the changes a reader looks for: suspicions,
opinion moves and recognitions. Each mark carries its causal past: the
messages that brought that information to that node, found by walking the
recorded causes back (the message being handled, the event that sent it, …)
and the hops the new leader's state took. The Jupyter layer draws this.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emergent_lab.exact.causality import Change
from emergent_lab.exact.explain import Explainer

if TYPE_CHECKING:
    from emergent_lab.exact.cluster import SimCluster

MAX_CHAIN = 40
"""Hops walked back along causes for one mark (a chain goes back to the run's start)."""


@dataclass
class Arrows:
    """One row per message: columns ready for a plotting library."""

    id: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    src: list[str] = field(default_factory=list)
    dst: list[str] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    """Arrival time; a dropped message ends where it was lost (its send time + 0.02 s)."""
    dropped: list[bool] = field(default_factory=list)
    folded: list[bool] = field(default_factory=list)
    """Taught nothing but heartbeats (or nothing at all)."""
    label: list[str] = field(default_factory=list)


@dataclass
class Marks:
    """One row per suspicion, opinion move or recognition."""

    node: list[str] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    """``"suspicion"``, ``"opinion"`` or ``"recognition"``."""
    text: list[str] = field(default_factory=list)
    past: list[list[int]] = field(default_factory=list)
    """Ids of the messages in the mark's causal past (newest first)."""


@dataclass
class SequenceData:
    """Arrows and marks of a run between ``start`` and ``end``."""

    start: float
    end: float
    arrows: Arrows
    marks: Marks


def sequence_data(
    cluster: SimCluster,
    *,
    start: float = 0.0,
    end: float | None = None,
    nodes: Collection[str] | None = None,
) -> SequenceData:
    """The diagram's content for messages sent and changes made in ``[start, end]``.

    ``nodes``, if given, keeps only the messages sent or received by one of
    them and the marks of those nodes: everything a diagram with those
    lanes (and one more) can draw. At 1,000 nodes a six-second window holds
    some fifty thousand messages and thousands of marks, each mark with its
    causal past walked back; a panel showing five lanes needs a few hundred.
    """
    explainer = Explainer(cluster)
    recorder = explainer.recorder
    ids = cluster.ids.ids
    stop = cluster.time if end is None else end
    keep = (
        None if nodes is None else {cluster.ids.index[n] for n in nodes if n in cluster.ids.index}
    )
    sent = recorder.messages(start=start, stop=stop, nodes=keep)
    taught = _taught(explainer, start, stop, None if keep is None else {m.id for m in sent})
    arrows = Arrows()
    for m in sent:
        carried = taught.get(m.id, [])
        arrows.id.append(m.id)
        arrows.kind.append(m.kind.upper())
        arrows.src.append(ids[m.src])
        arrows.dst.append(ids[m.dst])
        arrows.sent.append(m.sent)
        arrows.dropped.append(m.fate != "delivered")
        arrows.arrived.append(m.arrived if m.fate == "delivered" else m.sent + 0.02)
        arrows.folded.append(not carried)
        label = m.kind.upper() + (": news of " + ", ".join(carried) if carried else "")
        arrows.label.append(label + (" (lost)" if m.fate != "delivered" else ""))
    marks = Marks()
    recognised: dict[int, int] = {}
    for c in recorder.changes:
        if c.kind == "decided":
            before = recognised.get(c.node, -1)
            recognised[c.node] = c.recognised
        if not start <= c.time <= stop or (keep is not None and c.node not in keep):
            continue
        if c.kind == "suspected":
            text = f"{ids[c.node]} suspects {ids[c.subject]} at {c.time:.2f} s (phi {c.phi:.1f})"
            _mark(marks, explainer, c, "suspicion", text)
        elif c.kind == "decided" and c.opinion != c.previous:
            who = ids[c.opinion] if c.opinion >= 0 else "no one"
            _mark(marks, explainer, c, "opinion", f"{ids[c.node]} follows {who} at {c.time:.2f} s")
        elif c.kind == "decided" and c.recognised != before and c.recognised >= 0:
            text = f"{ids[c.node]} recognises {ids[c.recognised]} at {c.time:.2f} s"
            _mark(marks, explainer, c, "recognition", text)
    return SequenceData(start, stop, arrows, marks)


def _taught(
    explainer: Explainer, start: float, stop: float, wanted: set[int] | None
) -> dict[int, list[str]]:
    """Per message id sent in the window (and in ``wanted``), the states it taught that mattered."""
    ids = explainer.ids
    out: dict[int, list[str]] = {}
    for batch in explainer.recorder.learned_since(start):
        if wanted is not None and batch.cause not in wanted:
            continue
        if batch.mattered.any():
            subjects = batch.subjects[batch.mattered].tolist()
            out[batch.cause] = [ids[i] for i in subjects]
    return out


def _mark(marks: Marks, explainer: Explainer, change: Change, kind: str, text: str) -> None:
    marks.node.append(explainer.ids[change.node])
    marks.time.append(change.time)
    marks.kind.append(kind)
    marks.text.append(text)
    marks.past.append(causal_past(explainer, change))


def causal_past(explainer: Explainer, change: Change) -> list[int]:
    """Messages that brought ``change`` about: its chain of causes, and its leader's state's way.

    The chain: the message being handled when the change happened, the
    message being handled when that one was sent, and so on (a timer ends
    a chain). For a new opinion, the hops the new leader's state took to
    reach the node are added; for a suspicion, those of the last heartbeat
    the node had learned of the suspect.
    """
    recorder = explainer.recorder
    past: list[int] = []
    cause = change.cause
    while cause > 0 and len(past) < MAX_CHAIN:
        past.append(cause)
        cause = recorder.message(cause).cause
    subject = change.opinion if change.kind == "decided" else change.subject
    if subject >= 0 and subject != change.node:
        state = explainer.learned_before(change.node, subject, change.time)
        if state is not None:
            past.extend(hop.message for hop in reversed(explainer.state_path(state)))
    return list(dict.fromkeys(past))
