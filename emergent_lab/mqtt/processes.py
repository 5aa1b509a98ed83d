"""Brokers and agents as child processes, for lessons, demos and tests.

A real cluster is many processes; a lesson or a test plays one on a single
machine. These helpers start the embedded broker (or a Mosquitto), start
``emergent-lab agent`` processes with the same command a user types, kill
them with a real signal and restart them under a new generation. Every
broker binds to loopback only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emergent_lab.mqtt.broker import LOOPBACK
from emergent_lab.protocol.params import ProtocolParams


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Block until something accepts connections on ``127.0.0.1:port``.

    Raises:
        TimeoutError: if nothing does within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {LOOPBACK}:{port} after {timeout:g} s")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "emergent_lab.cli", *args]


@dataclass
class BrokerProcess:
    """A broker in a child process: the embedded amqtt one, or Mosquitto.

    Args:
        kind: ``"amqtt"`` or ``"mosquitto"``.
        port: loopback port (a free one by default).
    """

    kind: str = "amqtt"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _config_dir: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("amqtt", "mosquitto"):
            raise ValueError(f"kind: must be 'amqtt' or 'mosquitto' (got {self.kind!r})")
        if self.kind == "mosquitto" and shutil.which("mosquitto") is None:
            raise FileNotFoundError("mosquitto: not installed (apt-get install mosquitto)")

    @property
    def url(self) -> str:
        """The URL agents connect to."""
        return f"mqtt://{LOOPBACK}:{self.port}"

    def _command(self) -> list[str]:
        if self.kind == "amqtt":
            return _cli("broker", "--port", str(self.port))
        if self._config_dir is None:
            self._config_dir = tempfile.mkdtemp(prefix="emergent-mosquitto-")
        config = Path(self._config_dir) / "mosquitto.conf"
        config.write_text(f"listener {self.port} {LOOPBACK}\nallow_anonymous true\n")
        return ["mosquitto", "-c", str(config)]

    def start(self) -> BrokerProcess:
        """Start the broker and wait until it accepts connections."""
        self.process = subprocess.Popen(
            self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()  # a broker that starts late must not outlive the caller's failure
            raise
        return self

    def stop(self) -> None:
        """Stop the broker (its retained messages go with it: nothing is persisted)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop, then start again on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> BrokerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self._config_dir is not None:
            shutil.rmtree(self._config_dir, ignore_errors=True)


FAST = 0.2
"""Time scale of lessons and tests: the default intervals (``ProtocolParams()``) times 0.2."""
_DEFAULT = ProtocolParams().detector
FAST_PARAMS = ProtocolParams(heartbeat_interval=FAST, gossip_interval=FAST).replace(
    **{
        "detector.acceptable_heartbeat_pause": round(FAST * _DEFAULT.acceptable_heartbeat_pause, 9),
        "detector.first_heartbeat_estimate": FAST,
    }
)
"""The one set of defaults with intervals five times shorter, and the pause and first
estimate scaled with them (0.6 s at 0.2 s heartbeats, as Akka's 3 s at 1 s), so
detection and convergence take about a second. The standard-deviation floor is not
scaled: it absorbs scheduling jitter, which does not shrink with the interval."""
FAST_TIMING: Mapping[str, float] = {
    "heartbeat-interval": FAST_PARAMS.heartbeat_interval,
    "gossip-interval": FAST_PARAMS.gossip_interval,
    "acceptable-pause": FAST_PARAMS.detector.acceptable_heartbeat_pause,
    "first-heartbeat-estimate": FAST,
    "status-interval": 0.5,
}
"""``FAST_PARAMS`` as agent options, for lessons and tests."""


@dataclass
class AgentProcess:
    """One ``emergent-lab agent`` process that can be killed and restarted.

    Args:
        node_id: the agent's id.
        broker: the broker URL.
        cluster: the cluster name.
        metrics: the agent's metrics.
        options: further command-line options, by long name without ``--``
            (for example ``{"gossip-interval": 0.2}``).
        generation: the first incarnation.
    """

    node_id: str
    broker: str
    cluster: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    options: Mapping[str, object] = field(default_factory=lambda: dict(FAST_TIMING))
    generation: int = 1
    process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line of the current generation."""
        args = ["agent", "--broker", self.broker, "--cluster", self.cluster, "--id", self.node_id]
        args += ["--generation", str(self.generation)]
        for name, number in self.metrics.items():
            args += ["--metric", f"{name}={number}"]
        for option, value in self.options.items():
            args += [f"--{option}", str(value)]
        return _cli(*args)

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> AgentProcess:
        """Start the process (it connects and joins on its own)."""
        environment = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment
        )
        return self

    def kill(self) -> None:
        """SIGKILL: a crash, with no goodbye (the broker publishes its will)."""
        if self.process is not None and self.running:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM: a graceful exit that publishes the offline status."""
        if self.process is not None and self.running:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        """Start again under the next generation, as a restarted process must."""
        self.kill()
        self.generation += 1
        self.start()


def start_agents(
    broker: str,
    cluster: str,
    metrics: Sequence[Mapping[str, float]],
    *,
    prefix: str = "n",
    options: Mapping[str, object] | None = None,
) -> list[AgentProcess]:
    """Start one agent per metrics mapping, named ``n1``, ``n2`` and so on."""
    agents = [
        AgentProcess(
            f"{prefix}{i}",
            broker,
            cluster,
            dict(m),
            options=dict(options if options is not None else FAST_TIMING),
        )
        for i, m in enumerate(metrics, start=1)
    ]
    for agent in agents:
        agent.start()
    return agents
