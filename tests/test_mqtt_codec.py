"""The wire format, its validation and the signatures, without a broker."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from emergent_lab.core.ids import IdTable
from emergent_lab.mqtt.auth import ReplayGuard, Signer, canonical_json, load_key, seal
from emergent_lab.mqtt.codec import encode_gossip
from emergent_lab.mqtt.inbox import Inbox
from emergent_lab.mqtt.reports import (
    DeviceReport,
    LeaderAnnouncement,
    NodeStatus,
    PeerSummary,
    decode_status,
)
from emergent_lab.mqtt.wire import MAX_SMALL_BYTES, REASONS, dump_json, parse_json
from emergent_lab.protocol.messages import (
    STATUS_LEFT,
    STATUS_UP,
    GossipAck,
    GossipAck2,
    GossipSyn,
    StateBatch,
    version_key,
)
from emergent_lab.protocol.node import Node
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.score import ScoreFunction

KEY = b"a-shared-cluster-key-of-32-bytes"


def batch(ids: IdTable, rows: list[dict[str, Any]]) -> StateBatch:
    metrics = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        metrics[i] = row["metrics"]
    return StateBatch(
        idx=np.array([ids.intern(r["node"]) for r in rows], dtype=np.int64),
        key=np.array([version_key(r["generation"], r["version"]) for r in rows], dtype=np.int64),
        heartbeat=np.array([r["heartbeat"] for r in rows], dtype=np.int64),
        score=np.array([r["score"] for r in rows]),
        opinion=np.array(
            [ids.intern(r["opinion"]) if r["opinion"] else -1 for r in rows], dtype=np.int64
        ),
        status=np.array([r["status"] for r in rows], dtype=np.int8),
        metrics=metrics,
        state_bytes=np.zeros(len(rows), dtype=np.int64),
    )


ROWS = [
    {
        "node": "n2",
        "generation": 3,
        "version": 7,
        "heartbeat": 5,
        "score": 0.25,
        "opinion": "n1",
        "status": STATUS_UP,
        "metrics": {"cpu_free": 0.5},
    },
    {
        "node": "n1",
        "generation": 1,
        "version": 2,
        "heartbeat": 9,
        "score": 0.75,
        "opinion": None,
        "status": STATUS_LEFT,
        "metrics": {},
    },
]


def carry(message: Any, sender_ids: IdTable, to: str = "me", seq: int = 1) -> bytes:
    return dump_json(encode_gossip(message, sender_ids, to=to, generation=1, seq=seq))


# -- gossip round trips across two id tables --------------------------------------------


def test_a_digest_keeps_its_versions_under_the_receivers_own_indices() -> None:
    sender = IdTable(["n1", "n2", "n3"])
    digest = np.array([version_key(1, 4), 0, version_key(2, 9)], dtype=np.int64)
    receiver = IdTable(["n3", "me"])  # a different order, and n1 unknown so far
    envelope = Inbox(receiver).gossip(carry(GossipSyn(1, digest), sender), me="me")
    assert envelope is not None and isinstance(envelope.message, GossipSyn)
    got = envelope.message.digest
    assert envelope.sender == "n2"
    assert "n1" not in receiver  # merely named: no evidence it exists, not admitted
    assert got[receiver.index["n3"]] == version_key(2, 9)
    assert got[receiver.index["me"]] == 0
    assert got.shape[0] == len(receiver)


def test_states_and_requests_arrive_as_they_were_sent() -> None:
    sender = IdTable(["n1", "n2", "n3"])
    message = GossipAck(2, batch(sender, ROWS), np.array([0], dtype=np.int64))
    receiver = IdTable(["me"])
    envelope = Inbox(receiver).gossip(carry(message, sender), me="me")
    assert envelope is not None and isinstance(envelope.message, GossipAck)
    deltas = envelope.message.deltas
    assert [receiver.ids[i] for i in deltas.idx] == ["n2", "n1"]
    assert deltas.key.tolist() == [version_key(3, 7), version_key(1, 2)]
    assert deltas.heartbeat.tolist() == [5, 9]
    assert deltas.score.tolist() == [0.25, 0.75]
    assert [receiver.ids[i] if i >= 0 else None for i in deltas.opinion] == ["n1", None]
    assert deltas.status.tolist() == [STATUS_UP, STATUS_LEFT]
    assert list(deltas.metrics) == [{"cpu_free": 0.5}, {}]
    assert [receiver.ids[i] for i in envelope.message.request] == ["n1"]
    assert envelope.message.sender == receiver.index["n3"]


# -- rejections, one reason each ------------------------------------------------------------

GOOD_DEVICE = {"v": 1, "node": "d1", "generation": 1, "heartbeat": 3, "metrics": {"cpu": 0.5}}


def device_bytes(**changes: Any) -> bytes:
    return json.dumps({**GOOD_DEVICE, **changes}).encode()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"x" * (MAX_SMALL_BYTES + 1), "too_large"),
        (b'{"v": 1,', "not_json"),
        (b"\xff\xfe", "not_json"),
        (b"[1, 2]", "schema"),
        (device_bytes(metrics={"cpu": float("nan")}), "not_finite"),
        (device_bytes().replace(b"0.5", b"1e999"), "not_finite"),
        (device_bytes().replace(b'"v": 1', b'"v": 1, "v": 1'), "schema"),
        (json.dumps({k: v for k, v in GOOD_DEVICE.items() if k != "heartbeat"}).encode(), "schema"),
        (device_bytes(extra=1), "schema"),
        (device_bytes(v=2), "version"),
        (device_bytes(generation=-1), "out_of_range"),
        (device_bytes(heartbeat=2**40), "out_of_range"),
        (device_bytes(generation="1"), "type"),
        (device_bytes(heartbeat=True), "type"),
        (device_bytes(metrics={"cpu": "high"}), "type"),
        (device_bytes(node="d1/../n1"), "bad_id"),
        (device_bytes(node="d2"), "wrong_topic"),
        (device_bytes(metrics={"not a name": 1}), "bad_metrics"),
        (device_bytes(metrics={f"m{i}": 1 for i in range(40)}), "too_large"),
    ],
)
def test_each_bad_device_payload_is_refused_with_its_reason(payload: bytes, reason: str) -> None:
    inbox = Inbox(IdTable())
    assert inbox.device(payload, topic_id="d1") is None
    assert dict(inbox.rejected) == {reason: 1}
    assert inbox.accepted == 0


def test_a_good_device_payload_is_accepted() -> None:
    inbox = Inbox(IdTable())
    report = inbox.device(device_bytes(), topic_id="d1")
    assert report == DeviceReport("d1", 1, 3, {"cpu": 0.5})
    assert inbox.accepted == 1 and not inbox.rejected


def test_metrics_the_score_function_refuses_are_bad_metrics() -> None:
    picky = ScoreFunction({}, custom=lambda metrics: float("nan"), name="picky")
    inbox = Inbox(IdTable(), score=picky)
    assert inbox.device(device_bytes(), topic_id="d1") is None
    assert dict(inbox.rejected) == {"bad_metrics": 1}


def test_a_refused_gossip_message_interns_no_id() -> None:
    sender = IdTable(["n1", "n2"])
    good = encode_gossip(
        GossipAck2(0, batch(sender, ROWS[:1])), sender, to="me", generation=1, seq=1
    )
    good["states"][0]["score"] = 7.0  # out of [0, 1]
    receiver = IdTable(["me"])
    inbox = Inbox(receiver)
    assert inbox.gossip(dump_json(good), me="me") is None
    assert dict(inbox.rejected) == {"out_of_range": 1}
    assert receiver.ids == ["me"]


def test_a_digest_naming_many_new_ids_admits_none_of_them() -> None:
    sender = IdTable([f"n{i}" for i in range(10)])
    digest = np.full(10, version_key(1, 1), dtype=np.int64)
    receiver = IdTable(["me"])
    inbox = Inbox(receiver, max_ids=5)
    assert inbox.gossip(carry(GossipSyn(0, digest), sender), me="me") is not None
    assert receiver.ids == ["me", "n0"]  # only the sender, which vouches for itself


def test_states_beyond_the_table_are_left_out_and_counted() -> None:
    sender = IdTable([f"n{i}" for i in range(10)])
    rows = [dict(ROWS[0], node=f"n{i}", opinion=None) for i in range(1, 10)]
    receiver = IdTable(["me"])
    inbox = Inbox(receiver, max_ids=5)
    envelope = inbox.gossip(carry(GossipAck2(0, batch(sender, rows)), sender), me="me")
    assert envelope is not None and isinstance(envelope.message, GossipAck2)
    assert len(envelope.message.deltas) == 3
    assert dict(inbox.rejected) == {"too_many_nodes": 1}
    assert len(receiver) == 5


def test_gossip_addressed_to_someone_else_is_refused() -> None:
    sender = IdTable(["n1"])
    inbox = Inbox(IdTable(["me"]))
    syn = GossipSyn(0, np.array([version_key(1, 1)], dtype=np.int64))
    assert inbox.gossip(carry(syn, sender, to="other"), me="me") is None
    assert dict(inbox.rejected) == {"wrong_topic": 1}


def test_leader_and_status_round_trip() -> None:
    inbox = Inbox(IdTable())
    leader = LeaderAnnouncement("n3", 1_700_000_000.5, 7, by="n3", generation=2, seq=5)
    assert inbox.leader(dump_json(leader.to_wire())) == leader
    assert inbox.leader(dump_json({**leader.to_wire(), "leader": None})) == LeaderAnnouncement(
        None, 1_700_000_000.5, 7, by="n3", generation=2, seq=5
    )
    status = NodeStatus(
        "n1",
        2,
        online=True,
        heartbeat=4,
        score=0.5,
        opinion="n3",
        recognised="n3",
        acting=False,
        metrics={"cpu_free": 0.4},
        peers=(PeerSummary("n3", 1, 9, 0.7, 0.3, True), PeerSummary("d1", 1, 2, 0.1, 1e6, False)),
        rejected={"unsigned": 2},
        sent=10,
        sent_bytes=900,
    )
    assert inbox.status(dump_json(status.to_wire()), topic_id="n1") == status
    offline = NodeStatus("n1", 2, online=False)
    assert decode_status(offline.to_wire()) == offline
    assert inbox.status(dump_json(status.to_wire()), topic_id="n2") is None
    assert dict(inbox.rejected) == {"wrong_topic": 1}


def test_infinite_phi_is_capped_on_the_wire() -> None:
    status = NodeStatus("n1", 1, online=True, peers=(PeerSummary("n2", 1, 1, 0.5, np.inf, False),))
    wire = parse_json(dump_json(status.to_wire()), limit=10**6)
    assert wire["peers"][0][4] == 1e6


# -- signatures and replays ----------------------------------------------------------------------


def test_a_signature_covers_content_not_layout() -> None:
    signer = Signer(KEY)
    signed = signer.sign(GOOD_DEVICE)
    # A device may print keys in any order and with any spacing.
    relaid = json.dumps(dict(reversed(list(signed.items()))), indent=2).encode()
    inbox = Inbox(IdTable(), signer=signer)
    assert inbox.device(relaid, topic_id="d1") is not None
    assert canonical_json(signed) == canonical_json(GOOD_DEVICE)


def test_unsigned_badly_signed_and_replayed_device_messages_are_refused() -> None:
    signer = Signer(KEY)
    inbox = Inbox(IdTable(), signer=signer)
    fresh = seal(GOOD_DEVICE, signer)
    assert inbox.device(fresh, topic_id="d1") is not None
    assert inbox.device(dump_json({**GOOD_DEVICE, "heartbeat": 4}), topic_id="d1") is None
    forged = Signer(b"some-other-key-of-enough-bytes").sign({**GOOD_DEVICE, "heartbeat": 5})
    assert inbox.device(dump_json(forged), topic_id="d1") is None
    tampered = {**signer.sign({**GOOD_DEVICE, "heartbeat": 6}), "metrics": {"cpu": 1.0}}
    assert inbox.device(dump_json(tampered), topic_id="d1") is None
    assert inbox.device(fresh, topic_id="d1") is None  # the same message again
    assert inbox.device(seal({**GOOD_DEVICE, "heartbeat": 7}, signer), topic_id="d1") is not None
    restarted = {**GOOD_DEVICE, "generation": 2, "heartbeat": 1}
    assert inbox.device(seal(restarted, signer), topic_id="d1") is not None
    assert dict(inbox.rejected) == {"unsigned": 1, "bad_signature": 2, "replay": 1}
    assert inbox.accepted == 3


def test_replayed_gossip_is_refused_with_a_key() -> None:
    signer = Signer(KEY)
    sender = IdTable(["n1"])
    syn = GossipSyn(0, np.array([version_key(1, 1)], dtype=np.int64))
    first = seal(encode_gossip(syn, sender, to="me", generation=1, seq=1), signer)
    second = seal(encode_gossip(syn, sender, to="me", generation=1, seq=2), signer)
    inbox = Inbox(IdTable(["me"]), signer=signer)
    assert inbox.gossip(first, me="me") is not None
    assert inbox.gossip(second, me="me") is not None
    assert inbox.gossip(first, me="me") is None
    assert dict(inbox.rejected) == {"replay": 1}


def test_replay_guard_forgets_the_oldest_sender_first() -> None:
    guard = ReplayGuard(capacity=2)
    assert guard.fresh("a", 1, 1) and guard.fresh("b", 1, 1) and guard.fresh("c", 1, 1)
    assert guard.fresh("a", 1, 1)  # forgotten, so accepted again
    assert not guard.fresh("c", 1, 1)


def test_short_or_missing_keys_are_refused(tmp_path: Any) -> None:
    short = tmp_path / "short.key"
    short.write_bytes(b"tiny\n")
    with pytest.raises(ValueError, match="--key-file: the key must be at least 16 bytes"):
        load_key(short)
    with pytest.raises(ValueError, match="--key-file: cannot read"):
        load_key(tmp_path / "missing.key")


# -- fuzz: nothing escapes, everything is counted ------------------------------------------------


class ManualClock:
    def __init__(self) -> None:
        self.time = 0.0

    def now(self) -> float:
        return self.time

    def call_later(self, delay: float, callback: Callable[[], Any]) -> Any:
        class Handle:
            def cancel(self) -> None:
                pass

        return Handle()


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, src: int, dst: int, message: Any) -> None:
        self.sent.append(message)


def receiving_node() -> tuple[Node, Inbox, ManualClock]:
    ids = IdTable()
    clock = ManualClock()
    node = Node(
        "me",
        ids=ids,
        params=ProtocolParams(),
        score=ScoreFunction.preset("capacity"),
        metrics={"cpu_free": 0.5},
        clock=clock,
        transport=Outbox(),
        rng=np.random.default_rng(0),
    )
    node.start()
    return node, Inbox(ids, max_ids=64), clock


def valid_payloads() -> list[dict[str, Any]]:
    sender = IdTable(["n1", "n2", "n3", "me"])
    digest = np.array([version_key(1, 3), version_key(2, 1), 0, version_key(1, 1)], dtype=np.int64)
    deltas = batch(sender, ROWS)
    return [
        encode_gossip(GossipSyn(0, digest), sender, to="me", generation=1, seq=1),
        encode_gossip(
            GossipAck(1, deltas, np.array([2], dtype=np.int64)),
            sender,
            to="me",
            generation=1,
            seq=2,
        ),
        encode_gossip(GossipAck2(2, deltas), sender, to="me", generation=1, seq=3),
        dict(GOOD_DEVICE),
        LeaderAnnouncement("n1", 1.0, 3, by="n1", generation=1, seq=1).to_wire(),
        NodeStatus(
            "n1", 1, online=True, peers=(PeerSummary("n2", 1, 1, 0.5, 2.0, True),)
        ).to_wire(),
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def mutate(obj: Any, path: list[int], replacement: Any) -> Any:
    """Replace the value at a pseudo-random path inside ``obj`` (by index choices)."""
    if not path or not isinstance(obj, (dict, list)) or not obj:
        return replacement
    if isinstance(obj, dict):
        key = list(obj)[path[0] % len(obj)]
        return {**obj, key: mutate(obj[key], path[1:], replacement)}
    i = path[0] % len(obj)
    return [*obj[:i], mutate(obj[i], path[1:], replacement), *obj[i + 1 :]]


def feed_everywhere(node: Node, inbox: Inbox, clock: ManualClock, payload: bytes) -> None:
    """Offer one payload to every decoder, and deliver what is accepted to the node."""
    before = inbox.total
    clock.time += 0.01
    envelope = inbox.gossip(payload, me="me")
    if envelope is not None:
        node.view.ensure_capacity(len(node.ids))
        node.receive(envelope.message)
    inbox.device(payload, topic_id="d1")
    inbox.leader(payload)
    inbox.status(payload, topic_id="n1")
    assert inbox.total == before + 4
    assert set(inbox.rejected) <= set(REASONS)


FUZZ = settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_escape_and_are_counted(payload: bytes) -> None:
    node, inbox, clock = receiving_node()
    feed_everywhere(node, inbox, clock, payload)


@FUZZ
@given(JSON)
def test_random_json_never_escapes_and_is_counted(value: Any) -> None:
    node, inbox, clock = receiving_node()
    feed_everywhere(node, inbox, clock, json.dumps(value).encode())


@FUZZ
@example(which=1, path=[6, 0, 6], replacement=[], cut=0)  # a list as a state's status
@given(
    st.integers(0, 5),
    st.lists(st.integers(0, 50), max_size=5),
    JSON,
    st.integers(0, 3),
)
def test_mutated_valid_payloads_never_escape_and_are_counted(
    which: int, path: list[int], replacement: Any, cut: int
) -> None:
    node, inbox, clock = receiving_node()
    payload = json.dumps(mutate(valid_payloads()[which], path, replacement)).encode()
    if cut:
        payload = payload[: len(payload) * cut // 4]
    feed_everywhere(node, inbox, clock, payload)


def test_the_valid_payloads_used_for_mutation_are_accepted() -> None:
    node, inbox, clock = receiving_node()
    for payload in valid_payloads():
        feed_everywhere(node, inbox, clock, dump_json(payload))
    assert inbox.accepted == len(valid_payloads())


# -- the leader publisher ------------------------------------------------------------------------


def fake_node(recognised: str | None, *, acting: bool, members: int) -> Any:
    from types import SimpleNamespace

    names = ["n1", "n2", "n3"]
    return SimpleNamespace(
        recognised=names.index(recognised) if recognised else -1,
        id_of=lambda i: names[i] if i >= 0 else None,
        acting=acting,
        alive_mask=np.arange(5) < members,
    )


NONE = np.zeros(0, dtype=np.int64)


def test_only_the_writer_announces_and_others_repair_after_the_grace() -> None:
    from emergent_lab.mqtt.leader import LeaderPublisher

    sent: list[LeaderAnnouncement] = []
    clock = iter([100.0, 200.0, 300.0, 400.0])
    writing = {"now": False}
    publisher = LeaderPublisher(
        sent.append,
        me="n1",
        generation=2,
        grace=0.2,
        writer=lambda node: writing["now"],
        wall_clock=lambda: next(clock),
    )
    follower = fake_node("n2", acting=False, members=3)
    publisher.node_changed(follower, 0.0)  # not the writer: quiet
    publisher.check(follower, 0.0)  # the topic is empty: wrong from now on
    publisher.check(follower, 0.1)  # still within the grace
    assert sent == []
    publisher.check(follower, 0.2)  # the writer did not repair it: this agent does
    assert sent == [LeaderAnnouncement("n2", 100.0, 3, by="n1", generation=2, seq=1)]
    publisher.seen(sent[-1])  # its own, current: right
    publisher.check(follower, 0.3)
    writing["now"] = True
    publisher.suspicions_changed(fake_node("n2", acting=False, members=4), NONE, NONE, 0.4)
    spoof = LeaderAnnouncement("evil", 1.0, 9, by="n3", generation=1, seq=7)
    publisher.seen(spoof)
    publisher.check(follower, 0.5)  # the writer repairs at once
    publisher.seen(LeaderAnnouncement("n2", 1.0, 9, by="n3", generation=1, seq=6))  # replayed
    assert publisher.retained is None and publisher.stale == 1
    publisher.seen(sent[0])  # its own superseded announcement: stale too
    assert publisher.retained is None and publisher.stale == 2
    assert [(a.leader, a.members, a.seq) for a in sent] == [
        ("n2", 3, 1),
        ("n2", 4, 2),
        ("n2", 3, 3),
    ]


def test_the_leader_restates_a_right_value_another_agent_wrote_and_followers_leave_it() -> None:
    """A repair (or its replay) by another agent names the right leader: the leader signs it anew.

    Only the acting leader insists on its own stamp, keeping the leadership's ``since``;
    a follower finds the same value right and writes nothing.
    """
    from emergent_lab.mqtt.leader import LeaderPublisher

    def publisher_of(me: str, sent: list[LeaderAnnouncement]) -> LeaderPublisher:
        return LeaderPublisher(
            sent.append, me=me, generation=1, grace=0.2, writer=lambda node: node.acting
        )

    repair = LeaderAnnouncement("n3", 50.0, 3, by="n1", generation=4, seq=2)
    leader_sent: list[LeaderAnnouncement] = []
    leader = publisher_of("n3", leader_sent)
    leader.seen(repair)
    leader.check(fake_node("n3", acting=True, members=3), 0.0)
    assert leader_sent == [LeaderAnnouncement("n3", 50.0, 3, by="n3", generation=1, seq=1)]
    leader.seen(leader_sent[-1])
    leader.check(fake_node("n3", acting=True, members=3), 0.1)
    assert len(leader_sent) == 1  # its own, current: right

    follower_sent: list[LeaderAnnouncement] = []
    follower = publisher_of("n2", follower_sent)
    follower.seen(repair)
    for now in (0.0, 0.5, 1.0):
        follower.check(fake_node("n3", acting=False, members=3), now)
    assert follower_sent == []
