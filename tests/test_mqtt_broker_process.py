"""The broker helper used by lessons and tests cleans up after a failed start."""

from __future__ import annotations

import subprocess

import pytest

from emergent_lab.mqtt import processes
from emergent_lab.mqtt.processes import BrokerProcess


def test_a_broker_that_does_not_listen_in_time_is_stopped_not_left_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a loaded machine a broker can miss the start deadline; it must not run on, orphaned."""
    started: list[subprocess.Popen[bytes]] = []

    def too_late(port: int, timeout: float = 10.0) -> None:
        assert broker.process is not None
        started.append(broker.process)
        raise TimeoutError(f"nothing listens on {port}")

    monkeypatch.setattr(processes, "wait_for_port", too_late)
    broker = BrokerProcess("amqtt")
    with pytest.raises(TimeoutError):
        broker.start()
    assert len(started) == 1
    if started[0].poll() is None:  # left running: clean up, then fail
        started[0].kill()
        started[0].wait()
        pytest.fail("the broker process was left running")
