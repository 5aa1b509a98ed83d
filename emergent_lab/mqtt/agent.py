"""One full protocol node in its own process, gossiping over an MQTT broker.

The agent runs the simulator's :class:`~emergent_lab.protocol.node.Node`,
unchanged, on the asyncio loop's clock. Around it sit the pieces a real
network needs: an :class:`~emergent_lab.mqtt.inbox.Inbox` that vets every
payload, the :class:`~emergent_lab.mqtt.transport.MqttTransport` it sends
through, a :class:`~emergent_lab.mqtt.bridge.DeviceMirror` for the devices it
hears and a :class:`~emergent_lab.mqtt.bridge.LeaderPublisher` for the leader
topic. Each agent also keeps a retained *status* (its presence and a summary
of its view); the broker replaces it with an "offline" will if the process
dies, which is how newcomers find their seeds and how ``observe`` and the
notebook see the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np

from emergent_lab.mqtt.admission import RecyclingIdTable
from emergent_lab.mqtt.agent_config import AgentConfig
from emergent_lab.mqtt.auth import Signer, seal
from emergent_lab.mqtt.bridge import DeviceMirror
from emergent_lab.mqtt.clock import LoopClock
from emergent_lab.mqtt.inbox import Inbox
from emergent_lab.mqtt.leader import LeaderPublisher
from emergent_lab.mqtt.reports import LeaderAnnouncement, NodeStatus, PeerSummary
from emergent_lab.mqtt.settings import BrokerSettings
from emergent_lab.mqtt.state import StampStore
from emergent_lab.mqtt.topics import ClusterTopics
from emergent_lab.mqtt.transport import Connection, MqttTransport
from emergent_lab.protocol.messages import VERSION_BITS, GossipSyn
from emergent_lab.protocol.node import Node

GOODBYE_SECONDS = 0.15
"""Longest wait for the goodbye status, then for the disconnect, so a stop takes under 1 s."""


class Agent:
    """One node of the cluster, served over a broker until stopped.

    Args:
        config: the node's identity and the cluster's rules.
        settings: the broker connection.
    """

    def __init__(self, config: AgentConfig, settings: BrokerSettings) -> None:
        self.config = config
        self.settings = settings
        self.topics = ClusterTopics(config.cluster)
        self.ids = RecyclingIdTable()
        self.signer = Signer(config.key) if config.key is not None else None
        self.inbox = Inbox(self.ids, signer=self.signer, score=config.score)
        self.rng = np.random.default_rng(config.rng_seed)
        self.stamps: StampStore | None = None
        if config.state_dir is not None:
            guards = {"devices": self.inbox.device_guard, "gossip": self.inbox.gossip_guard}
            self.stamps = StampStore(config.state_dir, guards)
            self.stamps.load()
        self.publisher = LeaderPublisher(
            self._publish_leader,
            me=config.node_id,
            generation=config.generation,
            grace=config.params.heartbeat_interval,
            writer=self._is_writer,
        )
        self.peer_status: dict[str, NodeStatus] = {}
        self.node: Node | None = None
        self.mirror: DeviceMirror | None = None
        self.transport: MqttTransport | None = None
        self._greeted: dict[str, int] = {}
        self._quiet_until = 0.0
        self._stop = asyncio.Event()
        me, generation = config.node_id, config.generation
        self.connection = Connection(
            settings,
            client_id=f"emergent-{config.cluster}-{me}-g{generation}",
            subscriptions=[
                self.topics.gossip(me),
                self.topics.all_status,
                self.topics.all_devices,
                self.topics.leader,
            ],
            on_message=self._on_message,
            on_connect=self._on_connect,
            will=(self.topics.status(me), self._sealed(NodeStatus(me, generation, online=False))),
            rng=self.rng,
        )

    # -- lifecycle ---------------------------------------------------------------

    async def run(self, duration: float | None = None) -> None:
        """Connect, join, serve until :meth:`stop` (or ``duration`` seconds), then say goodbye."""
        session = asyncio.create_task(self.connection.run())
        ticker: asyncio.Task[None] | None = None
        try:
            if not await self._connected_before_stop(duration):
                return
            await asyncio.sleep(self.config.discovery)
            self._start_node(asyncio.get_running_loop())
            ticker = asyncio.create_task(self._status_loop())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), duration)
        finally:
            if self.node is not None:
                self.node.stop()
            if ticker is not None:
                ticker.cancel()
            if self.stamps is not None:
                self.stamps.save()
            offline = NodeStatus(self.config.node_id, self.config.generation, online=False)
            goodbye = self.connection.publish_now(
                self.topics.status(self.config.node_id), self._sealed(offline), retain=True
            )
            # The broker may be stopping too: neither the goodbye nor the disconnect may wait
            # for it (if the goodbye is lost, the broker publishes the will instead).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(goodbye, GOODBYE_SECONDS)
            session.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(session, GOODBYE_SECONDS)

    def stop(self) -> None:
        """Ask :meth:`run` to finish (safe from a signal handler on the loop)."""
        self._stop.set()

    async def _connected_before_stop(self, duration: float | None) -> bool:
        """Wait for the first connection; False if :meth:`stop` or ``duration`` came first.

        A broker that is never reached (a wrong port) must not make SIGTERM and
        ``--duration`` wait for a connection that never comes.
        """
        waits = [asyncio.ensure_future(e.wait()) for e in (self.connection.connected, self._stop)]
        await asyncio.wait(waits, timeout=duration, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()
        return self.connection.connected.is_set() and not self._stop.is_set()

    def _start_node(self, loop: asyncio.AbstractEventLoop) -> None:
        config = self.config
        online = [s.node for s in self.peer_status.values() if s.online]
        seeds = sorted(set(config.seeds) | set(online) - {config.node_id})
        self.transport = MqttTransport(
            self.connection,
            self.topics,
            self.ids,
            generation=config.generation,
            signer=self.signer,
        )
        node = Node(
            config.node_id,
            ids=self.ids,
            params=config.params,
            score=config.score,
            metrics=config.metrics,
            clock=LoopClock(loop),
            transport=self.transport,
            rng=self.rng,
            seeds=seeds,
            generation=config.generation,
            listener=self.publisher,
        )
        self.node = node
        self._quiet_until = node.clock.now() + 5 * config.params.gossip_interval
        admission = self.inbox.admission
        admission.grace = max(config.params.gc_after, 10 * config.params.heartbeat_interval)
        admission.attach(node)
        admission.on_evict.append(self._forget)
        self.inbox.newest_held = self._newest_held
        self.mirror = DeviceMirror(node, config.score)
        node.start()
        for status in list(self.peer_status.values()):
            self._greet(status)
        self._watch_leader_topic()

    def _watch_leader_topic(self) -> None:
        """Check the retained leader every half heartbeat interval (see :mod:`.leader`)."""
        node = self.node
        if node is None or not node.running:
            return
        if self._settled(node):
            self.publisher.check(node, node.clock.now())
        node.clock.call_later(node.params.heartbeat_interval / 2, self._watch_leader_topic)

    def _settled(self, node: Node) -> bool:
        """Whether the node has gossiped long enough to speak for the cluster.

        A (re)starting agent that has heard of few members yet, or one back from
        a broker outage (during which it suspected everyone), may recognise
        itself for a moment; it must not tell the devices so. It stays off the
        leader topic for five gossip intervals after it starts. After a
        reconnect it stays off for the longest reconnect backoff plus three
        gossip intervals: the other agents lost the broker at the same time and
        may come back up to a backoff later (the leader among them); until they
        do, this agent would announce a leader of the few that came back first.
        """
        return node.clock.now() >= self._quiet_until

    def _is_writer(self, node: Node) -> bool:
        """The recognised leader writes the topic; for a device leader, the first agent alive."""
        if not self._settled(node):
            return False
        if node.acting:
            return True
        devices = self.transport.devices if self.transport is not None else set()
        leader = node.id_of(node.recognised)
        if leader is None or leader not in devices:
            return False
        agents = [j for j in np.flatnonzero(node.alive_mask) if self.ids.ids[j] not in devices]
        return bool(agents) and min(agents, key=lambda j: self.ids.rank[j]) == node.index

    def _newest_held(self, node_id: str) -> int:
        """The version key this agent's view holds of ``node_id`` (tombstones included)."""
        index = self.ids.index.get(node_id)
        node = self.node
        if index is None or node is None or index >= node.view.capacity:
            return 0
        return int(node.view.key[index])

    def _forget(self, node_id: str) -> None:
        """An evicted id leaves every per-id table of the agent too."""
        self._greeted.pop(node_id, None)
        if self.transport is not None:
            self.transport.devices.discard(node_id)

    async def _status_loop(self) -> None:
        while True:
            self.inbox.admission.sweep()
            if self.stamps is not None:
                self.stamps.save()
            self.publish_status()
            await asyncio.sleep(self.config.status_interval)

    # -- incoming ------------------------------------------------------------------

    def _on_connect(self) -> None:
        """(Re)connected: the broker may have lost retained messages, so restate ours."""
        self.publisher.forget()
        node = self.node
        if node is not None:
            quiet = self.connection.backoff.maximum + 3 * node.params.gossip_interval
            self._quiet_until = node.clock.now() + quiet
            self.publish_status()

    def _on_message(self, topic: str, payload: bytes) -> None:
        topics, me = self.topics, self.config.node_id
        if topic == topics.gossip(me):
            envelope = self.inbox.gossip(payload, me=me)
            if envelope is not None and self.node is not None:
                self.node.view.ensure_capacity(len(self.ids))
                self.node.receive(envelope.message)
            return
        if topic == topics.leader:  # an empty payload is a deletion: seen as None
            self.publisher.seen(self.inbox.leader(payload) if payload else None)
            return
        topic_id = topics.topic_node(topic)
        if topic_id is not None and topic == topics.device_state(topic_id):
            report = self.inbox.device(payload, topic_id=topic_id)
            if report is not None and self.mirror is not None and self.transport is not None:
                agent = self.peer_status.get(report.node)
                if agent is None or not agent.online:  # an agent's id is never a device's
                    self.transport.devices.add(report.node)
                self.mirror.mirror(report)
        elif topic_id is not None and topic == topics.status(topic_id):
            status = self.inbox.status(payload, topic_id=topic_id)
            if status is not None and status.node != me:
                self._remember(status)
                if status.online and self.transport is not None:
                    self.transport.devices.discard(status.node)
                self._greet(status)

    def _remember(self, status: NodeStatus) -> None:
        """Keep who is online (only that: statuses can be large), at most ``max_ids`` of them."""
        if not status.online:
            self.peer_status.pop(status.node, None)
        elif status.node in self.peer_status or len(self.peer_status) < self.inbox.max_ids:
            self.peer_status[status.node] = NodeStatus(status.node, status.generation, True)

    def _greet(self, status: NodeStatus) -> None:
        """Open an exchange with an agent seen online for the first time in this generation.

        Gossip only reaches peers a node knows; a syn to a newcomer makes both
        sides learn each other at once instead of waiting for a seed round.
        """
        node, transport = self.node, self.transport
        if node is None or transport is None or not status.online:
            return
        if self._greeted.get(status.node, 0) >= status.generation:
            return
        if not self.inbox.admission.admit(status.node, status.node):
            return
        self._greeted[status.node] = status.generation
        peer = self.ids.index[status.node]
        node.view.ensure_capacity(len(self.ids))
        transport.send(node.index, peer, GossipSyn(node.index, node.view.digest()))

    # -- outgoing --------------------------------------------------------------------

    def _sealed(self, status: NodeStatus) -> bytes:
        return seal(status.to_wire(), self.signer)

    def _publish_leader(self, announcement: LeaderAnnouncement) -> None:
        payload = seal(announcement.to_wire(), self.signer)
        self.connection.publish(self.topics.leader, payload, retain=True)

    def status(self) -> NodeStatus:
        """This node's presence and a summary of its view, as published."""
        node = self.node
        if node is None:
            return NodeStatus(self.config.node_id, self.config.generation, online=False)
        view = node.view
        alive = node.alive_mask
        admission = self.inbox.admission
        # Provisional ids are listed only while alive, so a flood cannot bloat the status.
        peers = np.array(
            [
                j
                for j in np.flatnonzero(view.known).tolist()
                if j != node.index
                and ((j < alive.shape[0] and alive[j]) or not admission.is_provisional(j))
            ],
            dtype=np.int64,
        )
        phi = view.detector.phi(node.clock.now(), peers) if peers.size else np.zeros(0)
        summaries = tuple(
            PeerSummary(
                node=self.ids.ids[j],
                generation=int(view.key[j]) >> VERSION_BITS,
                heartbeat=int(view.heartbeat[j]),
                score=float(view.score[j]),
                phi=float(phi[row]),
                alive=bool(j < alive.shape[0] and alive[j]),
            )
            for row, j in enumerate(peers.tolist())
        )
        transport = self.transport
        return NodeStatus(
            node.node_id,
            node.generation,
            online=True,
            heartbeat=node.heartbeat_count,
            score=float(node.score),
            opinion=node.id_of(node.opinion),
            recognised=node.id_of(node.recognised),
            acting=node.acting,
            metrics=dict(node.metrics),
            peers=summaries,
            rejected=dict(self.inbox.rejected),
            sent=transport.sent if transport is not None else 0,
            sent_bytes=transport.sent_bytes if transport is not None else 0,
        )

    def publish_status(self) -> None:
        """Publish this node's status, retained."""
        topic = self.topics.status(self.config.node_id)
        self.connection.publish(topic, self._sealed(self.status()), retain=True)
