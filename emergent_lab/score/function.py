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
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from emergent_lab.core.checks import as_float
from emergent_lab.score.metrics import (
    _DICT_KEYS,
    MetricSpec,
    _callable_name,
    _ConstantScore,
    _is_number,
    _metrics_from_dict,
    _parse_metrics,
    _parse_weights,
    _score_columns,
    _show,
)


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
        """A named, ready-made score function (:mod:`emergent_lab.score.presets` describes each).

        Args:
            name: One of the keys of :data:`PRESETS`.

        Returns:
            The preset's score function.

        Raises:
            ValueError: If the name is not a preset, listing the preset names.
        """
        builder = _presets().get(name)
        if builder is None:
            known = ", ".join(_presets())
            raise ValueError(f"preset: unknown preset {name!r} (expected one of: {known})")
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
            if not ok or not math.isfinite(as_float(value)):
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
        arrays, n = _score_columns(columns, n)
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
                f"only weighted functions and presets ({', '.join(_presets())}) can"
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
        builder = _presets().get(self._name)
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


def _presets() -> Mapping[str, Callable[[], ScoreFunction]]:
    """The preset builders by name (imported when asked: presets are built from this class)."""
    from emergent_lab.score.presets import PRESET_BUILDERS

    return PRESET_BUILDERS
