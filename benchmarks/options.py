"""The one command-line rule the benchmarks share: ``--name value`` options, then sizes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Value = TypeVar("Value")


def pop_option(args: list[str], name: str, default: Value, kind: Callable[[str], Value]) -> Value:
    """Remove ``name`` and the value after it from ``args``; return the value, or ``default``."""
    if name not in args:
        return default
    at = args.index(name)
    if at + 1 >= len(args):
        raise SystemExit(f"{name}: expected a value after it")
    value = kind(args[at + 1])
    del args[at : at + 2]
    return value
