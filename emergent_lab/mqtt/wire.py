"""The JSON wire format's ground rules: limits, JSON in and out, and the field checks.

Decoding is the only door into a process, so it checks everything before
anything is used: size, JSON syntax (no NaN or infinity, no duplicate keys),
schema (exact keys), types, ranges and id syntax. A bad payload raises
:class:`Rejected` with one reason from :data:`REASONS`, so callers count it
and drop it; nothing else may escape. The payloads themselves are in
:mod:`.codec` (gossip) and :mod:`.reports` (devices, leader, status).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from emergent_lab.core.ids import validate_node_id
from emergent_lab.protocol.messages import (
    STATUS_LEFT,
    STATUS_UP,
)

WIRE_VERSION = 1
MAX_GOSSIP_BYTES = 256 * 1024
"""Largest gossip payload accepted: room for a digest of a few thousand nodes."""
MAX_SMALL_BYTES = 8 * 1024
"""Largest device heartbeat or leader payload accepted."""
MAX_STATUS_BYTES = 64 * 1024
"""Largest node status accepted (it lists the node's view of its peers)."""
MAX_ENTRIES = 4096
"""Most ids one message may name (digest entries, states, requests, peers)."""
MAX_METRICS = 32
"""Most metrics one node or device may report."""
MAX_GENERATION = 2**31 - 1
"""Generations fit 31 bits so a version key stays a positive int64."""
MAX_COUNTER = 2**32 - 1
"""Versions and device heartbeats fit the low 32 bits of a version key."""
MIN_INTERVAL_S = 0.01
"""Shortest period of anything a process publishes or reports on its own (heartbeats,
gossip, statuses, counters): each is a message per node, and at 10 ms a few dozen
nodes already send thousands a second; 0 would be a busy loop flooding the broker."""
MAX_PHI_ON_WIRE = 1e6
"""Phi is capped when sent, since JSON has no infinity."""

REASONS = (
    "too_large",
    "not_json",
    "version",
    "schema",
    "type",
    "not_finite",
    "out_of_range",
    "bad_id",
    "too_many_nodes",
    "wrong_topic",
    "bad_metrics",
    "unsigned",
    "bad_signature",
    "replay",
)
"""Every reason a payload can be rejected for, in the order ``observe`` lists them."""

_METRIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""Matched in full: ``$`` would accept a trailing newline."""
_STATUS_NAMES = {STATUS_UP: "up", STATUS_LEFT: "left"}
_STATUS_CODES = {name: code for code, name in _STATUS_NAMES.items()}
SIG = "sig"
"""The key of the optional signature; every schema allows it."""


class Rejected(Exception):
    """A payload failed validation; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# -- JSON in and out -------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise Rejected("not_finite", f"{name} is not a finite number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise Rejected("not_finite", f"{text} overflows a float")
    return number


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise Rejected("schema", "duplicate key in an object")
    return obj


def parse_json(payload: bytes, *, limit: int) -> dict[str, Any]:
    """Parse one payload into a JSON object, refusing anything ambiguous or oversized.

    Duplicate keys are refused because two readers could pick different
    values, and a signature must cover exactly what is used.

    Raises:
        Rejected: ``too_large``, ``not_json``, ``not_finite`` or ``schema``.
    """
    if len(payload) > limit:
        raise Rejected("too_large", f"{len(payload)} bytes (limit {limit})")
    try:
        value = json.loads(
            payload.decode("utf-8"),
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_object,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Rejected("not_json", type(error).__name__) from None
    if not isinstance(value, dict):
        raise Rejected("schema", "payload is not a JSON object")
    return value


def dump_json(obj: Mapping[str, Any]) -> bytes:
    """Compact JSON with sorted keys: the same bytes for the same object."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


# -- field checks -----------------------------------------------------------------


def _check_keys(obj: Mapping[str, Any], required: set[str]) -> None:
    """Exactly ``required`` (plus an optional signature): unknown keys are refused too."""
    keys = set(obj) - {SIG}
    missing = required - keys
    if missing:
        raise Rejected("schema", f"missing key(s) {', '.join(sorted(missing))}")
    unknown = keys - required
    if unknown:
        raise Rejected("schema", f"unknown key(s) {', '.join(sorted(unknown))}")


def _check_version(obj: Mapping[str, Any]) -> None:
    if obj.get("v") != WIRE_VERSION or isinstance(obj.get("v"), bool):
        raise Rejected("version", f"v must be {WIRE_VERSION} (got {obj.get('v')!r})")


def _int(value: Any, name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected("type", f"{name} must be an integer")
    if not 0 <= value <= high:
        raise Rejected("out_of_range", f"{name} must be in [0, {high}]")
    return value


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejected("type", f"{name} must be a number")
    if not low <= value <= high:
        raise Rejected("out_of_range", f"{name} must be in [{low:g}, {high:g}]")
    return float(value)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise Rejected("type", f"{name} must be true or false")
    return value


def _node_id(value: Any, name: str) -> str:
    try:
        return validate_node_id(value, field=name)
    except ValueError as error:
        raise Rejected("bad_id", str(error)) from None


def _optional_id(value: Any, name: str) -> str | None:
    return None if value is None else _node_id(value, name)


def _entries(value: Any, name: str, kind: type[list[Any]] | type[dict[str, Any]]) -> Any:
    if not isinstance(value, kind):
        raise Rejected("type", f"{name} must be a JSON {'object' if kind is dict else 'array'}")
    size = len(value)
    if size > MAX_ENTRIES:
        raise Rejected("too_large", f"{name} has {size} entries (limit {MAX_ENTRIES})")
    return value


def _metrics(value: Any, name: str = "metrics") -> dict[str, float]:
    if not isinstance(value, dict):
        raise Rejected("type", f"{name} must be a JSON object")
    if len(value) > MAX_METRICS:
        raise Rejected("too_large", f"{name} has {len(value)} entries (limit {MAX_METRICS})")
    metrics: dict[str, float] = {}
    for key, raw in value.items():
        if not _METRIC_NAME.fullmatch(key):
            raise Rejected("bad_metrics", f"{name}: invalid metric name {key[:70]!r}")
        metrics[key] = _number(raw, f"{name}.{key}", -1e300, 1e300)
    return metrics
