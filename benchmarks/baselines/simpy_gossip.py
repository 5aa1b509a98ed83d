"""The emergent-leader protocol written the way a SimPy user would write it.

One SimPy process per node for heartbeats and one for gossip, messages as
processes that sleep for the latency, views as dicts of peer -> state, one
``PhiAccrualDetector`` object per peer (the library's, so the detector is not
what is compared). Push-pull is a SYN with the sender's digest, an ACK with
the newer states and a request, and an ACK2 with the requested states. The
leader rule and recognition are the protocol's. Nothing is vectorised: that
is the point of the comparison.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import simpy

from emergent_lab.detector import PhiAccrualDetector


@dataclass
class PeerState:
    """What a node knows about a peer: version, heartbeat, score, opinion."""

    version: tuple[int, int]
    heartbeat: int
    score: float
    opinion: str | None


@dataclass
class SimpyNode:
    """One member: its own state, its view, its detectors."""

    name: str
    score: float
    version: int = 0
    heartbeat: int = 0
    opinion: str | None = None
    recognised: str | None = None
    up: bool = True
    view: dict[str, PeerState] = field(default_factory=dict)
    detectors: dict[str, PhiAccrualDetector] = field(default_factory=dict)


class SimpyCluster:
    """n nodes gossiping in a SimPy environment."""

    def __init__(
        self,
        scores: list[float],
        *,
        seed: int,
        fanout: int = 3,
        interval: float = 1.0,
        latency: float = 0.01,
        threshold: float = 8.0,
        emergence: float = 0.05,
        convergence: float = 0.75,
    ) -> None:
        self.env = simpy.Environment()
        self.rng = random.Random(seed)
        self.fanout, self.interval, self.latency = fanout, interval, latency
        self.threshold, self.emergence, self.convergence = threshold, emergence, convergence
        self.nodes = {f"n{i}": SimpyNode(f"n{i}", s) for i, s in enumerate(scores)}
        self.messages = 0
        for node in self.nodes.values():
            self._publish(node)
            self.env.process(self._heartbeats(node))
            self.env.process(self._gossip(node))

    def _publish(self, node: SimpyNode) -> None:
        node.version += 1
        node.view[node.name] = PeerState(
            (1, node.version), node.heartbeat, node.score, node.opinion
        )

    def _heartbeats(self, node: SimpyNode) -> Any:
        yield self.env.timeout(self.rng.random() * self.interval)
        while node.up:
            node.heartbeat += 1
            self._publish(node)
            yield self.env.timeout(self.interval)

    def _gossip(self, node: SimpyNode) -> Any:
        yield self.env.timeout(self.rng.random() * self.interval)
        while node.up:
            self._evaluate(node)
            live = [p for p in self._alive(node) if p != node.name]
            if not live:
                live = [p for p in self.nodes if p != node.name][:3]
            digest = {peer: state.version for peer, state in node.view.items()}
            for peer in self.rng.sample(live, min(self.fanout, len(live))):
                self._send(peer, ("syn", node.name, digest))
            yield self.env.timeout(self.interval)

    def _send(self, to: str, message: tuple[Any, ...]) -> None:
        self.messages += 1
        self.env.process(self._deliver(to, message))

    def _deliver(self, to: str, message: tuple[Any, ...]) -> Any:
        yield self.env.timeout(self.latency)
        node = self.nodes[to]
        if not node.up:
            return
        kind, sender = message[0], message[1]
        if kind == "syn":
            digest: dict[str, tuple[int, int]] = message[2]
            newer = {p: s for p, s in node.view.items() if s.version > digest.get(p, (0, 0))}
            wanted = [
                p
                for p, v in digest.items()
                if v > node.view.get(p, PeerState((0, 0), 0, 0, None)).version
            ]
            self._send(sender, ("ack", to, newer, wanted))
        elif kind == "ack":
            self._merge(node, message[2])
            if message[3]:
                self._send(
                    sender, ("ack2", to, {p: node.view[p] for p in message[3] if p in node.view})
                )
        else:
            self._merge(node, message[2])

    def _merge(self, node: SimpyNode, states: dict[str, PeerState]) -> None:
        now = self.env.now
        changed = False
        for peer, state in states.items():
            if peer == node.name:
                continue
            old = node.view.get(peer)
            if old is None or state.version > old.version:
                if old is None or state.heartbeat > old.heartbeat:
                    node.detectors.setdefault(
                        peer, PhiAccrualDetector(threshold=self.threshold)
                    ).heartbeat(now)
                changed = (
                    changed
                    or old is None
                    or old.score != state.score
                    or old.opinion != state.opinion
                )
                node.view[peer] = state
        if changed:
            self._evaluate(node)

    def _alive(self, node: SimpyNode) -> list[str]:
        now = self.env.now
        return [node.name] + [p for p, d in node.detectors.items() if d.is_available(now)]

    def _evaluate(self, node: SimpyNode) -> None:
        alive = self._alive(node)
        if len(alive) <= 1 and len(node.view) <= 1:
            return
        best = max(alive, key=lambda p: (node.view[p].score, -int(p[1:])))
        held = [node.view[p].opinion for p in alive]
        counts: dict[str, int] = {}
        for opinion in held:
            if opinion is not None:
                counts[opinion] = counts.get(opinion, 0) + 1
        top = max(counts, key=lambda p: (counts[p], -int(p[1:])), default=None)
        recognised = (
            top if top is not None and counts[top] >= self.convergence * len(alive) else None
        )
        current = node.opinion
        if current is None or current not in alive or recognised != current:
            opinion = best
        elif node.view[best].score > node.view[current].score + self.emergence:
            opinion = best
        else:
            opinion = current
        if opinion != node.opinion:
            node.opinion = opinion
            self._publish(node)
        node.recognised = recognised

    def crash(self, name: str) -> None:
        """Stop a node: its processes end, messages to it are lost."""
        self.nodes[name].up = False

    def leader(self) -> str | None:
        """The node every up node recognises, if any."""
        recognised = {n.recognised for n in self.nodes.values() if n.up}
        return next(iter(recognised)) if len(recognised) == 1 else None

    def run(self, until: float) -> None:
        """Advance virtual time."""
        self.env.run(until=until)
