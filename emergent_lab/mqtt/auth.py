"""Optional message authentication with a shared cluster key.

Anyone who can publish to the broker can otherwise speak for any node, so a
cluster may share a secret key. A signed payload is an *envelope*::

    {"body": "<the payload's JSON text>", "sig": "<hex HMAC-SHA256 of that text>"}

The signature covers the exact bytes of ``body`` (its UTF-8 encoding) as the
sender wrote them, so a device in any language signs what it prints, with
whatever float formatting it likes (``0.50``, ``1e+06``): nothing is
re-serialised before checking. The older form, ``"sig"`` inside the object
over its *canonical JSON* (keys sorted, no whitespace, as ``json.dumps(obj,
sort_keys=True, separators=(",", ":"))`` prints it), is still accepted, since
checking it costs one branch; it is fragile for non-Python senders because
their number formatting must match Python's.

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

from emergent_lab.mqtt.wire import SIG, Rejected, dump_json, parse_json

BODY = "body"
"""The key of an envelope's signed text."""
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

    def sign_bytes(self, body: bytes) -> str:
        """The hex HMAC-SHA256 of exactly ``body``."""
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def open(self, obj: Mapping[str, Any], *, limit: int) -> Mapping[str, Any]:
        """The payload inside a correctly signed envelope (or a correctly signed object).

        Raises:
            Rejected: ``unsigned`` or ``bad_signature``; for an envelope, also
                whatever parsing its body raises.
        """
        if not is_envelope(obj):
            problem = self.problem(obj)
            if problem is not None:
                raise Rejected(problem, "signature check failed")
            return obj
        body = obj[BODY].encode("utf-8")
        sig = obj[SIG]
        if not isinstance(sig, str) or not hmac.compare_digest(sig, self.sign_bytes(body)):
            raise Rejected("bad_signature", "the signature does not match the body")
        return parse_json(body, limit=limit)

    def problem(self, obj: Mapping[str, Any]) -> str | None:
        """``None`` if ``obj`` is correctly signed, else ``"unsigned"`` or ``"bad_signature"``."""
        sig = obj.get(SIG)
        if sig is None:
            return "unsigned"
        if not isinstance(sig, str) or not hmac.compare_digest(sig, self.signature(obj)):
            return "bad_signature"
        return None


def is_envelope(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a signed envelope: exactly a string ``body`` and a ``sig``."""
    return set(obj) == {BODY, SIG} and isinstance(obj[BODY], str)


def seal(obj: Mapping[str, Any], signer: Signer | None) -> bytes:
    """The payload bytes of ``obj``: with a key, an envelope signing its exact text."""
    if signer is None:
        return dump_json(obj)
    body = dump_json(obj)
    return dump_json({BODY: body.decode(), SIG: signer.sign_bytes(body)})


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
