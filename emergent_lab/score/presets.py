"""Ready-made score functions, by name: what a scenario's ``[score] preset`` selects.

- ``capacity`` (microservice mesh): ``cpu_free`` 0.5, ``mem_free`` 0.3,
  ``uptime`` in hours over [0, 720] 0.2; all higher is better.
- ``battery-aware`` (IoT mesh): ``battery`` 0.6, ``link_quality`` 0.3,
  ``load`` 0.1 (lower is better); all over [0, 1].
- ``latency-aware`` (CDN edge): ``rtt`` in seconds over [0, 0.5], lower is
  better, 0.7; ``capacity`` over [0, 1] 0.3.
- ``cpu`` (replayed CPU traces): ``cpu`` utilisation in percent over
  [0, 100], lower is better.
- ``lowest-id``: every node scores the constant 0.5, so the leader rule's
  tie-break by node id alone decides. This is Akka Cluster's leader, the
  first member by address (here the lowest id, given that ties go to the
  lowest id), with no metrics involved. One difference remains: with equal
  scores no candidate ever beats the current leader by more than the
  emergence threshold, so a node joining with a lower id does not take
  over until the current leader is gone, whereas Akka moves leadership
  to it at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from emergent_lab.score.function import ScoreFunction
from emergent_lab.score.metrics import MetricSpec, _ConstantScore


def _capacity() -> ScoreFunction:
    return ScoreFunction(
        {"cpu_free": 0.5, "mem_free": 0.3, "uptime": 0.2},
        metrics=[MetricSpec("cpu_free"), MetricSpec("mem_free"), MetricSpec("uptime", 0.0, 720.0)],
        name="capacity",
    )


def _battery_aware() -> ScoreFunction:
    return ScoreFunction(
        {"battery": 0.6, "link_quality": 0.3, "load": 0.1},
        metrics=[
            MetricSpec("battery"),
            MetricSpec("link_quality"),
            MetricSpec("load", higher_is_better=False),
        ],
        name="battery-aware",
    )


def _latency_aware() -> ScoreFunction:
    return ScoreFunction(
        {"rtt": 0.7, "capacity": 0.3},
        metrics=[MetricSpec("rtt", 0.0, 0.5, higher_is_better=False), MetricSpec("capacity")],
        name="latency-aware",
    )


def _cpu() -> ScoreFunction:
    return ScoreFunction(
        {"cpu": 1.0},
        metrics=[MetricSpec("cpu", 0.0, 100.0, higher_is_better=False)],
        name="cpu",
    )


def _lowest_id() -> ScoreFunction:
    """Constant score: the tie-break by node id decides (see the module docstring)."""
    return ScoreFunction({}, custom=_ConstantScore(0.5), name="lowest-id")


PRESET_BUILDERS: Mapping[str, Callable[[], ScoreFunction]] = MappingProxyType(
    {
        "capacity": _capacity,
        "battery-aware": _battery_aware,
        "latency-aware": _latency_aware,
        "cpu": _cpu,
        "lowest-id": _lowest_id,
    }
)

PRESETS: Mapping[str, str] = MappingProxyType(
    {
        "capacity": "microservice mesh: free CPU 0.5, free memory 0.3, uptime (0-720 h) 0.2",
        "battery-aware": "IoT mesh: battery 0.6, link quality 0.3, load (lower is better) 0.1",
        "latency-aware": "CDN edge: RTT (0-0.5 s, lower is better) 0.7, capacity 0.3",
        "cpu": "replayed CPU traces: CPU utilisation (0-100 %, lower is better)",
        "lowest-id": "constant score, so the lowest node id leads (Akka's first member by address)",
    }
)
"""Preset name -> one-line description, for menus and error messages."""
