"""A batch send (``SimNetwork.send_all``) is the run that one ``send`` per message makes.

The batch draws its delays at once, hashes its log records at once and keeps
one queue entry at a time; none of that may change a draw, a record or the
order of a delivery. Each test runs the same traffic both ways and compares.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from emergent_lab.baselines.messages import KINDS, Coordinator, Election
from emergent_lab.core.ids import IdTable
from emergent_lab.sim import (
    ConstantLatency,
    LogNormalLatency,
    MatrixLatency,
    Scheduler,
    SimNetwork,
    UniformLatency,
)
from emergent_lab.sim.eventlog import EventLog
from emergent_lab.sim.latency import LatencyModel, sample_many

N = 40
MODELS = {
    "lognormal": LogNormalLatency(0.02, 0.5),
    "uniform": UniformLatency(0.005, 0.05),
    "constant": ConstantLatency(0.01),
    "matrix": MatrixLatency(
        np.where(np.eye(N) > 0, np.nan, np.linspace(0.001, 0.04, N * N).reshape(N, N)),
        slots={3: 7},
        jitter=0.3,
    ),
}


class Plain:
    """A model of one's own with only ``sample``: a batch falls back to calling it."""

    def sample(self, src: int, dst: int, rng: np.random.Generator) -> float:
        return float(rng.exponential(0.01)) + dst * 1e-4


@pytest.mark.parametrize("name", [*MODELS, "plain"])
def test_a_batch_of_draws_is_the_draws_one_by_one(name: str) -> None:
    model: LatencyModel = MODELS.get(name, Plain())
    dsts = np.array([5, 1, 9, 3, 3, 12, 0, 39] * 50, dtype=np.int64)
    one, many = np.random.default_rng(11), np.random.default_rng(11)
    expected = [model.sample(2, int(dst), one) for dst in dsts]
    drawn = sample_many(model, 2, dsts, many)
    assert drawn.tolist() == expected  # bit for bit, not approximately
    assert one.random() == many.random()  # and the generator is left in the same state


def test_the_log_hashes_a_batch_as_its_records_one_by_one() -> None:
    one, many = EventLog(), EventLog()
    dsts = np.array([3, 0, 2**31 + 5, 17], dtype=np.int64)
    for dst in dsts:
        one.message(1.25, 9, int(dst), 4, 41)
    many.messages(1.25, 9, dsts, 4, 41)
    assert (many.hexdigest(), many.records) == (one.hexdigest(), one.records)


def run(model: LatencyModel, *, batched: bool, loss: float = 0.0) -> tuple[object, ...]:
    """Broadcasts, single sends and timers interleaved; what was delivered when, and the log."""
    scheduler = Scheduler()
    ids = IdTable([f"n{i:02d}" for i in range(N)])
    net = SimNetwork(
        scheduler, np.random.default_rng(5), ids, latency=model, loss=loss, kinds=KINDS
    )
    seen: list[tuple[float, int, str, int]] = []
    heard: list[tuple[float, int, int, str, int]] = []
    net.on_send.append(lambda now, src, dst, kind, size: heard.append((now, src, dst, kind, size)))
    for index in range(N):
        net.attach(
            index,
            lambda m, index=index: seen.append((scheduler.now(), index, m.kind, m.sender)),
        )

    def broadcast(src: int) -> None:
        message = Coordinator(src, 1.0)
        targets = [dst for dst in range(N) if dst != src]
        if batched:
            net.send_all(src, targets, message)  # type: ignore[arg-type]
        else:
            for dst in targets:
                net.send(src, dst, message)  # type: ignore[arg-type]
        net.send(src, (src + 1) % N, Election(src, 1.0))  # type: ignore[arg-type]
        if src + 1 < N:
            scheduler.schedule(0.01, lambda: broadcast(src + 1))  # ties with constant delays

    scheduler.schedule(0.0, lambda: broadcast(0))
    scheduler.run(until=5.0)
    return (
        seen,
        heard,
        net.log.hexdigest(),
        net.log.records,
        net.messages_sent,
        net.bytes_sent,
        net.messages_delivered,
        net.messages_dropped,
        dict(net.sent_by_kind),
        scheduler.processed,
    )


@pytest.mark.parametrize("name", [*MODELS, "plain"])
def test_send_all_makes_the_run_send_makes(name: str) -> None:
    model: LatencyModel = MODELS.get(name, Plain())
    one_by_one = run(model, batched=False)
    assert one_by_one[0]  # something was delivered
    assert run(model, batched=True) == one_by_one


def test_send_all_on_a_lossy_network_draws_as_send_does() -> None:
    """Loss draws come between the delays: the batch then goes one by one, the same run."""
    one_by_one = run(MODELS["lognormal"], batched=False, loss=0.2)
    assert one_by_one[7]  # some were lost
    assert run(MODELS["lognormal"], batched=True, loss=0.2) == one_by_one


def test_a_batch_refuses_a_delay_the_scheduler_would() -> None:
    class Broken:
        def sample(self, src: int, dst: int, rng: np.random.Generator) -> float:
            return math.inf

    net = SimNetwork(
        Scheduler(),
        np.random.default_rng(0),
        IdTable(list("abcdefghij")),
        latency=Broken(),
        kinds=KINDS,
    )
    with pytest.raises(ValueError, match="delay"):
        net.send_all(0, list(range(1, 10)), Coordinator(0, 1.0))  # type: ignore[arg-type]
