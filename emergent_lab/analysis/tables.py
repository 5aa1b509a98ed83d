"""Small result tables printed the same way every run, so nbval can compare them.

A lesson's table is a list of dicts (one per row). Floats are printed with a
fixed number of decimals and columns keep the order of the first row, so the
text depends only on the measured values, never on dict or locale quirks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Row = Mapping[str, Any]


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_table(rows: Sequence[Row], *, digits: int = 2, columns: Sequence[str] = ()) -> str:
    """Render rows as an aligned text table.

    Args:
        rows: one mapping per row; missing cells print as ``-``.
        digits: decimals for every float cell.
        columns: the columns to show, in order (default: the first row's keys).

    Returns:
        The table, header first, without a trailing newline.
    """
    if not rows:
        return "(no rows)"
    names = list(columns) or list(rows[0])
    cells = [[_cell(row.get(name), digits) for name in names] for row in rows]
    widths = [max(len(name), *(len(line[k]) for line in cells)) for k, name in enumerate(names)]
    header = "  ".join(name.rjust(w) for name, w in zip(names, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join([header, rule, *body])


def print_table(rows: Sequence[Row], *, digits: int = 2, columns: Sequence[str] = ()) -> None:
    """Print :func:`format_table` (what a lesson cell calls)."""
    print(format_table(rows, digits=digits, columns=columns))
