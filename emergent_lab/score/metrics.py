"""Metrics a score is made of: their declared ranges, and the parsing of what users type.

A score function is built from names, weights and metric specs that come
from scenario files, sliders and API calls; each is checked here, with one
wording for every field, before a function is built.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from emergent_lab.core.checks import as_float

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
            if not _is_number(value) or not math.isfinite(as_float(value)):
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


def _score_columns(
    columns: Mapping[str, npt.ArrayLike], n: int | None
) -> tuple[dict[str, npt.NDArray[np.float64]], int]:
    """``ScoreFunction.score_array``'s columns as float arrays of one length, and that length.

    Raises:
        ValueError: naming ``columns.<metric>`` if a column is not a 1-D numeric
            array of the common length, or ``n`` if it is needed and missing.
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
    return arrays, n
