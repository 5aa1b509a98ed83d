"""The one door into a process: decode, authenticate, check freshness, count.

Every payload that arrives from the broker passes through an :class:`Inbox`,
which either returns a validated object or counts the payload under one
reason of :data:`~emergent_lab.mqtt.codec.REASONS` and returns ``None``.
Nothing raises past it, so a malformed or hostile message can never break
the node's loop; the counters are published in the node's status and shown
by ``emergent-lab observe``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from emergent_lab.core.ids import IdTable
from emergent_lab.mqtt.admission import Admission
from emergent_lab.mqtt.auth import ReplayGuard, Signer, is_envelope
from emergent_lab.mqtt.codec import GossipEnvelope, decode_gossip
from emergent_lab.mqtt.reports import (
    DeviceReport,
    LeaderAnnouncement,
    NodeStatus,
    decode_device,
    decode_leader,
    decode_status,
)
from emergent_lab.mqtt.wire import (
    MAX_GOSSIP_BYTES,
    MAX_SMALL_BYTES,
    MAX_STATUS_BYTES,
    Rejected,
    parse_json,
)
from emergent_lab.protocol.messages import version_key
from emergent_lab.score import ScoreFunction

MAX_IDS = 10_000
"""Most ids a process holds at once; beyond it, the least valuable make room
(see :mod:`emergent_lab.mqtt.admission`)."""

_T = TypeVar("_T")


class Inbox:
    """Decodes and vets incoming payloads for one process.

    Args:
        ids: the process's id table; gossip ids are interned into it.
        signer: the cluster key's signer, or ``None`` for an open cluster
            (then nothing is signed and freshness is not enforced).
        score: the cluster's score function; a device whose metrics it cannot
            score is refused as ``bad_metrics``.
        max_ids: the cap on ``ids``, kept by :attr:`admission`.
    """

    def __init__(
        self,
        ids: IdTable,
        *,
        signer: Signer | None = None,
        score: ScoreFunction | None = None,
        max_ids: int = MAX_IDS,
    ) -> None:
        self.ids = ids
        self.signer = signer
        self.score = score
        self.max_ids = max_ids
        self.admission = Admission(ids, max_ids=max_ids)
        self.accepted = 0
        self.rejected: Counter[str] = Counter()
        self.gossip_guard = ReplayGuard(max_ids)
        self.device_guard = ReplayGuard(max_ids)
        self.newest_held: Callable[[str], int] | None = None
        """The version key the process's view holds of a node (0: none), if it has a view:
        with a key, a device heartbeat older than it is a replay (a restarted agent
        learns these keys from its peers)."""

    @property
    def total(self) -> int:
        """Payloads seen so far, accepted or not."""
        return self.accepted + sum(self.rejected.values())

    def _vet(
        self, payload: bytes, limit: int, decode: Callable[[Mapping[str, Any]], _T]
    ) -> _T | None:
        try:
            obj: Mapping[str, Any] = parse_json(payload, limit=limit)
            if self.signer is not None:
                obj = self.signer.open(obj, limit=limit)
            elif is_envelope(obj):  # an open cluster checks no signature, but reads the body
                obj = parse_json(obj["body"].encode("utf-8"), limit=limit)
            result = decode(obj)
        except Rejected as rejection:
            self.rejected[rejection.reason] += 1
            return None
        self.accepted += 1
        return result

    def gossip(self, payload: bytes, *, me: str) -> GossipEnvelope | None:
        """A gossip message addressed to ``me``, or ``None`` (counted) if refused."""

        def decode(obj: Mapping[str, Any]) -> GossipEnvelope:
            envelope = decode_gossip(obj, self.admission)
            if envelope.to != me:
                raise Rejected("wrong_topic", f"addressed to {envelope.to}, not {me}")
            if self.signer is not None and not self.gossip_guard.fresh(
                envelope.sender, envelope.generation, envelope.seq
            ):
                raise Rejected("replay", f"not newer than the last from {envelope.sender}")
            return envelope

        envelope = self._vet(payload, MAX_GOSSIP_BYTES, decode)
        if envelope is not None and envelope.refused:
            self.rejected["too_many_nodes"] += 1
        return envelope

    def device(
        self, payload: bytes, *, topic_id: str | None, admit: bool = True
    ) -> DeviceReport | None:
        """A device heartbeat published under its own id, or ``None`` (counted).

        With ``admit`` the device's id is admitted into the table (its heartbeat
        is direct evidence); an observer, which mirrors nothing, passes False.
        """

        def decode(obj: Mapping[str, Any]) -> DeviceReport:
            report = decode_device(obj)
            if report.node != topic_id:
                raise Rejected("wrong_topic", f"{report.node} published under {topic_id}")
            if self.score is not None:
                try:
                    self.score.score(report.metrics)
                except ValueError as error:
                    raise Rejected("bad_metrics", str(error)) from None
            if self.signer is not None and not self.device_guard.fresh(
                report.node, report.generation, report.heartbeat
            ):
                raise Rejected("replay", f"not newer than the last from {report.node}")
            held = self.newest_held
            stamp = version_key(report.generation, report.heartbeat)
            if self.signer is not None and held is not None and stamp < held(report.node):
                raise Rejected("replay", f"{report.node}: a newer state is already held")
            if admit and not self.admission.admit(report.node, report.node):
                raise Rejected("too_many_nodes", f"no room for {report.node} ({self.max_ids} ids)")
            return report

        return self._vet(payload, MAX_SMALL_BYTES, decode)

    def leader(self, payload: bytes) -> LeaderAnnouncement | None:
        """The retained leader, or ``None`` (counted)."""
        return self._vet(payload, MAX_SMALL_BYTES, decode_leader)

    def status(self, payload: bytes, *, topic_id: str | None) -> NodeStatus | None:
        """A node's status published under its own id, or ``None`` (counted)."""

        def decode(obj: Mapping[str, Any]) -> NodeStatus:
            status = decode_status(obj)
            if status.node != topic_id:
                raise Rejected("wrong_topic", f"{status.node} published under {topic_id}")
            return status

        return self._vet(payload, MAX_STATUS_BYTES, decode)
