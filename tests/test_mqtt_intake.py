"""The agent's intake under a flood: lanes served in turn, bounded, newcomers rationed, drops
counted; the main session following only calm devices; and the recycling id table's ranks,
kept per change, in the natural order."""

from __future__ import annotations

import asyncio
import random
from types import SimpleNamespace
from typing import Any, cast

import pytest

from emergent_lab.core.ids import node_sort_key
from emergent_lab.mqtt.door import DeviceDoor
from emergent_lab.mqtt.intake import BOUNDS, NEWCOMER_BURST, Intake, Lane, Triage
from emergent_lab.mqtt.slots import RecyclingIdTable
from emergent_lab.mqtt.topics import ClusterTopics
from emergent_lab.mqtt.transport import Connection


def message(topic: str, payload: bytes = b"{}") -> Any:
    return SimpleNamespace(topic=SimpleNamespace(value=topic), payload=payload)


def lane_by_prefix(topic: str) -> Lane:
    """Test topics name their lane: ``established/d1``, ``newcomer/x5``…"""
    lane = topic.split("/")[0]
    assert lane in ("protocol", "established", "provisional", "newcomer")
    return lane  # type: ignore[return-value]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def drain(intake: Intake) -> list[str]:
    topics = []
    while not intake.empty():
        topics.append(intake.get_nowait().topic.value)
    return topics


def make_intake(clock: Clock | None = None) -> Intake:
    return Triage(lane_by_prefix, clock=clock or Clock()).queue()


def test_a_real_heartbeat_waits_one_turn_behind_any_flood() -> None:
    intake = make_intake()
    for i in range(5000):
        intake.put_nowait(message(f"newcomer/x{i}"))
        intake.put_nowait(message(f"provisional/p{i}"))
        intake.put_nowait(message(f"protocol/g{i}"))
    intake.put_nowait(message("established/real"))
    first = [intake.get_nowait().topic.value for _ in range(4)]
    assert "established/real" in first
    dropped = intake.triage.dropped
    assert dropped["newcomer_rate"] == 5000 - NEWCOMER_BURST
    assert intake.qsize() <= sum(bound.messages for bound in BOUNDS.values())
    assert dropped["intake_full"] == (5000 - BOUNDS["provisional"].messages) + (
        5000 - BOUNDS["protocol"].messages
    )


def test_lanes_are_served_in_turn_and_each_in_arrival_order() -> None:
    intake = make_intake()
    for topic in ["protocol/a", "protocol/b", "established/d1", "established/d2", "newcomer/n"]:
        intake.put_nowait(message(topic))
    assert drain(intake) == [
        "protocol/a",
        "established/d1",
        "newcomer/n",
        "protocol/b",
        "established/d2",
    ]


def test_a_newer_heartbeat_replaces_the_queued_one_and_gossip_is_never_merged() -> None:
    intake = make_intake()
    intake.put_nowait(message("established/d1", b"1"))
    intake.put_nowait(message("established/d2", b"1"))
    intake.put_nowait(message("established/d1", b"2"))
    intake.put_nowait(message("protocol/me", b"syn"))
    intake.put_nowait(message("protocol/me", b"ack2"))
    out = []
    while not intake.empty():
        m = intake.get_nowait()
        out.append((m.topic.value, m.payload))
    assert sorted(out) == [
        ("established/d1", b"2"),
        ("established/d2", b"1"),
        ("protocol/me", b"ack2"),
        ("protocol/me", b"syn"),
    ]
    assert intake.triage.dropped == {"superseded": 1}


def test_newcomers_get_in_at_the_rationed_rate() -> None:
    clock = Clock()
    intake = make_intake(clock)
    admitted = 0
    for second in range(10):
        clock.now = float(second)
        for i in range(1000):
            intake.put_nowait(message(f"newcomer/s{second}-{i}"))
        admitted += len(drain(intake))
    triage = intake.triage
    assert admitted == NEWCOMER_BURST + 9 * triage.rate
    assert triage.dropped["newcomer_rate"] == 10_000 - admitted


def test_a_lane_is_bounded_in_bytes_too() -> None:
    intake = make_intake()
    big = b"x" * (256 * 1024)
    for i in range(200):
        intake.put_nowait(message("protocol/me", big + str(i).encode()))
    lane = intake.lanes["protocol"]
    assert lane.payload_bytes <= BOUNDS["protocol"].payload_bytes
    assert len(lane.items) == BOUNDS["protocol"].payload_bytes // (len(big) + 3)
    newest = [m.payload for m, _ in lane.items.values()][-1]
    assert newest == big + b"199"  # the oldest went


def test_a_waiting_handler_wakes_for_a_message_and_not_for_a_dropped_one() -> None:
    async def scenario() -> list[str]:
        clock = Clock()
        intake = make_intake(clock)
        triage = intake.triage
        triage.burst = 0.0
        triage.newcomer_allowed()  # empty the bucket
        got: list[str] = []

        async def handler() -> None:
            while True:
                got.append((await intake.get()).topic.value)

        task = asyncio.create_task(handler())
        await asyncio.sleep(0)
        intake.put_nowait(message("newcomer/x"))  # dropped: no ration left
        await asyncio.sleep(0.01)
        intake.put_nowait(message("established/d1"))
        await asyncio.sleep(0.01)
        task.cancel()
        return got

    assert asyncio.run(scenario()) == ["established/d1"]


IDS = ["n1", "n2", "n10", "n01", "edge-7", "edge-10", "a", "b.2", "b.10", "x_1", "N1", "0", "9"]


@pytest.mark.parametrize("seed", range(5))
def test_recycled_slots_rank_in_natural_order_after_every_change(seed: int) -> None:
    rng = random.Random(seed)
    table = RecyclingIdTable()
    for _ in range(300):
        held = list(table.index)
        if held and rng.random() < 0.4:
            table.release(table.index[rng.choice(held)])
        else:
            table.intern(rng.choice(IDS) + rng.choice(["", "-3", "4"]))
        slots = list(table.index.values())
        natural = sorted(slots, key=lambda s: (node_sort_key(table.ids[s]), s))
        by_rank = sorted(slots, key=lambda s: int(table.rank[s]))
        assert by_rank == natural
        assert table.rank_list == table.rank.tolist()
        assert all(int(table.id_bytes[s]) == len(table.ids[s]) for s in slots)
        assert all(int(table.rank[s]) > len(slots) for s in table.free)
        assert table.used == len(slots)


class FakeSession:
    """Records what the door asks the main session to subscribe to."""

    def __init__(self) -> None:
        self.topics: set[str] = set()

    async def subscribe(self, topics: list[str]) -> None:
        self.topics.update(topics)

    async def unsubscribe(self, topics: list[str]) -> None:
        self.topics.difference_update(topics)


def test_the_main_session_follows_the_calm_held_devices_and_leaves_floods_to_the_door() -> None:
    clock = Clock()
    main = FakeSession()
    door = DeviceDoor(
        cast(Connection, FakeSession()),
        cast(Connection, main),
        ClusterTopics("c"),
        heartbeat_interval=0.2,
        clock=clock,
    )

    def second(devices: set[str], beats: dict[str, int]) -> set[str]:
        clock.now += 1.0  # five heartbeat intervals: at most 20 messages a device
        for device, count in beats.items():
            for _ in range(count):
                door.heard(device)
        asyncio.run(door.follow(devices))
        return {t.split("/")[3] for t in main.topics}

    assert second({"d1", "fake1"}, {"d1": 10, "fake1": 10}) == {"d1", "fake1"}
    assert second({"d1", "fake1"}, {"d1": 10, "fake1": 21}) == {"d1"}  # republished too fast
    assert second({"d1", "fake1"}, {"d1": 10, "fake1": 5}) == {"d1", "fake1"}  # calm again
    assert second({"d1"}, {"d1": 20}) == {"d1"}  # fake1 evicted: unsubscribed
