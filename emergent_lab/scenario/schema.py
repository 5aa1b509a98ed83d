"""Scenario files: a cluster, a network and a timeline of faults, checked before anything runs.

A scenario is TOML (see ``builtin/*.toml``). Every field is validated up
front and the first problem is reported as one line that names it, e.g.
``events[2].action: unknown action 'crsh' (expected one of: crash, …)``,
so a typo never produces a half-run lesson.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import default_ids, validate_node_id
from emergent_lab.detector import DetectorParams
from emergent_lab.protocol.params import CLUSTER_DETECTOR, ProtocolParams
from emergent_lab.run.config import DEFAULT_SEEDS, PROTOCOLS, ClusterConfig
from emergent_lab.scenario.array import check_array_support
from emergent_lab.scenario.engines import EngineOptions, engine_options, largest_sizes
from emergent_lab.scenario.errors import ScenarioError, checked, checked_under, fail
from emergent_lab.scenario.events import MAX_ROUNDS, ScenarioEvent, check_timeline, parse_event
from emergent_lab.scenario.sections import (
    SWIM_KEYS,
    TraceReplay,
    parse_graph,
    parse_swim,
    parse_traces,
    rtt_metrics,
    section_table,
)
from emergent_lab.score import ScoreFunction
from emergent_lab.sim.latency import LatencyModel, latency_from_mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


SECTIONS = (
    "name",
    "description",
    "cluster",
    "detector",
    "leader",
    "score",
    "network",
    "run",
    "events",
)
CLUSTER_KEYS = (
    "nodes",
    "ids",
    "seed",
    "seeds",
    "fanout",
    "gossip_interval",
    "heartbeat_interval",
    "gc_after",
    "engine",
    "view",
    "k",
    "protocol",
)
LEADER_KEYS = ("emergence_threshold", "convergence_threshold")
SCORE_KEYS = (
    "preset",
    "weights",
    "metrics",
    "nodes",
    "base",
    "noise",
    "noise_interval",
    "traces",
    "rtt_from_latency",
)
NETWORK_KEYS = ("loss", "latency", "graph")
RUN_KEYS = ("until", "warmup", "causality")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario, ready to run with any seed."""

    name: str
    description: str
    config: ClusterConfig
    until: float
    events: tuple[ScenarioEvent, ...] = field(default_factory=tuple)
    warmup: float = 0.0
    """Seconds discarded before counting leader changes and split leadership."""
    noise: tuple[float, float] | None = None
    """(amplitude, interval) of metric jitter applied to every node, if any."""
    traces: TraceReplay | None = None
    """Real CPU traces that node metrics replay, if any."""
    engine: EngineOptions = field(default_factory=EngineOptions)
    """Which engine runs it (``[cluster] engine``, ``view``, ``k``)."""
    source: Mapping[str, Any] = field(default_factory=dict)

    def with_seed(self, seed: int) -> Scenario:
        """The same scenario under another seed (metrics and graph are re-drawn)."""
        data = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.source.items()}
        data.setdefault("cluster", {})["seed"] = seed
        return parse_scenario(data, name=self.name)


def parse_scenario(data: Mapping[str, Any], *, name: str = "scenario") -> Scenario:
    """Validate a scenario given as plain data (a parsed TOML document)."""
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise fail(unknown[0], f"unknown section (expected one of: {', '.join(SECTIONS)})")
    for key in ("name", "description"):
        if not isinstance(data.get(key, ""), str):
            raise fail(key, f"must be a string (got {data[key]!r})")
    cluster = section_table(data, "cluster", CLUSTER_KEYS)
    detector = section_table(data, "detector", (*DetectorParams.__dataclass_fields__, *SWIM_KEYS))
    swim = parse_swim(detector)
    leader = section_table(data, "leader", LEADER_KEYS)
    score = section_table(data, "score", SCORE_KEYS)
    network = section_table(data, "network", NETWORK_KEYS)
    run = section_table(data, "run", RUN_KEYS)

    seed = checked(check_number, "cluster.seed", cluster.pop("seed", 0), low=0, integer=True)
    engine = checked(engine_options, cluster)
    protocol = cluster.pop("protocol", "emergent")
    if protocol not in PROTOCOLS:
        raise fail(
            "cluster.protocol",
            f"unknown protocol {protocol!r} (expected one of: {', '.join(PROTOCOLS)})",
        )
    if protocol != "emergent" and engine.engine != "exact":
        raise fail("cluster.protocol", f"{protocol!r} runs on the exact engine only")
    if swim is not None and engine.engine != "exact":
        raise fail("detector.kind", "'swim' runs on the exact engine only")
    ids: tuple[str, ...] | None = None
    if "ids" in cluster:
        if "nodes" in cluster:
            raise fail("cluster.ids", "give either nodes or ids, not both")
        raw_ids = cluster.pop("ids")
        if not isinstance(raw_ids, list) or not raw_ids:
            raise fail("cluster.ids", f"must be a non-empty list of node ids (got {raw_ids!r})")
        ids = tuple(checked(validate_node_id, i, field="cluster.ids") for i in raw_ids)
        n = len(ids)
    else:
        nodes = cluster.pop("nodes", 10)
        n = int(checked(check_number, "cluster.nodes", nodes, low=1, integer=True))
    if n > engine.max_nodes:
        raise fail(
            "cluster.nodes" if ids is None else "cluster.ids",
            f"must name at most {engine.max_nodes} nodes with engine = "
            f"{engine.engine!r} and view = {engine.view!r} (got {n}); "
            f"the largest sizes: {largest_sizes()}",
        )
    seeds = cluster.pop("seeds", DEFAULT_SEEDS)
    # The keys given replace those of the cluster's defaults (ProtocolParams'), not
    # those of a bare DetectorParams (a single link's: no acceptable pause).
    detector_params = checked(
        DetectorParams.from_mapping, {**dataclasses.asdict(CLUSTER_DETECTOR), **detector}
    )
    params = checked(ProtocolParams, detector=detector_params, **cluster, **leader)

    preset = score.get("preset", "capacity")
    score_fn = (
        checked_under("score", ScoreFunction.preset, preset) if isinstance(preset, str) else None
    )
    if score_fn is None:
        raise fail("score.preset", "must be a preset name")
    if "metrics" in score:
        score_fn = checked(
            ScoreFunction.from_dict,
            {"name": "custom", "weights": score.get("weights", {}), "metrics": score["metrics"]},
        )
    elif "weights" in score:
        weights = score["weights"]
        if not isinstance(weights, Mapping):
            raise fail("score.weights", "must be a table of metric = weight")
        score_fn = checked_under("score", score_fn.with_weights, dict(weights))
    per_node = score.get("nodes", {})
    if not isinstance(per_node, Mapping) or not all(
        isinstance(v, Mapping) for v in per_node.values()
    ):
        raise fail("score.nodes", "must be tables of metrics, one per node id")

    for node_id, metrics in per_node.items():
        checked(score_fn.check_metrics, metrics, field=f"score.nodes.{node_id}")
    base = score.get("base")
    if base is not None:
        checked(score_fn.check_metrics, base, field="score.base")
        node_ids = ids if ids is not None else default_ids(n)
        per_node = {i: {**base, **per_node.get(i, {})} for i in node_ids}
    noise = None
    if "noise_interval" in score and "noise" not in score:
        raise fail("score.noise_interval", "needs score.noise (the jitter's amplitude)")
    if "noise" in score:
        amplitude = checked(check_number, "score.noise", score["noise"], low=0, high=1)
        interval = checked(
            check_number,
            "score.noise_interval",
            score.get("noise_interval", 1.0),
            low=0,
            low_open=True,
        )
        noise = (float(amplitude), float(interval))

    loss = network.get("loss", 0.0)
    latency: LatencyModel | None = None
    if "latency" in network:
        latency = checked(latency_from_mapping, network["latency"])
    graph = parse_graph(network["graph"], ids, n, int(seed)) if "graph" in network else None
    if not isinstance(score.get("rtt_from_latency", False), bool):
        raise fail("score.rtt_from_latency", "must be true or false")
    if score.get("rtt_from_latency", False):
        per_node = rtt_metrics(latency, ids or default_ids(n), per_node)
    traces = parse_traces(score["traces"], score_fn) if "traces" in score else None
    until = checked(check_number, "run.until", run.get("until", 60.0), low=0, low_open=True)
    warmup = checked(check_number, "run.warmup", run.get("warmup", 0.0), low=0, high=until)
    _check_rounds(float(until), params, noise)
    causality = run.get("causality", False)
    if not isinstance(causality, bool):
        raise fail("run.causality", f"must be true or false (got {causality!r})")
    if causality and engine.engine == "array":
        raise fail("run.causality", "only the exact engine records causality (cluster.engine)")

    config = checked(
        ClusterConfig.create,
        ids if ids is not None else n,
        seed=int(seed),
        params=params,
        score=score_fn,
        metrics=per_node,
        seeds=seeds,
        latency=latency,
        loss=loss,
        graph=graph,
        protocol_name=str(protocol),
        swim=swim,
        causality=causality,
        view=engine.view,
        k=engine.k,
    )
    raw_events = data.get("events", [])
    if not isinstance(raw_events, list):
        raise fail("events", "must be an array of tables ([[events]])")
    events = tuple(parse_event(k, raw, float(until)) for k, raw in enumerate(raw_events))
    check_timeline(events, config, float(until))
    scenario = Scenario(
        name=str(data.get("name", name)),
        description=str(data.get("description", "")),
        config=config,
        until=float(until),
        events=tuple(sorted(events, key=lambda e: e.at)),
        noise=noise,
        traces=traces,
        warmup=float(warmup),
        engine=engine,
        source=data,
    )
    if engine.engine == "array":
        checked(check_array_support, scenario)
    return scenario


def _check_rounds(until: float, params: ProtocolParams, noise: tuple[float, float] | None) -> None:
    """Refuse a run of more than ``MAX_ROUNDS`` of its shortest period, naming the field at fault.

    ``run.until`` is named when it is too long even for one-second periods, else the period.
    """
    periods = {
        "cluster.gossip_interval": params.gossip_interval,
        "cluster.heartbeat_interval": params.heartbeat_interval,
    }
    if noise is not None:
        periods["score.noise_interval"] = noise[1]
    name, period = min(periods.items(), key=lambda item: item[1])
    if until <= MAX_ROUNDS * period:
        return
    if until > MAX_ROUNDS:
        raise fail(
            "run.until",
            f"must be <= {MAX_ROUNDS * period:g} s, {MAX_ROUNDS} periods of {name} = {period:g} s "
            f"(got {until:g})",
        )
    raise fail(
        name,
        f"must be >= {until / MAX_ROUNDS:g} s: a run of run.until = {until:g} s lasts at most "
        f"{MAX_ROUNDS} of them (got {period:g})",
    )


def builtin_names() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    folder = resources.files("emergent_lab.scenario") / "builtin"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_scenario(source: str | Path, *, seed: int | None = None) -> Scenario:
    """Load a scenario from a built-in name or a TOML file path, validated.

    Raises:
        ScenarioError: naming the field at fault (or the file that is missing).
    """
    text: str
    name: str
    path = Path(source)
    if str(source) in builtin_names():
        name = str(source)
        text = (resources.files("emergent_lab.scenario") / "builtin" / f"{name}.toml").read_text()
    elif path.is_file():
        name = path.stem
        try:
            text = path.read_text(encoding="utf-8-sig")  # a BOM (Windows editors) is no error
        except UnicodeDecodeError:
            raise ScenarioError(f"{name}: not a text file (a scenario is UTF-8 TOML)") from None
    else:
        raise ScenarioError(
            f"scenario: {str(source)!r} is neither a file nor a built-in scenario "
            f"(built-in: {', '.join(builtin_names())})"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{name}: invalid TOML: {error}") from None
    if not data:
        raise ScenarioError(f"{name}: empty scenario (expected at least a [cluster] table)")
    if seed is not None:
        data.setdefault("cluster", {})["seed"] = seed
    return parse_scenario(data, name=name)
