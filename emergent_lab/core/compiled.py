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

    Two kinds of callers need it. A kernel's per-row steps (a heartbeat's
    arrival in the exact engine's merge): LLVM leaves a call to a function
    that takes ten arrays out of line, and passing those arrays cost more
    than the step itself (an arrival took some 45 ns called, the merge
    around it half as much). And a kernel's helpers that take a view as a
    tuple of arrays (a top-k transfer, some twenty arrays): a call passes
    every array's shape, strides and pointer by value; inlined, a top-k
    merge took about 0.6-0.85 times the CPU time. Inlining compiles the
    function into each caller, so it is for small functions with few
    callers, and costs compile time once per cache.
    """
    options: dict[str, Any] = {"inline": "always", **WITHOUT_RUNTIME}
    return cast(Function, numba.njit(cache=True, nogil=True, **options)(function))
