"""Explicit elections on the same simulated network and detector, to compare against.

``BullyNode`` runs the Bully election, ``RaftNode`` Raft's quorum election; the
Akka-style deterministic leader needs no node class of its own and lives in
``emergent_lab.scenario.akka`` as a preset of the emergent protocol.

Layer 4: may import core, score, detector, datasets, protocol and sim.
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
from emergent_lab.baselines.raft import RaftNode

__all__ = [
    "ELECTION_KINDS",
    "Answer",
    "BullyMessage",
    "BullyNode",
    "Coordinator",
    "Election",
    "Heartbeat",
    "RaftNode",
]
