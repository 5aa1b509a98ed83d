"""Node identifiers: their syntax, their order, and a table that interns them.

Nodes refer to each other by small integers so that views, digests and
deltas can be numpy arrays. In the simulator all nodes share one table; a
process on MQTT keeps its own and translates at its codec's edge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from emergent_lab.core.arrays import IntArray
from emergent_lab.core.compiled import compiled

NODE_ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
"""Matched in full (``fullmatch``): ``$`` would accept a trailing newline, which breaks a topic."""
_DIGITS = re.compile(r"(\d+)")
_NAME_NUMBER = re.compile(r"([^\d]+)(\d+)")
"""The usual shape of an id (``n42``, ``edge-7``): a fast path of :func:`node_sort_key`."""
_ID_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_MAX_ID_LENGTH = 64
_MAX_DIGITS = 18
"""Numbers of up to 18 digits fit an int64, so ids of one name and such a number sort as ints."""


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


def all_valid_ids(ids: Sequence[str]) -> bool:
    """Whether every one of ``ids`` is a valid id, checked in bulk.

    The same test as :func:`validate_node_id`, on the ids' joined bytes: ten
    million ids one regex call at a time took minutes on a loaded machine,
    this takes a second. On ``False``, validate them one by one to name the
    first bad one.
    """
    try:
        joined = "".join(ids)
    except TypeError:  # not all strings
        return False
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    if lengths.size and (lengths.min() < 1 or lengths.max() > _MAX_ID_LENGTH):
        return False
    if not joined.isascii():
        return False
    return not joined.encode().translate(None, bytes(_ID_BYTES))


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


def natural_ranks(ids: Sequence[str]) -> IntArray:
    """Each id's rank in natural order (:func:`node_sort_key`; ties keep list order), 0 first.

    Ids that are all one name and a number (``n0`` … ``n9999999``, the
    default) sort as numbers in compiled code; sorting ten million ids with a
    Python key per id took minutes. Any other list takes that sort.
    """
    numbers = _numbered(ids)
    if numbers is None:
        order: IntArray | list[int] = sorted(range(len(ids)), key=lambda i: node_sort_key(ids[i]))
    else:
        order = np.argsort(numbers, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    return rank


def _numbered(ids: Sequence[str]) -> IntArray | None:
    """The ids' numbers if every id is the first's name and up to 18 ASCII digits, else None."""
    usual = _NAME_NUMBER.fullmatch(ids[0]) if ids else None
    if usual is None or not usual[1].isascii():
        return None
    text = "\n".join(ids)
    if not text.isascii():
        return None
    name = np.frombuffer(usual[1].encode(), dtype=np.uint8)
    numbers = np.empty(len(ids), dtype=np.int64)
    if not _parse_numbered(np.frombuffer(text.encode(), dtype=np.uint8), name, numbers):
        return None
    return numbers


@compiled
def _parse_numbered(
    text: npt.NDArray[np.uint8], name: npt.NDArray[np.uint8], numbers: IntArray
) -> bool:
    """Parse newline-separated ``name`` + digits lines into ``numbers``; False if one is not."""
    at = 0
    for line in range(numbers.size):
        for c in range(name.size):
            if at >= text.size or text[at] != name[c]:
                return False
            at += 1
        value, digits = 0, 0
        while at < text.size and text[at] != 10:  # newline
            byte = text[at]
            if byte < 48 or byte > 57 or digits == _MAX_DIGITS:
                return False
            value = value * 10 + (byte - 48)
            digits += 1
            at += 1
        if digits == 0:
            return False
        numbers[line] = value
        at += 1
    return at >= text.size


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
        self._rank_list: list[int] | None = None
        self._id_bytes = np.zeros(0, dtype=np.int64)
        self._stale = False
        ids = ids or []
        index = dict(zip(ids, range(len(ids)), strict=True))
        if len(index) == len(ids) and all_valid_ids(ids):
            # Distinct and valid: what interning them one by one would give.
            self.ids, self.index, self._stale = list(ids), index, True
            return
        for node_id in ids:
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
        self._rank = natural_ranks(self.ids)
        self._rank_list = None
        # Valid ids are ASCII: one byte a character.
        self._id_bytes = np.fromiter(map(len, self.ids), dtype=np.int64, count=len(self.ids))
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
        if self._rank_list is None:
            # Made on first use: ten million Python ints are 300 MB an engine
            # on arrays never reads.
            self._rank_list = self._rank.tolist()
        return self._rank_list

    @property
    def id_bytes(self) -> np.ndarray:
        """Encoded length in bytes of every id, for message size accounting."""
        if self._stale:
            self._refresh()
        return self._id_bytes
