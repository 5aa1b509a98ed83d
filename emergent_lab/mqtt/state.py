"""Replay stamps that survive a restart, in a small state directory (``--state-dir``).

A signature proves who wrote a message, not when: a recorded heartbeat of a
device can be replayed. :class:`~emergent_lab.mqtt.auth.ReplayGuard` refuses
anything not newer than the last accepted stamp, but it lives in memory, so a
freshly restarted agent once accepted heartbeats of a device dead for a
minute, and gossiped them on. With a state directory the agent writes its
stamps to ``stamps.json`` whenever they changed, at most once per status
interval and on a clean exit, and reads them back when it starts.

The guarantee and its limit: after a clean stop nothing already accepted is
accepted again; after a crash (SIGKILL, power loss) only what was accepted in
the last status interval before it can be replayed once. Without a state
directory a restarted agent only refuses what its view holds newer (what it
learnt from its peers).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from emergent_lab.core.ids import validate_node_id
from emergent_lab.mqtt.auth import ReplayGuard
from emergent_lab.mqtt.wire import MAX_GENERATION, Rejected, parse_json

log = logging.getLogger(__name__)

FILE_NAME = "stamps.json"
MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest stamp file read back: two guards of 10,000 senders fit well within it."""


class StampStore:
    """Keeps the replay guards of one agent in ``<directory>/stamps.json``.

    Args:
        directory: the state directory (created if missing).
        guards: the guards to keep, by name (``"devices"``, ``"gossip"``).
    """

    def __init__(self, directory: str | Path, guards: dict[str, ReplayGuard]) -> None:
        self.path = Path(directory) / FILE_NAME
        self.guards = guards
        self._saved: dict[str, dict[str, tuple[int, int]]] = {}

    def load(self) -> None:
        """Restore the guards from the file; an unreadable or invalid file is ignored (logged)."""
        try:
            raw = self.path.read_bytes()
            data = parse_json(raw, limit=MAX_FILE_BYTES)
            for name, guard in self.guards.items():
                stamps = data.get(name, {})
                if not isinstance(stamps, dict):
                    raise ValueError(f"{name} is not an object")
                for sender, stamp in stamps.items():
                    validate_node_id(sender, field=f"{name} sender")
                    generation, counter = stamp
                    if not (0 <= generation <= MAX_GENERATION and 0 <= counter < 2**63):
                        raise ValueError(f"{name}.{sender}: stamp out of range")
                    guard.fresh(sender, int(generation), int(counter))
        except FileNotFoundError:
            return
        except (OSError, Rejected, ValueError, TypeError) as error:
            log.warning("%s: ignored (%s); starting without replay stamps", self.path, error)
        self._saved = self._snapshot()

    def save(self) -> None:
        """Write the guards if they changed since the last write (atomically: write, rename)."""
        snapshot = self._snapshot()
        if snapshot == self._saved:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(snapshot, sort_keys=True))
        os.replace(temporary, self.path)
        self._saved = snapshot

    def _snapshot(self) -> dict[str, dict[str, tuple[int, int]]]:
        return {name: guard.stamps() for name, guard in self.guards.items()}
