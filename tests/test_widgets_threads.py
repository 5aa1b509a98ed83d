"""The dashboard when its clicks arrive on another thread, as ipykernel 7 delivers them.

Under JupyterLab 4, ipykernel 7 handles widget messages on a subshell thread
with its own event loop: Play started there ticks on that loop while the
user's cells run on the main thread. In a real browser (CI, session 11) a
Pause deep-copied the cluster in the middle of a tick ("dictionary changed
size during iteration") and the button stayed on "Pause". Here a thread with
its own running loop stands for the subshell, and the main thread for a cell.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from emergent_lab.jupyter import Dashboard
from emergent_lab.jupyter.serial import FairLock


@pytest.fixture
def subshell() -> Iterator[Callable[[Callable[[], None]], None]]:
    """Run a call on a thread whose event loop keeps running, as a subshell's does."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def call(action: Callable[[], None]) -> None:
        action()

    yield lambda action: asyncio.run_coroutine_threadsafe(call(action), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    loop.close()


def _board() -> Dashboard:
    return Dashboard.from_scenario("leader-crash", speed=20.0, interval=0.05)


def test_no_tick_runs_while_a_cell_holds_the_dashboard_and_none_after_pause(
    subshell: Callable[[Callable[[], None]], None],
) -> None:
    board = _board()
    subshell(board.play)  # Play clicked: the task lives on the subshell's loop
    deadline = time.monotonic() + 10
    while board.source.time == 0.0:
        assert time.monotonic() < deadline, "the play task never ticked"
        time.sleep(0.02)
    with board.lock:  # what every action from a cell does
        held = board.source.time
        time.sleep(0.4)
        assert board.source.time == held, "a tick ran beside an action"
    board.pause()  # from the main thread, as a cell would
    stopped = board.source.time
    time.sleep(0.4)
    assert board.source.time == stopped, "a tick ran after Pause returned"
    assert not board.playing
    assert board.controls.play.description == "Play"
    board.close()


def test_pause_and_actions_from_a_cell_beside_a_playing_subshell_never_fail(
    subshell: Callable[[Callable[[], None]], None],
) -> None:
    """Thirty Play/Pause cycles with kills and renders from the main thread in between."""
    board = _board()
    rng = random.Random(1)
    try:
        for cycle in range(30):
            subshell(board.play)
            time.sleep(rng.uniform(0.0, 0.08))
            board.render()
            if cycle % 10 == 5:
                board.kill()
                board.controller.guard(board.revive)
            board.pause()  # replays need a fork of the cluster: the copy must not race a tick
            assert board.controls.play.description == "Play"
            assert "refused" not in board.controls.message.value
    finally:
        board.close()
    assert board.source.time > 0


def test_the_lock_is_granted_first_come_first_served() -> None:
    """The play task asks again right after each tick; the click and the cell that waited go first.

    Python's own lock would let the releasing thread take it straight back.
    """
    lock, order = FairLock(), list[str]()

    def take(name: str) -> None:
        with lock:
            order.append(name)

    lock.acquire()  # the tick under way
    waiters = [threading.Thread(target=take, args=(name,)) for name in ("click", "cell")]
    for waiter in waiters:
        waiter.start()
        time.sleep(0.2)  # each has asked before the next
    lock.release()
    take("next tick")  # the same thread asks again at once
    for waiter in waiters:
        waiter.join(timeout=10)
    assert order == ["click", "cell", "next tick"]
