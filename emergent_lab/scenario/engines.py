"""The scenario options that select an engine: ``[cluster] engine``, ``view`` and ``k``.

Kept apart from the engine so the scenario schema can validate them without
building anything; unknown values fail with the field name and the allowed
values, like every other scenario field.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from emergent_lab.core.checks import check_number
from emergent_lab.protocol.topk_node import DEFAULT_K
from emergent_lab.protocol.topk_view import VIEWS
from emergent_lab.run.engine import MAX_NODES, max_nodes

ENGINES = ("exact", "array")


@dataclass(frozen=True)
class EngineOptions:
    """Which engine runs a scenario, and with which view model."""

    engine: str = "exact"
    """``"exact"`` (one object per node, every message) or ``"array"`` (rounds on arrays)."""
    view: str = "full"
    """``"full"`` membership or ``"topk"`` candidates (both engines)."""
    k: int = DEFAULT_K
    """Top-k view: candidates each node keeps."""

    @property
    def max_nodes(self) -> int:
        """The largest ``cluster.nodes`` this engine accepts with this view."""
        return max_nodes(self.engine, self.view)


def engine_options(cluster: MutableMapping[str, Any]) -> EngineOptions:
    """Take ``engine``, ``view`` and ``k`` out of a ``[cluster]`` table, validated.

    Raises:
        ValueError: naming the field and the allowed values.
    """
    engine = cluster.pop("engine", "exact")
    if engine not in ENGINES:
        raise ValueError(
            f"cluster.engine: unknown engine {engine!r} (expected one of: {', '.join(ENGINES)})"
        )
    view = cluster.pop("view", "full")
    if view not in VIEWS:
        raise ValueError(
            f"cluster.view: unknown view {view!r} (expected one of: {', '.join(VIEWS)})"
        )
    k = int(check_number("cluster.k", cluster.pop("k", DEFAULT_K), low=1, integer=True))
    return EngineOptions(str(engine), str(view), k)


def largest_sizes() -> str:
    """Each engine and view with the most nodes it takes, for an error about the size."""
    return ", ".join(f"{engine} {view} {most}" for (engine, view), most in MAX_NODES.items())
