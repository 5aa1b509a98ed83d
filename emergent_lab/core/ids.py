"""Node identifiers: their syntax, their order, and a table that interns them.

Nodes refer to each other by small integers so that views, digests and
deltas can be numpy arrays. In the simulator all nodes share one table; a
process on MQTT keeps its own and translates at its codec's edge.
"""

from __future__ import annotations

import re

import numpy as np

NODE_ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
"""Matched in full (``fullmatch``): ``$`` would accept a trailing newline, which breaks a topic."""
_DIGITS = re.compile(r"(\d+)")
_NAME_NUMBER = re.compile(r"([^\d]+)(\d+)")
"""The usual shape of an id (``n42``, ``edge-7``): a fast path of :func:`node_sort_key`."""


def validate_node_id(node_id: object, *, field: str = "node") -> str:
    """Return ``node_id`` if it is a valid id, else raise ValueError naming ``field``.

    Ids become MQTT topic levels, so they may only use letters, digits, ``_``,
    ``.`` and ``-`` (1 to 64 characters): no ``/``, ``+`` or ``#``.
    """
    if not isinstance(node_id, str) or not NODE_ID_PATTERN.fullmatch(node_id):
        raise ValueError(
            f"{field}: invalid node id {node_id!r} (expected 1-64 characters of "
            "letters, digits, '_', '.', '-')"
        )
    return node_id


def node_sort_key(node_id: str) -> tuple[tuple[int, int | str], ...]:
    """Order ids naturally, so that ``n2`` comes before ``n10``.

    This order is the tie-break of the leader rule: of two equal scores the
    node that sorts first wins, the way Akka picks the first member by address.
    """
    usual = _NAME_NUMBER.fullmatch(node_id)
    if usual:
        return ((1, usual[1]), (0, int(usual[2])))
    parts = _DIGITS.split(node_id)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def default_ids(n: int) -> tuple[str, ...]:
    """``n0`` … ``n{n-1}``: ids whose natural order is their number."""
    return tuple(f"n{i}" for i in range(n))


NO_NODE = -1
"""The index that names no node: no opinion, no leader, no candidate."""


class IdTable:
    """Interns node ids to dense indices and keeps their tie-break ranks."""

    def __init__(self, ids: list[str] | None = None) -> None:
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self._rank = np.zeros(0, dtype=np.int64)
        self._rank_list: list[int] = []
        self._id_bytes = np.zeros(0, dtype=np.int64)
        self._stale = False
        for node_id in ids or []:
            self.intern(node_id)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.index

    def intern(self, node_id: str) -> int:
        """Return the index of ``node_id``, adding it if it is new."""
        found = self.index.get(node_id)
        if found is not None:
            return found
        validate_node_id(node_id)
        self.index[node_id] = len(self.ids)
        self.ids.append(node_id)
        self._stale = True
        return len(self.ids) - 1

    def _refresh(self) -> None:
        order = sorted(range(len(self.ids)), key=lambda i: node_sort_key(self.ids[i]))
        rank = np.empty(len(self.ids), dtype=np.int64)
        rank[order] = np.arange(len(self.ids))
        self._rank = rank
        self._rank_list = rank.tolist()
        self._id_bytes = np.array([len(i.encode()) for i in self.ids], dtype=np.int64)
        self._stale = False

    @property
    def rank(self) -> np.ndarray:
        """Tie-break rank of every index (0 sorts first)."""
        if self._stale:
            self._refresh()
        return self._rank

    @property
    def rank_list(self) -> list[int]:
        """The same ranks as Python ints, one list shared by every reader.

        Code that compares a few candidates at a time in Python (a top-k
        node's list) reads these: indexing a numpy array for one number
        costs several times more, and a copy per node would cost n ints each.
        """
        if self._stale:
            self._refresh()
        return self._rank_list

    @property
    def id_bytes(self) -> np.ndarray:
        """Encoded length in bytes of every id, for message size accounting."""
        if self._stale:
            self._refresh()
        return self._id_bytes
