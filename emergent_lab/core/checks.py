"""Checking values a user typed, with one wording for every field.

Every parameter a user can type (scenario file, slider, CLI, API call) is
checked before anything runs, and the error names the field, the allowed
values and what was given. This module is the ground floor: it imports
nothing of emergent_lab, so any layer may use it.
"""

from __future__ import annotations

import math


def check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    integer: bool = False,
) -> float:
    """Return ``value`` as a float if it is in range, else raise a ValueError naming ``name``.

    Every parameter a user can type (scenario file, slider, CLI) passes through
    here, so the messages all read the same way: field, allowed range, value.
    """
    kind = "an integer" if integer else "a finite number"

    def shown(bound: float) -> str:  # an integer's bounds in full: 2147483647, not 2.14748e+09
        return str(int(bound)) if integer and float(bound).is_integer() else f"{bound:g}"

    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {shown(low)}")
    if high is not None:
        bounds.append(f"<= {shown(high)}")
    expected = f"{kind} {' and '.join(bounds)}".strip()
    bad = isinstance(value, bool) or not isinstance(value, (int, float))
    if not bad:
        number = as_float(value)
        bad = (
            not math.isfinite(number)
            or (integer and not number.is_integer())
            or (low is not None and (number <= low if low_open else number < low))
            or (high is not None and number > high)
        )
    if bad:
        raise ValueError(f"{name}: must be {expected} (got {value!r})")
    return number


def as_float(value: object) -> float:
    """``float(value)``, or an infinity for an int beyond a double's range.

    TOML and JSON read ``10**400`` as a Python int, and ``float`` of it raises
    OverflowError (not ValueError): every check treats it as the out-of-range
    number it is, so it is refused with the field's name instead of a traceback.
    """
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]
