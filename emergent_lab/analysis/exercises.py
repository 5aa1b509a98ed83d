"""Check-your-answer exercises for the lessons: say right or not yet, and give a hint.

A lesson's exercise asks the learner to compute a number (or a node id) with
the engine; the lesson computes the expected value with its own measurement
functions, so the answer key can never drift from what the engine does. A
learner who has not answered yet (``my_answer = None``) gets the hint, which
is also what the saved notebook shows and what nbval compares.

Pure: no Jupyter imports, the result is printed and returned as a bool.
"""

from __future__ import annotations

import math
from numbers import Real

RIGHT = "✔ right"
NOT_YET = "✘ not yet"

Answer = str | int | float | None


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def is_right(answer: Answer, expected: str | int | float, *, tolerance: float = 0.0) -> bool:
    """Whether ``answer`` matches ``expected``: within ``tolerance`` for numbers, equal for text.

    Raises ``TypeError`` naming the bad value when the kinds cannot be compared
    (a text answer to a numeric question, or the reverse), and ``ValueError``
    for a negative or non-finite tolerance, so a typo is not reported as a
    wrong answer.
    """
    if not (_is_number(tolerance) and math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be a finite number ≥ 0, not {tolerance!r}")
    if answer is None:
        return False
    if _is_number(expected):
        if not _is_number(answer):
            raise TypeError(f"answer {answer!r} is not a number; this exercise expects one")
        assert isinstance(answer, Real) and isinstance(expected, Real)
        return abs(float(answer) - float(expected)) <= tolerance
    if not isinstance(expected, str):
        raise TypeError(f"expected {expected!r} must be a number or a string")
    if not isinstance(answer, str):
        raise TypeError(f"answer {answer!r} is not text; this exercise expects a name")
    return answer.strip() == expected


def check(
    answer: Answer,
    expected: str | int | float,
    *,
    tolerance: float = 0.0,
    hint: str,
) -> bool:
    """Print ``✔ right`` or ``✘ not yet — hint: …`` for the learner's ``answer``, return which.

    ``expected`` must be computed by the lesson (never typed in); ``tolerance``
    is absolute, for answers read off a table or rounded by hand.
    """
    right = is_right(answer, expected, tolerance=tolerance)
    if right:
        print(RIGHT)
    elif answer is None:
        print(f"{NOT_YET} — replace None with your answer. Hint: {hint}")
    else:
        print(f"{NOT_YET} — {answer!r} is not it. Hint: {hint}")
    return right
