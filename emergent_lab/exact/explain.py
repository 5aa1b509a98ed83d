"""Explanations in words: why a node follows whom, and who suspected a node when.

These read the causal record (``cluster.causality``), never the protocol's
internals, so the answer is the chain that actually happened: the message
that brought the leader's state, the suspicion (with its phi) that retired
the previous leader, and the hops the state took on its way.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emergent_lab.exact.causality import NO_CAUSE, CausalRecorder, Change
from emergent_lab.protocol.messages import version_key

if TYPE_CHECKING:
    from emergent_lab.exact.cluster import SimCluster


def recorder_of(cluster: SimCluster) -> CausalRecorder:
    """The run's causal record, or a clear error saying how to switch it on."""
    if cluster.causality is None:
        raise ValueError(
            "causality: this run does not record causes; build it with "
            "ClusterConfig.create(..., causality=True) or set [run] causality = true"
        )
    return cluster.causality


@dataclass(frozen=True, slots=True)
class Hop:
    """One message on a state's way: ``src`` told ``dst`` at ``time`` in a ``kind``."""

    message: int
    kind: str
    src: int
    dst: int
    time: float


def _seconds(t: float) -> str:
    return f"{t:.2f} s"


class Explainer:
    """Answers questions about one run from its causal record (built once, asked many times).

    Args:
        cluster: a cluster built with ``causality=True``.
    """

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self.recorder = recorder_of(cluster)
        self.ids = cluster.ids.ids

    def name(self, index: int) -> str:
        """A node's id ("no one" for -1)."""
        return self.ids[index] if index >= 0 else "no one"

    def index(self, node: str) -> int:
        """A node's index, or a KeyError naming the field and some known ids."""
        self.cluster.node(node)
        return self.cluster.ids.index[node]

    def _cause(self, cause: int) -> str:
        if cause > 0:
            message = self.recorder.message(cause)
            return f"on receiving {message.kind.upper()} #{cause} from {self.name(message.src)}"
        if cause < 0:
            timer = self.recorder.timer(cause)
            return f"at its {timer.name} tick"
        return "outside any message or timer (a fault or an action)"

    def learned_before(
        self, node: int, subject: int, time: float, *, key: int | None = None
    ) -> Change | None:
        """The newest state of ``subject`` that ``node`` took at or before ``time``.

        With ``key`` (a packed version key), the state of exactly that version.
        """
        # States are read from the batches on demand: a run holds millions of them
        # (every node learns every heartbeat), too many to turn into objects up front.
        batches, times = self.recorder.learned_by(node)
        for k in range(bisect_right(times, time) - 1, -1, -1):
            batch = batches[k]
            rows = (batch.subjects == subject).nonzero()[0]
            if rows.shape[0]:
                change = batch.change(int(rows[0]))
                if key is None or version_key(change.generation, change.version) == key:
                    return change
        return None

    def state_path(self, change: Change) -> list[Hop]:
        """The messages that carried one state version from its owner to ``change.node``.

        Each hop's sender had taken that same version before sending it on
        (a node sends the states it holds), so the walk goes back hop by hop
        until it reaches the owner itself.
        """
        hops: list[Hop] = []
        current: Change | None = change
        while current is not None and current.cause > 0:
            message = self.recorder.message(current.cause)
            hops.append(Hop(current.cause, message.kind, message.src, message.dst, current.time))
            if message.src == change.subject:
                break
            current = self._version_at(message.src, change, message.sent)
        return hops[::-1]

    def _version_at(self, node: int, change: Change, time: float) -> Change | None:
        """When ``node`` took the same version of the subject's state (at or before ``time``)."""
        key = version_key(change.generation, change.version)
        return self.learned_before(node, change.subject, time, key=key)

    def _suspected(self, node: int, subject: int, time: float) -> Change | None:
        """The suspicion of ``subject`` by ``node`` standing at ``time``, if any."""
        standing = None
        for c in self.recorder.changes:
            if c.time > time:
                break
            if c.kind == "suspected" and c.node == node and c.subject == subject:
                standing = c
        if standing is None:
            return None
        trusted = self.recorder.trusted_between(node, subject, after=standing.seq, until=time)
        return None if trusted else standing

    def _down_at(self, subject: int, time: float) -> str:
        for event in reversed(self.cluster.events):
            if event.at <= time and self.name(subject) in event.resolved and event.error is None:
                if event.action in ("crash", "leave", "pause"):
                    return (
                        f"; {self.name(subject)} had {_past(event.action)} at {_seconds(event.at)}"
                    )
                return ""
        return ""

    def explain(self, node: str, *, at: float | None = None) -> str:
        """Why ``node`` follows whom at virtual time ``at`` (default: now), in one paragraph."""
        me = self.index(node)
        time = self.cluster.time if at is None else float(at)
        decisions = [
            c
            for c in self.recorder.changes
            if c.kind == "decided" and c.node == me and c.time <= time
        ]
        record = self.cluster.observer.node_at(me, time)
        if record is not None and not record.up:
            return f"{node} is down at {_seconds(time)}."
        if not decisions:
            return f"{node} had formed no opinion by {_seconds(time)} (still joining)."
        opinion = decisions[-1].opinion
        start = len(decisions) - 1
        while start > 0 and decisions[start - 1].opinion == opinion:
            start -= 1
        switch = decisions[start]
        if opinion < 0:
            return (
                f"{node} follows no one since {_seconds(switch.time)}: "
                "it has heard from no peer yet (joining)."
            )
        parts = [self._follows(me, opinion, switch)]
        parts.append(self._recognition(me, decisions[-1], time))
        return " ".join(parts)

    def _follows(self, me: int, opinion: int, switch: Change) -> str:
        node, leader = self.name(me), self.name(opinion)
        whom = "itself" if opinion == me else leader
        head = f"{node} follows {whom} since {_seconds(switch.time)}"
        head += f" (decided {self._cause(switch.cause)})"
        if opinion == me:
            reasons = []
        else:
            reasons = [self._carried(me, opinion, switch.time)]
        previous = switch.previous
        if previous < 0:
            reasons.append(f"before that {node} followed no one")
        elif previous != opinion:
            reasons.append(self._why_left(me, previous, opinion, switch.time))
        return head + (": " + "; ".join(reasons) if reasons else "") + "."

    def _carried(self, me: int, leader: int, time: float) -> str:
        node, name = self.name(me), self.name(leader)
        state = self.learned_before(me, leader, time)
        if state is None:
            return f"{node} never took a state of {name} from a message"
        message = self.recorder.message(state.cause)
        path = self.state_path(state)
        route = (
            " → ".join([self.name(path[0].src), *(self.name(h.dst) for h in path)]) if path else ""
        )
        text = (
            f"{name}'s state (score {state.score:.2f}, generation {state.generation}, "
            f"heartbeat {state.heartbeat}) reached {node} in an {message.kind.upper()} "
            f"#{state.cause} from {self.name(message.src)} at {_seconds(state.time)}"
        )
        return text + (f" (its way: {route})" if len(path) > 1 else "")

    def _why_left(self, me: int, previous: int, leader: int, time: float) -> str:
        node, old = self.name(me), self.name(previous)
        suspicion = self._suspected(me, previous, time)
        threshold = self.cluster.params.detector.threshold
        if suspicion is not None:
            last = (
                f"last heartbeat from {old} learned at {_seconds(suspicion.last_heard)}"
                if not math.isnan(suspicion.last_heard)
                else f"never heard a heartbeat from {old}"
            )
            return (
                f"{node}'s previous leader {old} was suspected at {_seconds(suspicion.time)} "
                f"(phi {suspicion.phi:.1f} ≥ {threshold:g}; {last}{self._down_at(previous, time)})"
            )
        new = self.learned_before(me, leader, time)
        was = self.learned_before(me, previous, time)
        if new is None or was is None:
            return f"{node}'s previous leader was {old}"
        margin = self.cluster.params.emergence_threshold
        if new.score > was.score + margin:
            why = f"by more than the emergence threshold {margin:g}"
        else:
            why = "while leadership was still emerging (the best is followed directly)"
        return (
            f"{node} left {old} (still alive to it): {self.name(leader)}'s score "
            f"{new.score:.2f} beat {old}'s {was.score:.2f} {why}"
        )

    def _recognition(self, me: int, last: Change, time: float) -> str:
        node = self.name(me)
        if last.recognised < 0:
            return (
                f"At {_seconds(time)} {node} recognises no leader yet: no opinion reaches the "
                f"convergence threshold ({self.cluster.params.convergence_threshold:g}) "
                "among the members alive to it."
            )
        acting = " and acts as leader" if last.acting else ""
        return (
            f"At {_seconds(time)} {node} recognises {self.name(last.recognised)} as leader{acting} "
            f"(since {_seconds(last.time)})."
        )

    def explain_suspicion(self, subject: str) -> str:
        """Who first suspected ``subject`` (in its latest outage, if any), and when the rest did."""
        target = self.index(subject)
        since, outage = 0.0, ""
        for event in self.cluster.events:
            if subject in event.resolved and event.action in ("crash", "leave", "pause"):
                since, outage = (
                    event.at,
                    f"{subject} {_past(event.action)} at {_seconds(event.at)}. ",
                )
        first: dict[int, Change] = {}
        for c in self.recorder.changes:
            if c.kind == "suspected" and c.subject == target and c.time >= since:
                first.setdefault(c.node, c)
        if not first:
            return f"{outage}No node suspected {subject}" + (
                f" since {_seconds(since)}." if since else "."
            )
        order = sorted(first.values(), key=lambda c: c.seq)
        threshold = self.cluster.params.detector.threshold
        lead = order[0]
        text = (
            f"{outage}{self.name(lead.node)} suspected {subject} first, at {_seconds(lead.time)} "
            f"(phi {lead.phi:.1f} ≥ {threshold:g}; last heartbeat learned at "
            f"{_seconds(lead.last_heard)})."
        )
        if len(order) > 1:
            rest = ", ".join(f"{self.name(c.node)} at {_seconds(c.time)}" for c in order[1:])
            text += f" Then {rest}."
        silent = [
            i
            for i in self.cluster.up_ids()
            if self.cluster.ids.index[i] not in first and i != subject
        ]
        if silent:
            text += f" Not suspecting it (up now): {', '.join(silent)}."
        return text


def _past(action: str) -> str:
    return {"crash": "crashed", "leave": "left", "pause": "paused"}.get(action, action)


def explain(cluster: SimCluster, node: str, *, at: float | None = None) -> str:
    """Why ``node`` follows whom at ``at`` (see :class:`Explainer`)."""
    return Explainer(cluster).explain(node, at=at)


def explain_suspicion(cluster: SimCluster, subject: str) -> str:
    """Who first suspected ``subject``, and when every other node did."""
    return Explainer(cluster).explain_suspicion(subject)


__all__ = ["NO_CAUSE", "Explainer", "Hop", "explain", "explain_suspicion", "recorder_of"]
