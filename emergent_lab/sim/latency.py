"""Per-message latency models for the simulated network.

Every model draws from the generator it is handed, never from a global one,
so the delays of a run are decided by its seed. Delays are one-way seconds.

A broadcast draws the delays of its k messages at once (``sample_many``):
numpy's ``Generator`` fills an array by calling the very C routine a scalar
draw calls, once per element in order, so ``rng.lognormal(m, s, size=k)``
gives bit for bit the k values, and leaves the generator in the state, that k
calls of ``rng.lognormal(m, s)`` would (``tests/test_network.py`` checks it).
That holds only if nothing else draws in between, which is why the network
batches a broadcast only when no loss draw would be interleaved.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from emergent_lab.core.arrays import FloatArray, IntArray
from emergent_lab.core.checks import as_float


class LatencyModel(Protocol):
    """Anything that gives the one-way delay of one message from src to dst."""

    def sample(self, src: int, dst: int, rng: np.random.Generator) -> float:
        """Return the one-way delay in seconds of one message."""
        ...


@runtime_checkable
class BatchLatencyModel(LatencyModel, Protocol):
    """A latency model that can also draw the delays of one sender's k messages at once."""

    def sample_many(self, src: int, dsts: IntArray, rng: np.random.Generator) -> FloatArray:
        """The delays from ``src`` to each of ``dsts``, as ``sample`` would draw them in order.

        The same values and the same draws from ``rng``, not merely the same distribution.
        """
        ...


def sample_many(
    model: LatencyModel, src: int, dsts: IntArray, rng: np.random.Generator
) -> FloatArray:
    """The delays of messages from ``src`` to each of ``dsts``, as ``model.sample`` in order.

    A model of one's own needs only ``sample``; it is then called once per message.
    """
    if isinstance(model, BatchLatencyModel):
        return model.sample_many(src, dsts, rng)
    return np.array([model.sample(src, int(dst), rng) for dst in dsts], dtype=np.float64)


MAX_SIGMA = 10.0
"""Largest log-normal spread (``sigma``, ``jitter``): a delay is ``median * exp(sigma * z)``,
and a larger spread makes draws overflow to an infinite delay, which no message can have."""
MAX_MEDIAN_S = 1e6
"""Largest log-normal median (about 11 days): with ``sigma <= 10`` every draw stays finite."""


def _spread(field: str, value: float) -> float:
    """A log-normal spread, in [0, MAX_SIGMA]."""
    value = _positive(field, value)
    if value > MAX_SIGMA:
        raise ValueError(
            f"{field}: must be a finite number >= 0 and <= {MAX_SIGMA:g} (got {value!r})"
        )
    return value


def _positive(field: str, value: float, *, allow_zero: bool = True) -> float:
    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{field}: must be a finite number {bound} (got {value!r})")
    value = as_float(value)
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ValueError(f"{field}: must be a finite number {bound} (got {value!r})")
    return value


@dataclass(frozen=True)
class ConstantLatency:
    """Every message takes the same time: the easiest model to reason about."""

    delay: float = 0.01

    def __post_init__(self) -> None:
        _positive("network.latency.delay", self.delay)

    def sample(self, src: int, dst: int, rng: np.random.Generator) -> float:
        """Return the constant delay."""
        return self.delay

    def sample_many(self, src: int, dsts: IntArray, rng: np.random.Generator) -> FloatArray:
        """The constant delay for each message."""
        return np.full(dsts.size, self.delay, dtype=np.float64)


@dataclass(frozen=True)
class UniformLatency:
    """Delays spread evenly between ``low`` and ``high`` seconds."""

    low: float = 0.005
    high: float = 0.05

    def __post_init__(self) -> None:
        _positive("network.latency.low", self.low)
        _positive("network.latency.high", self.high)
        if self.high < self.low:
            raise ValueError(
                f"network.latency.high: must be >= low ({self.low}) (got {self.high!r})"
            )

    def sample(self, src: int, dst: int, rng: np.random.Generator) -> float:
        """Draw a delay uniformly from [low, high]."""
        return float(rng.uniform(self.low, self.high))

    def sample_many(self, src: int, dsts: IntArray, rng: np.random.Generator) -> FloatArray:
        """One uniform draw per message, in order (the same values as ``sample``)."""
        return rng.uniform(self.low, self.high, size=dsts.size)


@dataclass(frozen=True)
class LogNormalLatency:
    """Delays with a long right tail, as measured on real networks.

    ``median`` is the median delay in seconds and ``sigma`` the standard
    deviation of its logarithm.
    """

    median: float = 0.02
    sigma: float = 0.5

    def __post_init__(self) -> None:
        median = _positive("network.latency.median", self.median, allow_zero=False)
        if median > MAX_MEDIAN_S:
            raise ValueError(
                f"network.latency.median: must be a finite number > 0 and <= {MAX_MEDIAN_S:g} "
                f"(got {self.median!r})"
            )
        _spread("network.latency.sigma", self.sigma)

    def sample(self, src: int, dst: int, rng: np.random.Generator) -> float:
        """Draw a log-normal delay."""
        return float(rng.lognormal(math.log(self.median), self.sigma))

    def sample_many(self, src: int, dsts: IntArray, rng: np.random.Generator) -> FloatArray:
        """One log-normal draw per message, in order (the same values as ``sample``)."""
        return rng.lognormal(math.log(self.median), self.sigma, size=dsts.size)


class MatrixLatency:
    """One-way delays read from a matrix, e.g. a measured round-trip matrix / 2.

    ``slots`` maps each simulated node's index to a row of the matrix, so a
    cluster of n nodes can run on any n hosts of a larger measurement. Missing
    measurements (NaN) fall back to ``fallback`` seconds. ``jitter`` adds a
    relative log-normal spread around the measured value.
    """

    def __init__(
        self,
        one_way_s: np.ndarray,
        *,
        slots: Mapping[int, int] | None = None,
        fallback: float | None = None,
        jitter: float = 0.0,
    ) -> None:
        matrix = np.asarray(one_way_s, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"network.latency.matrix: must be square (got shape {matrix.shape})")
        finite = matrix[np.isfinite(matrix)]
        if finite.size and finite.min() < 0:
            raise ValueError("network.latency.matrix: delays must be >= 0")
        self.matrix = matrix
        self.slots = dict(slots) if slots is not None else None
        median = float(np.median(finite)) if finite.size else 0.01
        self.fallback = _positive("network.latency.fallback", fallback if fallback else median)
        self.jitter = _spread("network.latency.jitter", jitter)

    def _row(self, node: int) -> int:
        row = self.slots.get(node, node) if self.slots is not None else node
        return int(row) % int(self.matrix.shape[0])

    def sample(self, src: int, dst: int, rng: np.random.Generator) -> float:
        """Return the measured delay between the hosts of src and dst."""
        value = float(self.matrix[self._row(src), self._row(dst)])
        if not math.isfinite(value):
            value = self.fallback
        if self.jitter:
            value *= float(rng.lognormal(0.0, self.jitter))
        return value

    def sample_many(self, src: int, dsts: IntArray, rng: np.random.Generator) -> FloatArray:
        """The measured delays to each of ``dsts``, each jittered by its own draw in order."""
        rows = np.array([self._row(int(dst)) for dst in dsts], dtype=np.int64)
        values = self.matrix[self._row(src), rows]
        values = np.where(np.isfinite(values), values, self.fallback)
        if self.jitter:
            values = values * rng.lognormal(0.0, self.jitter, size=dsts.size)
        return values


LATENCY_MODELS = ("constant", "uniform", "lognormal", "matrix")


def latency_from_mapping(spec: Any, *, field: str = "network.latency") -> LatencyModel:
    """Build a latency model from a scenario's ``[network.latency]`` table.

    ``matrix`` models name a dataset (``dataset = "seattle"``), which is loaded
    through :mod:`emergent_lab.datasets`. Errors name ``field`` (an event's
    ``set_latency`` passes its own path).
    """
    try:
        return _latency(spec)
    except ValueError as error:
        raise ValueError(str(error).replace("network.latency", field, 1)) from None


def _latency(spec: Any) -> LatencyModel:
    if not isinstance(spec, Mapping):
        raise ValueError(
            "network.latency: must be a table like { model = 'lognormal', median = 0.02 } "
            f"(got {spec!r})"
        )
    spec = dict(spec)
    model = spec.pop("model", "constant")
    if not isinstance(model, str) or model not in LATENCY_MODELS:
        raise ValueError(
            f"network.latency.model: unknown model {model!r} "
            f"(expected one of: {', '.join(LATENCY_MODELS)})"
        )
    builders: dict[str, Any] = {
        "constant": ConstantLatency,
        "uniform": UniformLatency,
        "lognormal": LogNormalLatency,
    }
    if model in builders:
        try:
            return builders[model](**spec)  # type: ignore[no-any-return]
        except TypeError:
            allowed = ", ".join(builders[model].__dataclass_fields__)
            unknown = ", ".join(sorted(spec))
            raise ValueError(
                f"network.latency: unknown key(s) {unknown} for model '{model}' "
                f"(expected: model, {allowed})"
            ) from None
    # the one model left: a measured matrix
    from emergent_lab.datasets.latency import LATENCY_DATASETS, load_latency

    allowed_keys = {"dataset", "slice", "jitter", "seed"}
    unknown_keys = sorted(set(spec) - allowed_keys)
    if unknown_keys:
        raise ValueError(
            f"network.latency.{unknown_keys[0]}: unknown key "
            f"(expected one of: model, {', '.join(sorted(allowed_keys))})"
        )
    if spec.get("dataset") not in LATENCY_DATASETS:
        raise ValueError(
            "network.latency.dataset: required for model 'matrix' "
            f"(expected one of: {', '.join(LATENCY_DATASETS)}; got {spec.get('dataset')!r})"
        )
    slice_ = spec.get("slice")
    if slice_ is not None and (isinstance(slice_, bool) or not isinstance(slice_, int)):
        raise ValueError(f"network.latency.slice: must be an integer (got {slice_!r})")
    jitter = _positive("network.latency.jitter", spec.get("jitter", 0.0))
    try:
        matrix = load_latency(spec["dataset"], slice=slice_)
    except ValueError as error:
        raise ValueError(f"network.latency.slice: {error}") from None
    filled = matrix.fill_missing()
    return MatrixLatency(filled.one_way_s(), jitter=jitter)
