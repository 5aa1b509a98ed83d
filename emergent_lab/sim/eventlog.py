"""A running digest of everything that happened in a run.

Two runs are the same, event for event, exactly when their digests match:
each record is hashed as it happens, so a million messages cost no memory.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np

from emergent_lab.core.arrays import IntArray

_MESSAGE = struct.Struct("<dIIBI")
_MESSAGES = np.dtype(
    [("time", "<f8"), ("src", "<u4"), ("dst", "<u4"), ("kind", "u1"), ("size", "<u4")]
)
"""``_MESSAGE`` as a packed numpy record: an array of them is the bytes of its records in a row."""


class EventLog:
    """Hashes every delivered message and every observed change of a run."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.records = 0

    def message(self, time: float, src: int, dst: int, kind: int, size: int) -> None:
        """Record one message event compactly (kind: the message kind's code, or a fate code)."""
        self._hash.update(_MESSAGE.pack(time, src, dst, kind, size))
        self.records += 1

    def messages(self, time: float, src: int, dsts: IntArray, kind: int, size: int) -> None:
        """Record one message from ``src`` to each of ``dsts``, as ``message`` would one by one.

        SHA-256 of the records' bytes in a row is that of updating with each,
        so hashing the packed array once gives the digest ``len(dsts)`` calls give.
        """
        records = np.empty(dsts.size, dtype=_MESSAGES)
        records["time"] = time
        records["src"] = src
        records["dst"] = dsts
        records["kind"] = kind
        records["size"] = size
        self._hash.update(records.tobytes())
        self.records += int(dsts.size)

    def record(self, time: float, *fields: object) -> None:
        """Record any other event by its printed fields."""
        self._hash.update(repr((time, *fields)).encode())
        self.records += 1

    def __deepcopy__(self, memo: dict[int, object]) -> EventLog:
        """A copy that goes on from the same digest: how a run is forked (dashboard replay)."""
        twin = EventLog()
        twin._hash = self._hash.copy()
        twin.records = self.records
        return twin

    def hexdigest(self) -> str:
        """The SHA-256 of every record so far."""
        return self._hash.hexdigest()
