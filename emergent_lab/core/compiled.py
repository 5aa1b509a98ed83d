"""Compiling the rules and kernels with numba, one way for every package.

The protocol's decisions (:mod:`emergent_lab.protocol.rules`), the phi
deadline (:mod:`emergent_lab.detector.rule`) and the array engine's loops
(:mod:`emergent_lab.array.kernels`) are plain Python compiled by numba, so
the exact node and the array kernels call the very same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

Function = TypeVar("Function", bound=Callable[..., Any])

WITHOUT_RUNTIME: dict[str, Any] = {"_nrt": False}
"""Numba's option for code that runs without its runtime (its stubs do not list it)."""


def compiled(function: Function) -> Function:
    """Compile with numba (cached on disk), keeping the Python signature for the type checker.

    Kernels run without numba's runtime (``_nrt=False``): they allocate
    nothing (callers pass scratch space in) and keep no array, so they need
    none of its reference counting. With it, numba counts references to
    every array a function takes, two atomic operations per array per call,
    and cannot drop them from functions with loops and early exits: a
    transfer's rule takes some twenty arrays, and at a million nodes those
    counts were a fifth of the run.
    """
    return cast(Function, numba.njit(cache=True, nogil=True, **WITHOUT_RUNTIME)(function))


def inlined(function: Function) -> Function:
    """:func:`compiled`, and inlined into every compiled caller (numba's ``inline="always"``).

    For the small per-row steps a kernel calls in its loop (a heartbeat's
    arrival): LLVM leaves a call to a function that takes ten arrays out of
    line, and passing those arrays costs more than the step itself (an
    arrival took some 45 ns called, the merge around it half as much).
    Inlined at numba's level the caller sees the step's code, at the price of
    compiling it into each caller (so only for small functions, few callers).
    """
    options: dict[str, Any] = {"inline": "always", **WITHOUT_RUNTIME}
    return cast(Function, numba.njit(cache=True, nogil=True, **options)(function))
