"""Faults and changes as both engines record them, and the actions a timeline may name.

A fault is the same thing on either engine (a crash, a partition, a metric
set), so the record kept for the report, the way it is marked on the
timeline, the handling of a scheduled action whose target is gone and the
resolution of a partition's groups are written here once, below both
engines.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from emergent_lab.core.arrays import IntArray

ACTIONS = (
    "crash",
    "restart",
    "pause",
    "leave",
    "join",
    "partition",
    "heal",
    "cut",
    "set_loss",
    "set_latency",
    "set_metric",
    "set_weights",
    "set_param",
)


@dataclass
class EventRecord:
    """A fault or change as it happened, for the report."""

    at: float
    action: str
    target: dict[str, Any]
    resolved: list[str] = field(default_factory=list)
    error: str | None = None
    """Why a scheduled event could not apply (e.g. it named a node that is down)."""


class Marker(Protocol):
    """Anything that puts events on a timeline (both engines' observers)."""

    def mark(self, now: float, kind: str, label: str) -> None:
        """Put an event on the timeline."""
        ...


class Scheduled(Protocol):
    """A cluster of either engine, as a scheduled action sees it."""

    @property
    def time(self) -> float:
        """Virtual time now."""
        ...

    @property
    def events(self) -> list[EventRecord]:
        """Faults and changes so far, for the report."""
        ...

    @property
    def observer(self) -> Marker:
        """Where events are marked on the timeline."""
        ...


def check_arguments(verb: Callable[..., Any], action: str, arguments: Mapping[str, Any]) -> None:
    """Refuse, when ``action`` is scheduled, arguments its ``verb`` could never take.

    A missing or unknown argument otherwise surfaces as a TypeError when the
    action comes due, halfway through a run the caller thought was set up.
    """
    signature = inspect.signature(verb)
    try:
        signature.bind(**arguments)
    except TypeError as error:
        expected = ", ".join(signature.parameters) or "no arguments"
        raise ValueError(f"{action}: {error} (expected: {expected})") from None


def apply_scheduled(cluster: Scheduled, action: str, arguments: dict[str, Any]) -> None:
    """Run a scheduled action on either engine; one refused at its time is recorded as skipped.

    A timeline is validated before it runs, but a target can still be gone
    when its time comes (a node that crashed meanwhile): the run goes on, and
    the report says what was skipped and why.
    """
    method: Callable[..., Any] = getattr(cluster, action)
    try:
        method(**arguments)
    except (ValueError, KeyError) as error:
        reason = str(error).strip("'\"")
        cluster.events.append(EventRecord(cluster.time, action, dict(arguments), [], reason))
        cluster.observer.mark(cluster.time, "skipped", f"{action}: {reason}")


def log_event(
    events: list[EventRecord],
    observer: Marker,
    now: float,
    action: str,
    target: dict[str, Any],
    resolved: Iterable[str] = (),
) -> None:
    """Keep a fault or change for the report and mark it on the observer's timeline."""
    events.append(EventRecord(now, action, target, list(resolved)))
    label = " ".join([action, *[f"{k}={v}" for k, v in target.items()]])
    observer.mark(now, action, label)


def leading_now(
    leader: str | None, acting: Sequence[str], followed: IntArray, ids: Sequence[str]
) -> str:
    """Whom ``"leader"`` names: the recognised leader, else one acting, else the most followed.

    Both engines resolve the target through here, so a scheduled "crash the
    leader" hits the same node whichever engine runs it. ``followed`` holds
    the opinions of the members up (-1: none).
    """
    if leader is not None:
        return leader
    if acting:
        return acting[0]
    held = followed[followed >= 0]
    if not held.size:
        raise ValueError("node: 'leader' named, but no node follows any leader yet")
    return ids[int(np.bincount(held).argmax())]


def resolve_groups(
    groups: Sequence[Sequence[str]] | str, ids: Sequence[str], resolve: Callable[[str], str]
) -> list[list[str]]:
    """The groups of a partition as node ids: ``"half"`` splits ``ids`` in two.

    Named groups may use ``"leader"`` (``resolve`` turns it into an id) and must
    not share a node; both engines partition through here.
    """
    if isinstance(groups, str):
        if groups != "half":
            raise ValueError(f"groups: unknown split {groups!r} (expected 'half' or a list)")
        half = (len(ids) + 1) // 2
        return [list(ids[:half]), list(ids[half:])]
    if not all(
        isinstance(g, Sequence) and not isinstance(g, str) and all(isinstance(n, str) for n in g)
        for g in groups
    ):  # a flat list of ids would otherwise read each id's letters as nodes
        raise ValueError(f"groups: must be 'half' or a list of lists of node ids (got {groups!r})")
    resolved = [[resolve(n) for n in group] for group in groups]
    flat = [n for g in resolved for n in g]
    if len(flat) != len(set(flat)):
        raise ValueError("groups: a node appears in more than one group")
    return resolved
