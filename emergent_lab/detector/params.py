"""Validated failure-detector settings shared by the scalar detectors and the bank.

One frozen dataclass holds every knob of both detector kinds so a scenario file,
a notebook slider and the simulator all describe a detector the same way, and
bad input is rejected once, up front, with a message naming the field.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal, cast

from emergent_lab.core.checks import as_float

if TYPE_CHECKING:
    from emergent_lab.detector.akka import PhiAccrualDetector
    from emergent_lab.detector.cassandra import ExponentialPhiDetector

DetectorKind = Literal["akka", "cassandra"]
DETECTOR_KINDS: tuple[DetectorKind, ...] = ("akka", "cassandra")

# Akka bootstraps from its heartbeat interval (1 s); Cassandra seeds its window with
# twice its gossip interval (2 s) so a fresh peer errs towards "alive".
_DEFAULT_FIRST_HEARTBEAT_ESTIMATE: dict[str, float] = {"akka": 1.0, "cassandra": 2.0}


def _number(field: str, value: object, *, minimum: float, strict: bool) -> float:
    """Return ``value`` as a float, or raise naming the field and the allowed range.

    Bools are rejected even though they are ints: ``threshold = true`` in a
    scenario file is a typo, not 1.0.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = as_float(value) if ok else math.nan
    if not (math.isfinite(number) and (number > minimum if strict else number >= minimum)):
        relation = ">" if strict else ">="
        raise ValueError(
            f"detector.{field}: must be a finite number {relation} {minimum:g} (got {value!r})"
        )
    return number


@dataclass(frozen=True)
class DetectorParams:
    """Settings of one failure detector, in seconds.

    Attributes:
        kind: ``"akka"`` (phi accrual with a normal distribution, Akka's
            ``PhiAccrualFailureDetector``) or ``"cassandra"`` (exponential
            distribution, Cassandra's ``FailureDetector.ArrivalWindow``).
        threshold: phi at which a peer stops being alive (both kinds).
        max_sample_size: number of inter-arrival intervals kept (both kinds).
        min_std_deviation: floor on the standard deviation so perfectly regular
            heartbeats do not make phi explode on the first jitter (akka only).
        acceptable_heartbeat_pause: extra silence tolerated on top of the mean
            interval, e.g. for GC pauses (akka only).
        first_heartbeat_estimate: interval assumed before any real interval is
            known; ``None`` picks the kind's default (1.0 akka, 2.0 cassandra).
        max_interval: longer intervals are not recorded, so a partition does
            not teach the detector to wait forever (cassandra only).
    """

    kind: DetectorKind = "akka"
    threshold: float = 8.0
    max_sample_size: int = 1000
    min_std_deviation: float = 0.1
    acceptable_heartbeat_pause: float = 0.0
    first_heartbeat_estimate: float | None = None
    max_interval: float = 2.0

    def __post_init__(self) -> None:
        if self.kind not in DETECTOR_KINDS:
            allowed = ", ".join(repr(kind) for kind in DETECTOR_KINDS)
            raise ValueError(f"detector.kind: must be one of {allowed} (got {self.kind!r})")
        size = self.max_sample_size
        if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 1:
            raise ValueError(f"detector.max_sample_size: must be an integer >= 1 (got {size!r})")
        normalised: dict[str, float | int | None] = {
            "max_sample_size": int(size),
            "threshold": _number("threshold", self.threshold, minimum=0.0, strict=True),
            "min_std_deviation": _number(
                "min_std_deviation", self.min_std_deviation, minimum=0.0, strict=True
            ),
            "acceptable_heartbeat_pause": _number(
                "acceptable_heartbeat_pause",
                self.acceptable_heartbeat_pause,
                minimum=0.0,
                strict=False,
            ),
            "max_interval": _number("max_interval", self.max_interval, minimum=0.0, strict=True),
        }
        if self.first_heartbeat_estimate is not None:
            normalised["first_heartbeat_estimate"] = _number(
                "first_heartbeat_estimate",
                self.first_heartbeat_estimate,
                minimum=0.0,
                strict=True,
            )
        # Frozen: normalise ints from TOML (threshold = 8) to floats in place.
        for name, value in normalised.items():
            object.__setattr__(self, name, value)

    @property
    def resolved_first_heartbeat_estimate(self) -> float:
        """The bootstrap interval actually used: the given one or the kind's default."""
        if self.first_heartbeat_estimate is not None:
            return self.first_heartbeat_estimate
        return _DEFAULT_FIRST_HEARTBEAT_ESTIMATE[self.kind]

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> DetectorParams:
        """Build from a ``[detector]`` table of a scenario file.

        Unknown keys are rejected rather than ignored: a misspelt
        ``treshold`` silently falling back to 8.0 would make a lesson lie.

        Raises:
            ValueError: on an unknown key or an invalid value.
        """
        allowed = [field.name for field in fields(cls)]
        unknown = sorted(str(key) for key in data if key not in allowed)
        if unknown:
            raise ValueError(
                f"detector: unknown key(s) {', '.join(unknown)}; allowed keys: {', '.join(allowed)}"
            )
        # Values are type-checked by __post_init__, hence Any here.
        return cls(**cast(dict[str, Any], dict(data)))


def make_detector(params: DetectorParams) -> PhiAccrualDetector | ExponentialPhiDetector:
    """Return a fresh single-peer detector of ``params.kind``.

    The detector modules validate through ``DetectorParams``, so they are
    imported here, at call time, to keep the import graph acyclic.
    """
    from emergent_lab.detector.akka import PhiAccrualDetector
    from emergent_lab.detector.cassandra import ExponentialPhiDetector

    estimate = params.resolved_first_heartbeat_estimate
    if params.kind == "akka":
        return PhiAccrualDetector(
            threshold=params.threshold,
            max_sample_size=params.max_sample_size,
            min_std_deviation=params.min_std_deviation,
            acceptable_heartbeat_pause=params.acceptable_heartbeat_pause,
            first_heartbeat_estimate=estimate,
        )
    return ExponentialPhiDetector(
        threshold=params.threshold,
        max_sample_size=params.max_sample_size,
        first_heartbeat_estimate=estimate,
        max_interval=params.max_interval,
    )
