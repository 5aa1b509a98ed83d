"""Explicit elections on the same simulated network and detector, to compare against.

``BullyNode`` runs the Bully election; the Akka-style deterministic leader
needs no node class of its own and lives in ``emergent_lab.baselines.akka``
as a preset of the emergent protocol (imported from there, since it builds on
the scenario layer).
"""

from emergent_lab.baselines.bully import BullyNode
from emergent_lab.baselines.messages import (
    ELECTION_KINDS,
    Answer,
    BullyMessage,
    Coordinator,
    Election,
    Heartbeat,
)

__all__ = [
    "ELECTION_KINDS",
    "Answer",
    "BullyMessage",
    "BullyNode",
    "Coordinator",
    "Election",
    "Heartbeat",
]
