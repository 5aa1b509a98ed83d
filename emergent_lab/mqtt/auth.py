"""Optional message authentication with a shared cluster key.

Anyone who can publish to the broker can otherwise speak for any node, so a
cluster may share a secret key: every payload then carries ``"sig"``, the hex
HMAC-SHA256 of its *canonical JSON* (the object without ``"sig"``, keys
sorted, no whitespace, ASCII only, as ``json.dumps(obj, sort_keys=True,
separators=(",", ":"))`` prints it). Signing the parsed object rather than the
raw bytes lets a device build its payload with any JSON library, as long as it
signs the canonical form.

A valid signature does not make a message fresh: a recorded message can be
replayed. :class:`ReplayGuard` remembers, per sender, the newest
``(generation, counter)`` accepted (the heartbeat of a device, the message
sequence number of an agent) and refuses anything not newer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emergent_lab.mqtt.codec import SIG, dump_json

MIN_KEY_BYTES = 16
"""Shortest key accepted: HMAC with a guessable key authenticates nothing."""


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: ``obj`` without its signature, in canonical JSON."""
    return dump_json({k: v for k, v in obj.items() if k != SIG})


def load_key(path: str | Path) -> bytes:
    """Read a cluster key file (surrounding whitespace ignored).

    Raises:
        ValueError: naming ``--key-file`` if the file is missing or the key too short.
    """
    try:
        key = Path(path).read_bytes().strip()
    except OSError as error:
        raise ValueError(f"--key-file: cannot read {path} ({error.strerror})") from None
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"--key-file: the key must be at least {MIN_KEY_BYTES} bytes (got {len(key)})"
        )
    return key


class Signer:
    """Signs and checks payloads with one shared key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"key: must be at least {MIN_KEY_BYTES} bytes (got {len(key)})")
        self._key = key

    def signature(self, obj: Mapping[str, Any]) -> str:
        """The hex HMAC-SHA256 of ``obj``'s canonical JSON."""
        return hmac.new(self._key, canonical_json(obj), hashlib.sha256).hexdigest()

    def sign(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``obj`` carrying its signature."""
        return {**obj, SIG: self.signature(obj)}

    def problem(self, obj: Mapping[str, Any]) -> str | None:
        """``None`` if ``obj`` is correctly signed, else ``"unsigned"`` or ``"bad_signature"``."""
        sig = obj.get(SIG)
        if sig is None:
            return "unsigned"
        if not isinstance(sig, str) or not hmac.compare_digest(sig, self.signature(obj)):
            return "bad_signature"
        return None


def seal(obj: Mapping[str, Any], signer: Signer | None) -> bytes:
    """The payload bytes of ``obj``: signed when the cluster has a key."""
    return dump_json(signer.sign(obj) if signer is not None else obj)


class ReplayGuard:
    """Remembers the newest ``(generation, counter)`` accepted from each sender.

    Args:
        capacity: senders remembered; the least recently seen is forgotten
            first, so a flood of invented ids cannot exhaust memory.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._newest: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def stamps(self) -> dict[str, tuple[int, int]]:
        """The newest stamp of every remembered sender (for :mod:`emergent_lab.mqtt.state`)."""
        return dict(self._newest)

    def fresh(self, sender: str, generation: int, counter: int) -> bool:
        """True (and remembered) if this is newer than anything accepted from ``sender``."""
        stamp = (generation, counter)
        last = self._newest.get(sender)
        if last is not None and stamp <= last:
            return False
        self._newest[sender] = stamp
        self._newest.move_to_end(sender)
        while len(self._newest) > self.capacity:
            self._newest.popitem(last=False)
        return True
