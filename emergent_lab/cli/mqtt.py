"""``emergent-lab broker``, ``agent`` and ``observe``: the cluster over a real MQTT broker.

These need the ``mqtt`` extra (``aiomqtt``, ``amqtt``); they import it only
when they run, so the rest of the command works without it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from emergent_lab.core.checks import check_number
from emergent_lab.protocol.params import CLUSTER_DETECTOR, ProtocolParams
from emergent_lab.score import PRESETS, ScoreFunction

PASSWORD_ENV = "EMERGENT_LAB_MQTT_PASSWORD"


def _metric(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep or not name:
            raise ValueError
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER (got {text!r})") from None


def _add_connection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("broker connection")
    group.add_argument(
        "--broker",
        default="mqtt://127.0.0.1:1883",
        help="mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS (default %(default)s)",
    )
    group.add_argument("--cluster", default="demo", help="cluster name (default %(default)s)")
    group.add_argument("--username", help="broker login name")
    group.add_argument(
        "--password-file",
        help=f"file holding the broker password (or set ${PASSWORD_ENV})",
    )
    group.add_argument("--tls-ca", help="CA certificate (PEM) that signed the broker's certificate")
    group.add_argument("--tls-cert", help="client certificate (PEM), if the broker requires one")
    group.add_argument("--tls-key", help="private key (PEM) of the client certificate")
    group.add_argument(
        "--key-file",
        help="shared cluster key: sign every message and refuse unsigned or replayed ones",
    )
    group.add_argument("--duration", type=float, help="stop after this many seconds")
    group.add_argument("--log-level", default="WARNING", help="logging level (default %(default)s)")


def _settings(args: argparse.Namespace) -> Any:
    from emergent_lab.mqtt.settings import BrokerSettings

    password = os.environ.get(PASSWORD_ENV)
    if args.password_file:
        try:
            password = Path(args.password_file).read_text().strip()
        except OSError as error:
            raise ValueError(f"--password-file: cannot read it ({error.strerror})") from None
    return BrokerSettings.from_url(
        args.broker,
        username=args.username,
        password=password,
        ca_file=args.tls_ca,
        cert_file=args.tls_cert,
        key_file=args.tls_key,
    )


def _key(args: argparse.Namespace) -> bytes | None:
    from emergent_lab.mqtt.auth import load_key

    return load_key(args.key_file) if args.key_file else None


def _signer(args: argparse.Namespace) -> Any:
    from emergent_lab.mqtt.auth import Signer

    key = _key(args)
    return Signer(key) if key is not None else None


def _quiet_loop_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Log an error escaping a loop callback as one line, without a traceback.

    When the broker and its clients stop together, the MQTT client's socket
    callbacks can fire on a closed socket; that is expected during shutdown,
    not a crash to dump a traceback for.
    """
    error = context.get("exception")
    logging.getLogger("emergent_lab.mqtt").warning(
        "%s%s", context.get("message", "event loop error"), f": {error!r}" if error else ""
    )


def _run_until_signal(main: Any, stop: Any) -> None:
    """Run coroutine ``main``; SIGINT and SIGTERM call ``stop`` so it can say goodbye.

    Once ``main`` has returned, everything that must happen (goodbye status,
    replay stamps written) has happened, so the process ends at once: the
    interpreter's own teardown of numpy and friends takes about half a second
    on a busy machine, which would break the promise of stopping within 1 s.
    """

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_loop_errors)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        await main

    asyncio.run(runner())
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _broker(args: argparse.Namespace) -> int:
    from emergent_lab.mqtt.broker import EmbeddedBroker

    broker = EmbeddedBroker(args.port)
    done = asyncio.Event()

    async def main() -> None:
        await broker.start()
        print(f"broker listening on {broker.url}", flush=True)
        try:
            await done.wait()
        finally:
            await broker.stop()

    _run_until_signal(main(), done.set)
    return 0


def _params(args: argparse.Namespace) -> ProtocolParams:
    """The protocol parameters given on the command line (defaults: ``ProtocolParams()``).

    The intervals are checked first so that a bad ``--heartbeat-interval`` is
    reported under its own name.
    """
    params = ProtocolParams(
        fanout=args.fanout,
        gossip_interval=args.gossip_interval,
        heartbeat_interval=args.heartbeat_interval,
        emergence_threshold=args.emergence_threshold,
        convergence_threshold=args.convergence_threshold,
        gc_after=args.gc_after,
    )
    return params.replace(
        **{
            "detector.kind": args.detector,
            "detector.threshold": args.phi_threshold,
            "detector.acceptable_heartbeat_pause": args.acceptable_pause,
            "detector.min_std_deviation": args.min_std_deviation,
            "detector.first_heartbeat_estimate": args.first_heartbeat_estimate,
        }
    )


def _add_protocol(agent: argparse.ArgumentParser) -> None:
    """The protocol options, defaulting to ``ProtocolParams()``: the one set every entry uses."""
    defaults, detector = ProtocolParams(), CLUSTER_DETECTOR
    timing = agent.add_argument_group("protocol (every member should agree)")

    def option(name: str, kind: Any, default: Any, text: str) -> None:
        timing.add_argument(name, type=kind, default=default, help=f"{text} (default %(default)s)")

    option("--heartbeat-interval", float, defaults.heartbeat_interval, "seconds between heartbeats")
    option("--gossip-interval", float, defaults.gossip_interval, "seconds between gossip rounds")
    option("--fanout", int, defaults.fanout, "live peers gossiped with per round")
    option("--emergence-threshold", float, defaults.emergence_threshold, "score margin to switch")
    option(
        "--convergence-threshold",
        float,
        defaults.convergence_threshold,
        "share of live members that must agree to recognise a leader",
    )
    option("--gc-after", float, defaults.gc_after, "seconds a dead peer stays before its tombstone")
    timing.add_argument(
        "--detector",
        choices=["akka", "cassandra"],
        default=detector.kind,
        help="failure detector (default %(default)s)",
    )
    option("--phi-threshold", float, detector.threshold, "phi at which a peer is suspected")
    option(
        "--acceptable-pause",
        float,
        detector.acceptable_heartbeat_pause,
        "seconds of silence tolerated on top of the mean interval",
    )
    option("--min-std-deviation", float, detector.min_std_deviation, "floor on the interval's std")
    option(
        "--first-heartbeat-estimate",
        float,
        detector.first_heartbeat_estimate,
        "interval assumed before any is measured (None: 1 s akka, 2 s cassandra)",
    )


def _agent(args: argparse.Namespace) -> int:
    from emergent_lab.mqtt.agent import Agent
    from emergent_lab.mqtt.agent_config import AgentConfig

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    config = AgentConfig(
        node_id=args.id,
        cluster=args.cluster,
        metrics=dict(args.metric),
        generation=args.generation,
        params=_params(args),
        score=ScoreFunction.preset(args.score),
        seeds=tuple(args.seed),
        key=_key(args),
        status_interval=args.status_interval,
        discovery=args.discovery,
        rng_seed=args.rng_seed,
        state_dir=args.state_dir,
    )
    if args.duration is not None:
        check_number("--duration", args.duration, low=0, low_open=True)
    agent = Agent(config, _settings(args))
    print(f"agent {args.id} (generation {args.generation}) on {agent.settings.url}", flush=True)
    _run_until_signal(agent.run(args.duration), agent.stop)
    return 0


def _observe(args: argparse.Namespace) -> int:
    from emergent_lab.mqtt.observe import format_event, observe
    from emergent_lab.mqtt.topics import ClusterTopics

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)

    def emit(event: dict[str, Any]) -> None:
        line = json.dumps(event, sort_keys=True) if args.json else format_event(event)
        print(line, flush=True)

    stop = asyncio.Event()
    main = observe(
        _settings(args),
        ClusterTopics(args.cluster),
        emit,
        signer=_signer(args),
        duration=args.duration,
        counters_every=args.counters_every,
        stop=stop,
    )
    _run_until_signal(main, stop.set)
    return 0


def _device(args: argparse.Namespace) -> int:
    from emergent_lab.mqtt.device import run_device
    from emergent_lab.mqtt.topics import ClusterTopics

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    stop = asyncio.Event()
    main = run_device(
        _settings(args),
        ClusterTopics(args.cluster),
        args.id,
        dict(args.metric),
        generation=args.generation,
        interval=args.interval,
        signer=_signer(args),
        duration=args.duration,
        stop=stop,
    )
    _run_until_signal(main, stop.set)
    return 0


def register(sub: Any) -> None:
    """Add ``broker``, ``agent``, ``device`` and ``observe`` to the command's subparsers."""
    broker = sub.add_parser("broker", help="run the embedded MQTT broker (amqtt) on loopback")
    broker.add_argument("--port", type=int, default=1883, help="TCP port (default %(default)s)")
    broker.set_defaults(handler=_broker)

    agent = sub.add_parser("agent", help="run one full node over an MQTT broker")
    _add_connection(agent)
    agent.add_argument("--id", required=True, help="this node's id")
    agent.add_argument(
        "--metric",
        type=_metric,
        action="append",
        default=[],
        metavar="NAME=NUMBER",
        help="a metric of this node (repeatable), e.g. --metric cpu_free=0.7",
    )
    agent.add_argument(
        "--generation",
        type=int,
        default=1,
        help="incarnation; bump it on every restart (default %(default)s)",
    )
    agent.add_argument(
        "--score",
        default="capacity",
        choices=sorted(PRESETS),
        help="the cluster's score preset (default %(default)s)",
    )
    agent.add_argument(
        "--seed", action="append", default=[], metavar="ID", help="a node to contact first"
    )
    _add_protocol(agent)
    agent.add_argument(
        "--status-interval",
        type=float,
        default=1.0,
        help="seconds between status reports (default %(default)s)",
    )
    agent.add_argument(
        "--discovery",
        type=float,
        default=0.5,
        help="seconds to look for peers before starting (default %(default)s)",
    )
    agent.add_argument("--rng-seed", type=int, help="seed of the node's random choices")
    agent.add_argument(
        "--state-dir",
        help="directory keeping replay stamps across restarts (with --key-file)",
    )
    agent.set_defaults(handler=_agent)

    device = sub.add_parser("device", help="simulate a device that publishes heartbeats")
    _add_connection(device)
    device.add_argument("--id", required=True, help="the device's id")
    device.add_argument(
        "--metric", type=_metric, action="append", default=[], metavar="NAME=NUMBER"
    )
    device.add_argument("--generation", type=int, default=1)
    device.add_argument("--interval", type=float, default=1.0, help="seconds between heartbeats")
    device.set_defaults(handler=_device)

    observe = sub.add_parser("observe", help="print membership and leader changes live")
    _add_connection(observe)
    observe.add_argument("--json", action="store_true", help="one JSON object per line")
    observe.add_argument(
        "--counters-every",
        type=float,
        default=5.0,
        help="seconds between rejection-counter reports (default %(default)s)",
    )
    observe.set_defaults(handler=_observe)
