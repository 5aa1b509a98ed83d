"""Score functions: how a node turns its own metrics into one comparable number.

Every node computes its score locally with the cluster's score function and
gossips the result; the leader rule then compares scores. For that comparison,
and for the emergence threshold (an absolute score difference), to mean the same
thing whatever the metrics are, a weighted score is always in [0, 1]:

    score = sum_i w_i * normalised(metric_i) / sum_i w_i

where ``normalised`` maps a metric's declared range ``[low, high]`` linearly onto
``[0, 1]`` (clipping values outside it, flipping it when lower is better). A
metric a node does not report, or reports as NaN, counts as the worst value, so a
silent or broken sensor can never make a device win.

Score functions are immutable values: changing weights (a slider, a scenario
event) builds a new, fully validated object, so a bad update can never leave a
half-changed function behind.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["PRESETS", "MetricSpec", "ScoreFunction"]

_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_RULE = "an identifier-like string (letters, digits and _, not starting with a digit)"
_DICT_KEYS = ("metrics", "name", "preset", "weights")
_METRIC_DICT_KEYS = ("high", "higher_is_better", "low")


def _show(value: object) -> str:
    """Render a rejected value for an error message, without numpy's type noise."""
    if type(value) in (int, float):
        return repr(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return repr(float(value))
    return repr(value)


def _is_number(value: object) -> bool:
    """Tell real numbers from bools and strings, which are never meant as numbers in config."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_metric_name(name: object) -> bool:
    """Metric names double as scenario-file keys and column names, so keep them plain."""
    return isinstance(name, str) and _NAME_PATTERN.fullmatch(name) is not None


@dataclass(frozen=True)
class MetricSpec:
    """The declared range and direction of one metric.

    The range turns raw units (percent, hours, seconds) into [0, 1] so that
    metrics of different units can be weighted against each other.

    Attributes:
        name: Metric name, as nodes report it (identifier-like, e.g. ``cpu_free``).
        low: Value that normalises to 0 (or to 1 when lower is better).
        high: Value that normalises to 1 (or to 0 when lower is better); > ``low``.
        higher_is_better: False for costs such as load or round-trip time.
    """

    name: str
    low: float = 0.0
    high: float = 1.0
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        if not _is_metric_name(self.name):
            raise ValueError(f"metrics.name: must be {_NAME_RULE} (got {_show(self.name)})")
        where = f"metrics.{self.name}"
        for field in ("low", "high"):
            value = getattr(self, field)
            if not _is_number(value) or not math.isfinite(value):
                raise ValueError(f"{where}.{field}: must be a finite number (got {_show(value)})")
            object.__setattr__(self, field, float(value))
        if not self.high > self.low:
            raise ValueError(
                f"{where}.high: must be > low (got high={self.high!r}, low={self.low!r})"
            )
        if not isinstance(self.higher_is_better, bool):
            raise ValueError(
                f"{where}.higher_is_better: must be True or False "
                f"(got {_show(self.higher_is_better)})"
            )

    def normalise(self, value: float | None) -> float:
        """Map a raw value into [0, 1], 1 being best; missing or NaN is worst (0).

        Args:
            value: The raw metric value, or None when the node does not report it.

        Returns:
            The normalised value in [0, 1].
        """
        if value is None or value != value:  # NaN is the only value unequal to itself.
            return 0.0
        fraction = (value - self.low) / (self.high - self.low)
        clipped = 0.0 if fraction < 0.0 else 1.0 if fraction > 1.0 else fraction
        return clipped if self.higher_is_better else 1.0 - clipped

    def normalise_array(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Vectorised :meth:`normalise`, with the same operations so the numbers are identical.

        Args:
            values: Raw values as float64; NaN marks a missing value.

        Returns:
            A new float64 array of normalised values in [0, 1].
        """
        with np.errstate(over="ignore"):  # Huge values overflow to inf and then clip to 1.
            fraction = (values - self.low) / (self.high - self.low)
        clipped = np.clip(fraction, 0.0, 1.0)
        oriented = clipped if self.higher_is_better else 1.0 - clipped
        return np.where(np.isnan(values), 0.0, oriented)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (without the name, which is the key in a score dict)."""
        return {"low": self.low, "high": self.high, "higher_is_better": self.higher_is_better}


@dataclass(frozen=True)
class _ConstantScore:
    """A custom score that ignores metrics; a class (not a lambda) so it vectorises."""

    value: float

    def __call__(self, metrics: Mapping[str, float]) -> float:
        return self.value


def _parse_metrics(
    metrics: Mapping[str, MetricSpec] | Iterable[MetricSpec],
) -> dict[str, MetricSpec]:
    """Index metric specs by name, rejecting duplicates and mislabelled mapping keys."""
    if isinstance(metrics, Mapping):
        for key, spec in metrics.items():
            if not isinstance(spec, MetricSpec):
                raise ValueError(f"metrics.{key}: must be a MetricSpec (got {_show(spec)})")
            if key != spec.name:
                raise ValueError(f"metrics.{key}: key does not match MetricSpec name {spec.name!r}")
        return dict(metrics)
    parsed: dict[str, MetricSpec] = {}
    for spec in metrics:
        if not isinstance(spec, MetricSpec):
            raise ValueError(f"metrics: must contain MetricSpec objects (got {_show(spec)})")
        if spec.name in parsed:
            raise ValueError(f"metrics.{spec.name}: declared twice")
        parsed[spec.name] = spec
    return parsed


def _parse_weights(
    weights: Mapping[str, float], known: Mapping[str, MetricSpec] | None
) -> dict[str, float]:
    """Validate raw weights against the declared metrics (if any) and the allowed range."""
    if not isinstance(weights, Mapping):
        raise ValueError(
            f"weights: must be a mapping of metric name to weight (got {_show(weights)})"
        )
    parsed: dict[str, float] = {}
    for name, weight in weights.items():
        if known is not None and name not in known:
            expected = ", ".join(known) or "<no metrics declared>"
            raise ValueError(f"weights.{name}: unknown metric (expected one of: {expected})")
        if not _is_metric_name(name):
            raise ValueError(f"weights.{name}: the metric name must be {_NAME_RULE}")
        if not _is_number(weight) or not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weights.{name}: must be a finite number >= 0 (got {_show(weight)})")
        parsed[name] = float(weight)
    return parsed


def _callable_name(function: Callable[..., object]) -> str:
    """Name a user's function in an error message."""
    return getattr(function, "__qualname__", None) or type(function).__qualname__


class ScoreFunction:
    """The cluster's rule for turning a node's metrics into a score in [0, 1].

    Either weighted (the normal case: a normalised weighted mean of metrics, see
    the module docstring) or ``custom`` (any function of the metrics, for
    experiments and for the ``lowest-id`` preset).

    Args:
        weights: Metric name -> weight (finite, >= 0, at least one > 0). Must be
            empty with ``custom``.
        metrics: Declared ranges and directions. When given, every weight must
            name one of them; when omitted, each weighted metric gets
            ``MetricSpec(name)`` ([0, 1], higher is better).
        custom: Optional function of the metrics replacing the weighted mean; it
            must return a finite number, which is clipped to [0, 1].
        name: A label, used in messages and to serialise presets by name.

    Raises:
        ValueError: On any invalid argument, naming the field and the allowed values.
    """

    __slots__ = ("_custom", "_metrics", "_name", "_total", "_weights")

    _custom: Callable[[Mapping[str, float]], float] | None
    _metrics: Mapping[str, MetricSpec]
    _name: str
    _total: float
    _weights: Mapping[str, float]

    def __init__(
        self,
        weights: Mapping[str, float],
        *,
        metrics: Mapping[str, MetricSpec] | Iterable[MetricSpec] | None = None,
        custom: Callable[[Mapping[str, float]], float] | None = None,
        name: str = "custom",
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name: must be a non-empty string (got {_show(name)})")
        if custom is not None and not callable(custom):
            raise ValueError(f"custom: must be callable (got {_show(custom)})")
        declared = None if metrics is None else _parse_metrics(metrics)
        parsed = _parse_weights(weights, declared)
        if custom is not None and parsed:
            raise ValueError(
                f"weights: must be empty with a custom score function (got {', '.join(parsed)})"
            )
        if custom is None and not parsed:
            raise ValueError(
                "weights: at least one weight must be > 0 (got none; pass weights or custom=)"
            )
        total = 0.0
        for weight in parsed.values():  # Same order as the weighted sum in score().
            total += weight
        if custom is None and total == 0.0:
            raise ValueError(
                f"weights: at least one weight must be > 0 (all are 0: {', '.join(parsed)})"
            )
        if not math.isfinite(total):  # Each weight finite, but the sum overflowed.
            raise ValueError("weights: the sum of the weights must be finite (got inf)")
        if declared is None:
            declared = {metric: MetricSpec(metric) for metric in parsed}
        object.__setattr__(self, "_custom", custom)
        object.__setattr__(self, "_metrics", MappingProxyType(declared))
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_total", total)
        object.__setattr__(self, "_weights", MappingProxyType(parsed))

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("ScoreFunction is immutable; use with_weights() to derive a new one")

    def __delattr__(self, key: str) -> None:
        raise AttributeError("ScoreFunction is immutable")

    def __reduce__(self) -> tuple[Callable[..., ScoreFunction], tuple[object, ...]]:
        # Rebuild through the constructor: slots plus a blocked __setattr__ defeat the
        # default pickle/copy protocol, and sweeps may ship score functions to workers.
        specs = tuple(self._metrics.values())
        return _rebuild, (dict(self._weights), specs, self._custom, self._name)

    @classmethod
    def preset(cls, name: str) -> ScoreFunction:
        """A named, ready-made score function (see :data:`PRESETS`).

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

        Args:
            name: One of the keys of :data:`PRESETS`.

        Returns:
            The preset's score function.

        Raises:
            ValueError: If the name is not a preset, listing the preset names.
        """
        builder = _PRESET_BUILDERS.get(name)
        if builder is None:
            raise ValueError(f"preset: unknown preset {name!r} (expected one of: {_preset_list()})")
        return builder()

    @property
    def name(self) -> str:
        """The label given at construction (the preset name for presets)."""
        return self._name

    @property
    def weights(self) -> Mapping[str, float]:
        """The raw weights, read-only; empty for a custom function."""
        return self._weights

    @property
    def normalised_weights(self) -> Mapping[str, float]:
        """Weights divided by their sum: each metric's share of the score."""
        return MappingProxyType({name: w / self._total for name, w in self._weights.items()})

    @property
    def metrics(self) -> Mapping[str, MetricSpec]:
        """Declared metric specs by name, read-only (e.g. for slider ranges)."""
        return self._metrics

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Names of the declared metrics, in declaration order."""
        return tuple(self._metrics)

    def check_metrics(self, metrics: object, *, field: str = "metrics") -> dict[str, float]:
        """``metrics`` as floats, if it is a table of numbers for metrics this score declares.

        A metric the score does not declare would change nothing (a typo), so
        it is refused; a custom score that declares none takes any name.

        Raises:
            ValueError: naming ``field.<metric>`` and what is allowed.
        """
        if not isinstance(metrics, Mapping):
            raise ValueError(f"{field}: must be a table of metric = number (got {_show(metrics)})")
        names = self.metric_names
        out = {}
        for name, value in metrics.items():
            if names and name not in names:
                raise ValueError(
                    f"{field}.{name}: unknown metric (expected one of: {', '.join(names)})"
                )
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if not ok or not math.isfinite(float(value)):
                raise ValueError(f"{field}.{name}: must be a finite number (got {_show(value)})")
            out[str(name)] = float(value)
        return out

    def best_metrics(self) -> dict[str, float]:
        """Every declared metric at the best end of its range: what the best node reports.

        Used to make a node the best one (a dashboard's boost, a lesson's
        promotion).

        Raises:
            ValueError: a custom score function declares no metrics, so no
                values make a node best.
        """
        if not self._metrics:
            raise ValueError(f"score: {self.name!r} declares no metrics to set at their best")
        return {
            spec.name: (spec.high if spec.higher_is_better else spec.low)
            for spec in self._metrics.values()
        }

    def score(self, metrics: Mapping[str, float]) -> float:
        """Score one node from the metrics it reports.

        Args:
            metrics: Metric name -> raw value. Missing or NaN counts as worst;
                metrics without a weight are ignored.

        Returns:
            The score, in [0, 1].

        Raises:
            ValueError: If a weighted metric is not a number, or a custom
                function returns something other than a finite number.
        """
        if self._custom is not None:
            return self._checked_custom(self._custom, metrics)
        total = 0.0
        for name, weight in self._weights.items():
            raw = metrics.get(name)
            if raw is not None and not isinstance(raw, numbers.Real):
                raise ValueError(f"metrics.{name}: must be a number (got {_show(raw)})")
            # float(): numpy float32 arithmetic would round differently from score_array.
            value = None if raw is None else float(raw)
            total += weight * self._metrics[name].normalise(value)
        return total / self._total

    def score_array(
        self, columns: Mapping[str, npt.ArrayLike], *, n: int | None = None
    ) -> npt.NDArray[np.float64]:
        """Score many nodes at once: row ``k`` is node ``k``; same numbers as :meth:`score`.

        Args:
            columns: Metric name -> 1-D array of raw values, one per node. A
                missing column means no node reports that metric; NaN marks a
                missing value.
            n: Number of nodes; needed only when ``columns`` is empty.

        Returns:
            A float64 array of scores in [0, 1], one per node.

        Raises:
            ValueError: If columns are not 1-D numeric arrays of one common length.
        """
        arrays: dict[str, npt.NDArray[np.float64]] = {}
        for name, column in columns.items():
            try:
                array = np.asarray(column, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"columns.{name}: must be a numeric array") from None
            if array.ndim != 1:
                raise ValueError(f"columns.{name}: must be 1-D (got shape {array.shape})")
            if n is None:
                n = len(array)
            if len(array) != n:
                raise ValueError(f"columns.{name}: must have length {n} (got {len(array)})")
            arrays[name] = array
        if n is None:
            raise ValueError("n: required when columns is empty (the number of nodes)")
        custom = self._custom
        if isinstance(custom, _ConstantScore):
            return np.full(n, self._checked_custom(custom, {}), dtype=np.float64)
        if custom is not None:
            rows = ({name: float(a[k]) for name, a in arrays.items()} for k in range(n))
            return np.fromiter((self._checked_custom(custom, row) for row in rows), np.float64, n)
        total = np.zeros(n, dtype=np.float64)
        for name, weight in self._weights.items():
            if name in arrays:
                total += weight * self._metrics[name].normalise_array(arrays[name])
        return total / self._total

    def with_weights(self, weights: Mapping[str, float]) -> ScoreFunction:
        """A new score function with some weights changed; this one is left untouched.

        Args:
            weights: Metric name -> new weight, for declared metrics only;
                weights not mentioned keep their value.

        Returns:
            The new, validated score function.

        Raises:
            ValueError: As the constructor does; or for a custom function, which
                has no weights.
        """
        if self._custom is not None:
            raise ValueError(f"weights: score function {self._name!r} is custom and has no weights")
        merged = {**self._weights, **_parse_weights(weights, self._metrics)}
        return ScoreFunction(merged, metrics=self._metrics, name=self._name)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for scenario files and JSON; :meth:`from_dict` reverses it.

        A preset serialises as its name plus its weights; any other weighted
        function as its name, weights and metric specs.

        Returns:
            A JSON-compatible dict.

        Raises:
            ValueError: For a custom function (other than the ``lowest-id``
                preset), since code cannot be serialised.
        """
        if self._is_preset():
            if self._custom is not None:
                return {"preset": self._name}
            return {"preset": self._name, "weights": dict(self._weights)}
        if self._custom is not None:
            raise ValueError(
                f"score.custom: the custom score function {self._name!r} "
                f"({_callable_name(self._custom)}) cannot be serialised; "
                f"only weighted functions and presets ({_preset_list()}) can"
            )
        return {
            "name": self._name,
            "weights": dict(self._weights),
            "metrics": {name: spec.to_dict() for name, spec in self._metrics.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreFunction:
        """Build a score function from :meth:`to_dict` output (or a scenario file's table).

        Args:
            data: Either ``{"preset": name, "weights": {...}}`` (weights optional,
                a partial update of the preset's) or ``{"weights": {...},
                "metrics": {name: {"low", "high", "higher_is_better"}}, "name": ...}``
                (metrics and name optional).

        Returns:
            The validated score function.

        Raises:
            ValueError: On unknown keys or invalid values, naming the field with a
                ``score.`` prefix and the allowed values.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"score: must be a mapping (got {_show(data)})")
        for key in data:
            if key not in _DICT_KEYS:
                raise ValueError(
                    f"score.{key}: unknown key (expected one of: {', '.join(_DICT_KEYS)})"
                )
        try:
            if "preset" in data:
                return cls._preset_from_dict(data)
            if "weights" not in data:
                raise ValueError("weights: required (a mapping of metric name to weight)")
            metrics = _metrics_from_dict(data["metrics"]) if "metrics" in data else None
            return cls(data["weights"], metrics=metrics, name=data.get("name", "custom"))
        except ValueError as error:
            raise ValueError(f"score.{error}") from error

    @classmethod
    def _preset_from_dict(cls, data: Mapping[str, Any]) -> ScoreFunction:
        """Preset branch of :meth:`from_dict`; errors are unprefixed (the caller adds it)."""
        for key in ("metrics", "name"):
            if key in data:
                raise ValueError(f"{key}: cannot be combined with preset (a preset sets its own)")
        function = cls.preset(data["preset"])
        return function.with_weights(data["weights"]) if "weights" in data else function

    def _is_preset(self) -> bool:
        """Whether this function is exactly a preset's, up to weights (so the name suffices)."""
        builder = _PRESET_BUILDERS.get(self._name)
        if builder is None:
            return False
        original = builder()
        return self._custom == original._custom and self._metrics == original._metrics

    def _checked_custom(
        self, custom: Callable[[Mapping[str, float]], float], metrics: Mapping[str, float]
    ) -> float:
        """Call the custom function and clip its result, refusing non-finite results."""
        result = custom(metrics)
        if not _is_number(result) or not math.isfinite(result):
            raise ValueError(
                f"custom score function {self._name!r} ({_callable_name(custom)}): "
                f"must return a finite number (got {_show(result)})"
            )
        return min(1.0, max(0.0, float(result)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScoreFunction):
            return NotImplemented
        return (
            self._name == other._name
            and self._weights == other._weights
            and self._metrics == other._metrics
            and self._custom == other._custom
        )

    def __hash__(self) -> int:
        return hash(
            (
                self._name,
                frozenset(self._weights.items()),
                frozenset(self._metrics.items()),
                self._custom,
            )
        )

    def __repr__(self) -> str:
        if self._custom is not None:
            return f"ScoreFunction({{}}, custom={self._custom!r}, name={self._name!r})"
        specs = list(self._metrics.values())
        return f"ScoreFunction({dict(self._weights)!r}, metrics={specs!r}, name={self._name!r})"


def _rebuild(
    weights: Mapping[str, float],
    metrics: Iterable[MetricSpec],
    custom: Callable[[Mapping[str, float]], float] | None,
    name: str,
) -> ScoreFunction:
    """Unpickling entry point for :meth:`ScoreFunction.__reduce__`."""
    return ScoreFunction(weights, metrics=metrics, custom=custom, name=name)


def _metrics_from_dict(data: object) -> dict[str, MetricSpec]:
    """Parse ``{name: {"low", "high", "higher_is_better"}}``; errors are unprefixed."""
    if not isinstance(data, Mapping):
        raise ValueError(f"metrics: must be a mapping of metric name to spec (got {_show(data)})")
    specs: dict[str, MetricSpec] = {}
    for name, fields in data.items():
        if not isinstance(fields, Mapping):
            raise ValueError(
                f"metrics.{name}: must be a mapping with keys "
                f"{', '.join(_METRIC_DICT_KEYS)} (got {_show(fields)})"
            )
        for key in fields:
            if key not in _METRIC_DICT_KEYS:
                raise ValueError(
                    f"metrics.{name}.{key}: unknown key "
                    f"(expected one of: {', '.join(_METRIC_DICT_KEYS)})"
                )
        specs[name] = MetricSpec(name, **fields)
    return specs


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
    """Constant score: the tie-break by node id decides (see :meth:`ScoreFunction.preset`)."""
    return ScoreFunction({}, custom=_ConstantScore(0.5), name="lowest-id")


_PRESET_BUILDERS: Mapping[str, Callable[[], ScoreFunction]] = MappingProxyType(
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


def _preset_list() -> str:
    return ", ".join(_PRESET_BUILDERS)
