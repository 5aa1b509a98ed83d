"""Parameter sweeps: one scenario, a grid of parameters, many seeds, one tidy table.

``sweep("leader-crash", {"cluster.fanout": [1, 2, 3]}, seeds=20)`` runs the
scenario for every combination of the grid and every seed and returns a
pandas DataFrame with one row per run: the parameters, the seed, the protocol
and the report's figures. Parameters are the scenario's own dotted keys
(``cluster.nodes``, ``network.loss``, ``detector.threshold``, …), applied to the
scenario's source and re-validated by ``parse_scenario``, so a sweep accepts
exactly what a scenario file does, and every combination is checked before the
first run starts.

Runs go through any ``concurrent.futures.Executor`` (a process pool by
default; a Dask ``Client.get_executor()`` or a Ray pool works the same). Each
run is decided by its seed alone, so the table is identical whatever executor
ran it and in whatever order runs finished. pandas and tqdm are imported only
when a sweep runs, so importing the engine stays light.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from emergent_lab.baselines.messages import ELECTION_KINDS
from emergent_lab.baselines.raft_messages import ELECTION_KINDS as RAFT_ELECTION_KINDS
from emergent_lab.detector import DetectorParams
from emergent_lab.run.config import PROTOCOLS
from emergent_lab.run.report import Report, build_report
from emergent_lab.scenario.errors import ScenarioError
from emergent_lab.scenario.runner import build_cluster, run_scenario
from emergent_lab.scenario.schema import (
    CLUSTER_KEYS,
    LEADER_KEYS,
    NETWORK_KEYS,
    RUN_KEYS,
    SCORE_KEYS,
    Scenario,
    load_scenario,
    parse_scenario,
)
from emergent_lab.sim.network import SimNetwork

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

PROTOCOL = "protocol"
"""The grid key (and column) that picks the node class: a key of ``PROTOCOLS``."""
MAX_SEEDS = 100_000
"""Most seeds a sweep counts out: ``seeds=10**12`` is a typo, not a plan (it ran out of memory)."""
SECTION_KEYS: Mapping[str, tuple[str, ...]] = {
    "cluster": tuple(k for k in CLUSTER_KEYS if k != "seed"),
    "detector": tuple(DetectorParams.__dataclass_fields__),
    "leader": LEADER_KEYS,
    "score": SCORE_KEYS,
    "network": NETWORK_KEYS,
    "run": RUN_KEYS,
}
"""What a sweep may vary: the scenario keys (the seed is set by ``seeds``)."""
PARAMETERS = (PROTOCOL, *(f"{s}.{k}" for s, keys in SECTION_KEYS.items() for k in keys))
EVENT_COLUMNS = (
    "action",
    "reconverged_after_s",
    "leader_after",
    "leader_is_best",
    "detection_mean_s",
    "detection_max_s",
    "skipped",
)
"""Fields of each event's report that become columns ``event{k}.<field>``."""
BIN_S = 0.1
"""Width of the time bins in which a run's traffic is counted."""


def check_parameter(name: str) -> list[str]:
    """Split a dotted parameter name, or raise a ValueError naming the allowed ones.

    Names deeper than ``section.key`` (``network.latency.median``) reach into a
    table-valued key and are checked by the scenario validation.
    """
    path = name.split(".")
    if name == PROTOCOL:
        return path
    if len(path) < 2 or path[0] not in SECTION_KEYS or path[1] not in SECTION_KEYS[path[0]]:
        raise ValueError(
            f"sweep parameter {name!r}: unknown (expected one of: {', '.join(PARAMETERS)})"
        )
    return path


def _with_value(source: Mapping[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """A copy of ``source`` with the value at ``path`` replaced (tables copied on the way)."""
    data = dict(source)
    table = data
    for key in path[:-1]:
        inner = table.get(key, {})
        if not isinstance(inner, Mapping):
            raise ScenarioError(f"{'.'.join(path)}: {key!r} is not a table in this scenario")
        table[key] = dict(inner)
        table = table[key]
    table[path[-1]] = value
    return data


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: the scenario source with its overrides, a protocol and a seed."""

    name: str
    source: Mapping[str, Any]
    protocol: str
    seed: int
    parameters: Mapping[str, Any]

    def scenario(self) -> Scenario:
        """The validated scenario of this run, on its protocol."""
        data = _with_value(self.source, ["cluster", "seed"], self.seed)
        scenario = parse_scenario(data, name=self.name)
        if self.protocol != "emergent" and scenario.engine.engine != "exact":
            raise ValueError(
                f"protocol: {self.protocol!r} runs on the exact engine only "
                f"(this run sets cluster.engine = {scenario.engine.engine!r})"
            )
        config = dataclasses.replace(scenario.config, protocol=self.protocol)
        return dataclasses.replace(scenario, config=config)


def plan(
    scenario: Scenario | str | Path,
    grid: Mapping[str, Sequence[Any]] | None = None,
    seeds: int | Sequence[int] = 1,
    *,
    protocol: str | None = None,
) -> list[SweepRun]:
    """Every run of a sweep, each validated, in a fixed order (grid order, then seeds).

    Raises:
        ValueError: a ScenarioError naming the parameter or field at fault,
            before anything has run.
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if grid is not None and not isinstance(grid, Mapping):
        raise ValueError(f"grid: must be a mapping of parameter to a list of values (got {grid!r})")
    grid = dict(grid or {})
    for name, values in grid.items():
        check_parameter(name)
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"sweep parameter {name!r}: give a non-empty list of values")
    if PROTOCOL in grid and protocol is not None:
        raise ValueError("protocol: give it in the grid or as the keyword, not both")
    protocols = list(grid.pop(PROTOCOL, [protocol or base.config.protocol]))
    for name in protocols:
        if name not in PROTOCOLS:
            raise ValueError(
                f"protocol: unknown protocol {name!r} (expected one of: {', '.join(PROTOCOLS)})"
            )
    seed_list = _seed_list(seeds)
    runs = []
    names = list(grid)
    for chosen_protocol in protocols:
        for values in itertools.product(*grid.values()):
            source: Mapping[str, Any] = base.source
            for name, value in zip(names, values, strict=True):
                source = _with_value(source, check_parameter(name), value)
            parameters = dict(zip(names, values, strict=True))
            for seed in seed_list:
                run = SweepRun(base.name, source, chosen_protocol, seed, parameters)
                run.scenario()
                runs.append(run)
    return runs


def _seed_list(seeds: object) -> list[int]:
    """The seeds of a sweep: ``range(count)`` or the integers given (no bools, no fractions)."""
    wrong = ValueError(
        f"seeds: must be a count in [1, {MAX_SEEDS}] or a non-empty list of integer seeds >= 0 "
        f"(got {seeds!r})"
    )
    if _is_integer(seeds):
        if not 1 <= int(seeds) <= MAX_SEEDS:  # type: ignore[call-overload]
            raise wrong
        return list(range(int(seeds)))  # type: ignore[call-overload]
    if isinstance(seeds, (str, bytes, Mapping)) or not isinstance(seeds, Iterable):
        raise wrong
    chosen = list(seeds)
    if not chosen or not all(_is_integer(s) and s >= 0 for s in chosen):
        raise wrong
    return [int(s) for s in chosen]


def _is_integer(value: object) -> bool:
    """An int or a NumPy integer; never a bool (``seeds=True`` is a typo)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class TrafficMeter:
    """Counts a run's messages and bytes in time bins, and election messages apart."""

    def __init__(self, network: SimNetwork, until: float) -> None:
        bins = math.ceil(until / BIN_S) + 1
        self.messages = [0] * bins
        self.bytes = [0] * bins
        self.election = [0] * bins
        network.on_send.append(self._count)

    def _count(self, now: float, src: int, dst: int, kind: str, size: int) -> None:
        k = min(int(now / BIN_S), len(self.messages) - 1)
        self.messages[k] += 1
        self.bytes[k] += size
        if kind in ELECTION_KINDS or kind in RAFT_ELECTION_KINDS:
            self.election[k] += 1

    def between(self, start: float, end: float) -> tuple[int, int, int]:
        """Messages, bytes and election messages sent in ``[start, end)``, to a bin."""
        a, b = round(start / BIN_S), max(round(end / BIN_S), round(start / BIN_S))
        return sum(self.messages[a:b]), sum(self.bytes[a:b]), sum(self.election[a:b])


def _traffic_columns(meter: TrafficMeter, report: Report) -> dict[str, Any]:
    """Steady cost before the first event, and the cost of getting over it.

    The steady window is the second half of the time before the first event
    (past the start-up burst); the failover window runs from the event until
    the cluster had reconverged for good (or to the end).
    """
    nodes = report.nodes
    if not report.events:
        return {}
    event = report.events[0]
    start = event.at_s / 2
    messages, size, _ = meter.between(start, event.at_s)
    steady = max(event.at_s - start, 1e-9) * nodes
    end = event.at_s + (
        event.reconverged_after_s
        if event.reconverged_after_s is not None
        else report.duration_s - event.at_s
    )
    f_messages, f_bytes, f_election = meter.between(event.at_s, end)
    window = max(end - event.at_s, BIN_S) * nodes
    return {
        "steady_msgs_per_node_per_s": round(messages / steady, 3),
        "steady_bytes_per_node_per_s": round(size / steady, 3),
        "failover_msgs_per_node_per_s": round(f_messages / window, 3),
        "failover_bytes_per_node_per_s": round(f_bytes / window, 3),
        "failover_election_messages": f_election,
    }


def run_one(run: SweepRun) -> dict[str, Any]:
    """Run one sweep point and return its row (a top-level function, so it pickles).

    On the exact engine the run's traffic is also counted in time bins, for
    the steady and failover columns; a scenario on the array engine runs
    through ``run_scenario`` and gets the report's columns only.
    """
    scenario = run.scenario()
    traffic: dict[str, Any] = {}
    if scenario.engine.engine == "exact":
        cluster = build_cluster(scenario)
        meter = TrafficMeter(cluster.network, scenario.until)
        cluster.run(scenario.until)
        report = build_report(cluster, scenario=scenario.name, warmup=scenario.warmup)
        traffic = _traffic_columns(meter, report)
    else:
        _, report = run_scenario(scenario)  # counts traffic its own way, without time bins
    row: dict[str, Any] = {PROTOCOL: run.protocol, **run.parameters}
    fields = report.to_dict()
    events = fields.pop("events")
    row.update(fields)
    interval = scenario.config.params.gossip_interval
    for k, event in enumerate(events):
        for key in EVENT_COLUMNS:
            row[f"event{k}.{key}"] = event[key]
        after = event["reconverged_after_s"]
        row[f"event{k}.reconverged_rounds"] = None if after is None else round(after / interval, 3)
    row.update(traffic)
    return row


class InProcessExecutor(Executor):
    """Runs each task at once in the calling process: for debugging, and to compare.

    Results are the same as under a process pool, since seeds decide them.
    """

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn`` now and return its already completed future."""
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def default_executor() -> Executor:
    """A process pool with one worker per core (this machine has two)."""
    return ProcessPoolExecutor(max_workers=os.cpu_count() or 1)


def sweep(
    scenario: Scenario | str | Path,
    grid: Mapping[str, Sequence[Any]] | None = None,
    seeds: int | Sequence[int] = 1,
    *,
    protocol: str | None = None,
    executor: Executor | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run a scenario over a grid of parameters and seeds; one row per run.

    Args:
        scenario: a validated scenario, a built-in name or a TOML path.
        grid: dotted parameter → values, e.g. ``{"cluster.fanout": [1, 2, 3]}``;
            ``"protocol"`` may list node classes (``["emergent", "bully"]``).
        seeds: how many seeds (0 … k-1), or the seeds themselves.
        protocol: the node class for every run, if the grid does not vary it.
        executor: where runs go; a process pool by default (shut down after).
            One that is given is left running for the caller.
        progress: show a tqdm progress bar (a widget in Jupyter, text elsewhere).

    Returns:
        A DataFrame in plan order (protocol, grid, seed), whatever the executor.

    Raises:
        ValueError: naming the bad parameter or field, before anything runs.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    runs = plan(scenario, grid, seeds, protocol=protocol)
    own = executor is None
    pool = default_executor() if executor is None else executor
    rows: list[dict[str, Any] | None] = [None] * len(runs)
    try:
        futures: dict[Future[dict[str, Any]], int] = {
            pool.submit(run_one, run): k for k, run in enumerate(runs)
        }
        with tqdm(total=len(runs), desc="sweep", unit="run", disable=not progress) as bar:
            for future in as_completed(futures):
                rows[futures[future]] = future.result()
                bar.update()
    finally:
        if own:
            pool.shutdown(cancel_futures=True)
    return pd.DataFrame(rows)
