"""Every node's metrics as one column per metric, read as one mapping per node.

Why: a cluster configuration used to hold a dict per node, about 0.5 kB each
with its floats; at ten million nodes that was 5 GB before the engine held
anything, and the array engine then read every dict back into columns. A
table keeps the columns (8 bytes per node per metric) and builds a node's
mapping only when one is asked for, so the exact engine, events and the
dashboard read ``config.metrics[i]`` as before while the array engine reads
:meth:`MetricTable.column` directly.

A metric given for some nodes only is NaN for the others, and a node's
mapping leaves NaN out (metric values are checked finite where they are set).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import overload

import numpy as np

from emergent_lab.core.arrays import FloatArray


class MetricTable(Sequence[Mapping[str, float]]):
    """Per-node metrics, columnar (see the module docstring).

    Args:
        columns: metric name -> one value per node (NaN: that node lacks it).
        nodes: how many nodes; needed when there is no column (a score of no
            metric, such as ``lowest-id``), else the columns' length.
    """

    def __init__(self, columns: Mapping[str, FloatArray], *, nodes: int | None = None) -> None:
        sizes = {np.shape(column) for column in columns.values()}
        if nodes is not None:
            sizes.add((nodes,))
        if len(sizes) > 1:
            raise ValueError(f"metrics: columns of different lengths {sorted(sizes)}")
        if not sizes:
            raise ValueError("metrics: a table of no column needs its number of nodes")
        self._columns = {name: np.asarray(c, dtype=np.float64) for name, c in columns.items()}
        self._n = int(next(iter(sizes))[0])

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, float]]) -> MetricTable:
        """A table of per-node mappings (names in order of first appearance)."""
        names = list(dict.fromkeys(name for row in rows for name in row))
        return cls(
            {
                name: np.fromiter((row.get(name, np.nan) for row in rows), np.float64, len(rows))
                for name in names
            },
            nodes=len(rows),
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The metrics, in column order."""
        return tuple(self._columns)

    def column(self, name: str) -> FloatArray:
        """Every node's value of ``name`` (NaN where a node lacks it); a read-only view."""
        view: FloatArray = self._columns[name].view()
        view.flags.writeable = False
        return view

    def with_rows(self, rows: Mapping[int, Mapping[str, float]]) -> MetricTable:
        """A copy in which node ``i``'s metrics are updated with ``rows[i]``."""
        columns = {name: column.copy() for name, column in self._columns.items()}
        for i, row in rows.items():
            for name, value in row.items():
                if name not in columns:
                    columns[name] = np.full(self._n, np.nan)
                columns[name][i] = value
        return MetricTable(columns, nodes=self._n)

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> Mapping[str, float]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, float]]: ...

    def __getitem__(
        self, index: int | slice
    ) -> Mapping[str, float] | Sequence[Mapping[str, float]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._n))]
        if not -self._n <= index < self._n:
            raise IndexError(f"metrics: node {index} out of range (n = {self._n})")
        values = ((name, float(column[index])) for name, column in self._columns.items())
        return {name: value for name, value in values if not np.isnan(value)}

    def __iter__(self) -> Iterator[Mapping[str, float]]:
        return (self[i] for i in range(self._n))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetricTable):
            return NotImplemented
        return self.names == other.names and all(
            np.array_equal(a, b, equal_nan=True)
            for a, b in zip(self._columns.values(), other._columns.values(), strict=True)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking contents: not hashable

    def __repr__(self) -> str:
        return f"MetricTable({self._n} nodes: {', '.join(self.names)})"
