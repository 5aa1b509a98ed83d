"""A real cluster for the dashboard: MQTT readings behind the ``ClusterSource`` interface.

:class:`MqttCluster` listens, from a background thread with its own asyncio
loop, to what the cluster publishes (agent statuses, device heartbeats, the
leader, and the gossip topics for traffic) and serves it through the same
read interface the dashboard uses for the simulator
(``emergent_lab.jupyter.source.ClusterSource``). Time is wall time since the
object was created; ``advance`` and ``step`` do nothing because a real
cluster moves on by itself. Actions are real too: ``kill`` sends SIGKILL to
an agent process this object started, ``revive`` restarts it under a new
generation, ``pause`` stops it with SIGSTOP for a while. A real network
cannot be partitioned or made lossy from here, so those actions say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import node_sort_key
from emergent_lab.live.parts import param_value
from emergent_lab.mqtt.history import ChangeHistory
from emergent_lab.mqtt.observe import Observation
from emergent_lab.mqtt.processes import (
    FAST_PARAMS,
    AgentProcess,
)
from emergent_lab.mqtt.readings import node_states, point_now
from emergent_lab.mqtt.settings import BrokerSettings
from emergent_lab.mqtt.topics import ClusterTopics
from emergent_lab.mqtt.transport import Connection
from emergent_lab.mqtt.wire import MAX_GOSSIP_BYTES, Rejected, parse_json
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.run.source import (
    Capabilities,
    ClusterPoint,
    Mark,
    Message,
    NodeState,
    PeerEntry,
    RecordedNode,
    Traffic,
    TrafficLog,
)
from emergent_lab.score import ScoreFunction

REFUSED = frozenset({"partition", "heal", "loss", "set_weights", "set_param"})
"""Dashboard verbs a real cluster cannot do from a notebook (firewalls, not sliders)."""
MESSAGE_SAMPLE = 500
"""Gossip messages kept for the network view's fading edges."""


class MqttCluster:
    """The cluster behind a broker, readable by the dashboard.

    Args:
        settings: the broker connection.
        cluster: the cluster name.
        params: the protocol parameters the agents run with (for ``param`` and
            ``phi_threshold``; a real cluster does not report them).
        score: the cluster's score function (for ``weights`` and ``boost``).
        agents: agent processes this object may kill, pause and restart.
    """

    def __init__(
        self,
        settings: BrokerSettings,
        cluster: str,
        *,
        params: ProtocolParams | None = None,
        score: ScoreFunction | None = None,
        agents: Sequence[AgentProcess] = (),
    ) -> None:
        self.settings = settings
        self.topics = ClusterTopics(cluster)
        self.params = params if params is not None else FAST_PARAMS
        self.score_function = score if score is not None else ScoreFunction.preset("capacity")
        self.agents = {agent.node_id: agent for agent in agents}
        self.observation = Observation(self.topics)
        self._lock = threading.RLock()
        self._started = time.monotonic()
        self._ids: list[str] = []
        self._history = ChangeHistory()
        self._messages: deque[tuple[float, str, str]] = deque(maxlen=MESSAGE_SAMPLE)
        self._traffic = [0, 0]
        self._traffic_log = TrafficLog(Traffic(0.0, 0, 0))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> MqttCluster:
        """Start listening in a background thread; wait until connected."""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)
        self._thread.start()
        if not self._connected.wait(timeout):
            raise TimeoutError(f"broker: no connection to {self.settings.url} in {timeout:g} s")
        return self

    async def _listen(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        connection = Connection(
            self.settings,
            client_id=f"emergent-{self.topics.cluster}-dashboard-{time.monotonic_ns()}",
            subscriptions=[
                self.topics.leader,
                self.topics.all_status,
                self.topics.all_devices,
                f"{self.topics.base}/nodes/+/gossip",
            ],
            on_message=self._on_message,
            on_connect=self._connected.set,
        )
        session = asyncio.create_task(connection.run())
        await self._stop.wait()
        session.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await session

    def close(self) -> None:
        """Stop listening (agents this object started keep running; see :meth:`shutdown`)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def shutdown(self) -> None:
        """Stop listening and kill every agent this object started."""
        self.close()
        for agent in self.agents.values():
            agent.kill()

    def wait_for(self, predicate: Callable[[MqttCluster], bool], timeout: float = 30.0) -> bool:
        """Poll ``predicate(self)`` until it holds or ``timeout`` passes; return whether it held."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return bool(predicate(self))

    # -- incoming ------------------------------------------------------------------------

    def _on_message(self, topic: str, payload: bytes) -> None:
        now = self.time
        if topic.endswith("/gossip"):
            self._sample_gossip(now, topic, payload)
            return
        with self._lock:
            for event in self.observation.feed(topic, payload):
                kind = event["event"]
                if kind in ("join", "leave", "device"):
                    self._mark(now, kind, f"{kind} {event['node']} (gen {event['generation']})")
                elif kind == "leader":
                    self._mark(now, "leader", f"leader {event['leader'] or 'none'}")
                node = event.get("node")
                if isinstance(node, str) and node not in self._ids:
                    self._ids.append(node)
            for node_id in self.observation.current_members():
                if node_id not in self._ids:
                    self._ids.append(node_id)
            self._record(now)

    def _sample_gossip(self, now: float, topic: str, payload: bytes) -> None:
        receiver = self.topics.topic_node(topic)
        try:
            sender = parse_json(payload, limit=MAX_GOSSIP_BYTES).get("from")
        except Rejected:
            return
        with self._lock:
            self._traffic[0] += 1
            self._traffic[1] += len(payload)
            if isinstance(sender, str) and receiver is not None:
                self._messages.append((now, sender, receiver))

    def _mark(self, now: float, kind: str, label: str) -> None:
        self._history.mark(now, kind, label)

    def _record(self, now: float) -> None:
        self._history.record(self.observation, self._ids, now)

    # -- readings (ClusterSource) -------------------------------------------------------------

    @property
    def time(self) -> float:
        """Wall seconds since this object was created."""
        return time.monotonic() - self._started

    @property
    def seed(self) -> int:
        """A real cluster has no seed; 0 keeps the flock layout stable."""
        return 0

    def node_ids(self) -> Sequence[str]:
        """Every agent and device seen so far, in order of appearance."""
        with self._lock:
            return list(self._ids)

    def nodes(self) -> Sequence[NodeState]:
        """The current state of every node, in :meth:`node_ids` order."""
        with self._lock:
            return node_states(self.observation, self._ids)

    def peers(self, observer: str) -> Sequence[PeerEntry]:
        """``observer``'s view as its last status reported it (empty for devices)."""
        with self._lock:
            status = self.observation.statuses.get(observer)
            if status is None or not status.online:
                return []
            return [
                PeerEntry(p.node, p.generation, p.heartbeat, p.score, p.phi, p.alive)
                for p in status.peers
            ]

    def phi(self, observer: str, subject: str) -> float:
        """Phi of ``subject`` at ``observer``, as of the observer's last status."""
        with self._lock:
            status = self.observation.statuses.get(observer)
            if status is None or not status.online:
                return 0.0
            return next((p.phi for p in status.peers if p.node == subject), 0.0)

    def phi_threshold(self) -> float:
        """The detector threshold the agents run with."""
        return self.params.detector.threshold

    def _leader_now(self) -> str | None:
        return point_now(self.observation, self.time).leader

    def leader(self) -> str | None:
        """The leader every online agent recognises, or None while it is emerging."""
        with self._lock:
            return self._leader_now()

    def published_leader(self) -> str | None:
        """The leader the retained leader topic names (what devices act on)."""
        with self._lock:
            return self.observation.leader

    def timeline(self, start: int = 0) -> Sequence[ClusterPoint]:
        """Recorded cluster points (one per change) from index ``start`` on."""
        with self._lock:
            return list(self._history.points[start:])

    def cluster_at(self, time: float) -> ClusterPoint | None:
        """The recorded cluster point in force at ``time``."""
        with self._lock:
            return self._history.point_at(time)

    def node_at(self, node_id: str, time: float) -> RecordedNode | None:
        """A node's recorded state at ``time`` (None before it was seen)."""
        with self._lock:
            return self._history.node_at(node_id, time)

    def marks(self, start: int = 0) -> Sequence[Mark]:
        """Joins, departures, leader changes and actions, from index ``start`` on."""
        with self._lock:
            return list(self._history.marks[start:])

    def messages(self, since: float) -> Sequence[Message]:
        """Gossip messages seen on the broker after ``since`` (a bounded sample)."""
        with self._lock:
            return [Message(t, s, r) for t, s, r in self._messages if t > since]

    def traffic(self, start: int = 0) -> Sequence[Traffic]:
        """Samples of the gossip messages and bytes seen on the broker, one a second."""
        with self._lock:
            now = Traffic(self.time, self._traffic[0], self._traffic[1])
            self._traffic_log.add(now)
            return self._traffic_log.samples[start:]

    def weights(self) -> Mapping[str, float]:
        """The score weights the agents run with."""
        return dict(self.score_function.weights)

    def param(self, name: str) -> float:
        """A protocol parameter the agents run with (``fanout``, ``detector.threshold``…)."""
        return param_value(self.params, name)

    def loss_rate(self) -> float:
        """Loss is whatever the real network does; none is injected."""
        return 0.0

    # -- actions --------------------------------------------------------------------------------

    def _agent(self, action: str, node_id: str) -> AgentProcess:
        agent = self.agents.get(node_id)
        if agent is None:
            owned = ", ".join(sorted(self.agents, key=node_sort_key)) or "none"
            raise ValueError(
                f"{action}: {node_id!r} is not an agent started here (agents: {owned})"
            )
        return agent

    def kill(self, node_id: str) -> None:
        """SIGKILL the agent's process: a crash, with no goodbye."""
        agent = self._agent("kill", node_id)
        agent.kill()
        with self._lock:
            self._mark(self.time, "kill", f"kill {node_id}")

    def revive(self, node_id: str) -> None:
        """Restart the agent's process under the next generation."""
        agent = self._agent("revive", node_id)
        agent.restart()
        with self._lock:
            self._mark(self.time, "revive", f"revive {node_id} (gen {agent.generation})")

    def pause(self, node_id: str, duration: float) -> None:
        """Stop the agent's process with SIGSTOP for ``duration`` seconds (alive but silent)."""
        check_number("pause.duration", duration, low=0, low_open=True)
        agent = self._agent("pause", node_id)
        process = agent.process
        if process is None or not agent.running:
            raise ValueError(f"pause: agent {node_id!r} is not running")
        process.send_signal(signal.SIGSTOP)
        threading.Timer(duration, lambda: _resume(process)).start()
        with self._lock:
            self._mark(self.time, "pause", f"pause {node_id} {duration:g} s")

    def boost(self, node_id: str) -> None:
        """Restart the agent (next generation) with every metric at its best value.

        A real process owns its metrics, so raising them means restarting it
        with other ``--metric`` values.
        """
        agent = self._agent("boost", node_id)
        agent.metrics = self.score_function.best_metrics()
        agent.restart()
        with self._lock:
            self._mark(self.time, "boost", f"boost {node_id} (gen {agent.generation})")

    def capabilities(self) -> Capabilities:
        """A real cluster: partitions, loss, weights and parameters cannot be set from here."""
        return Capabilities(refused=REFUSED)

    def _impossible(self, action: str) -> None:
        raise ValueError(f"{action}: not possible on a real MQTT cluster from here")

    def partition(self, groups: Sequence[Sequence[str]] | str) -> None:
        """A broker connects everyone; partitions need firewall rules, not a notebook."""
        self._impossible("partition")

    def heal(self) -> None:
        """Nothing to heal: no partition can be made from here."""
        self._impossible("heal")

    def loss(self, probability: float, duration: float | None = None) -> None:
        """Loss cannot be injected into a real network from here."""
        self._impossible("loss")

    def set_weights(self, weights: Mapping[str, float]) -> None:
        """Every agent scores itself; weights are fixed when they start."""
        self._impossible("set_weights")

    def set_param(self, name: str, value: float) -> None:
        """Every agent reads its parameters when it starts."""
        self._impossible("set_param")

    def step(self) -> None:
        """A real cluster moves on by itself: nothing to do."""

    def advance(self, duration: float) -> None:
        """A real cluster moves on by itself: nothing to do."""
        check_number("duration", duration, low=0)


def _resume(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
