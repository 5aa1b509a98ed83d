"""The player keeps played time on the wall clock and drops frames rather than slow down.

:class:`~emergent_lab.jupyter.player.PlayClock` is fed a simulated wall clock:
a cluster whose advance costs a fixed number of wall seconds per virtual
second and whose frame costs a fixed time. The loop below is the player's
(advance what is due, draw if due, sleep to the next interval), so these
check what a learner sees: speed 1 holds whenever advancing alone costs
less than the wall time, by drawing less often; when it cannot hold, the
achieved speed is measured and reported below the speed asked for.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from emergent_lab.jupyter.player import LEAST_YIELD_S, LONGEST_STEP_S, LONGEST_TICK_S, PlayClock


class Played(NamedTuple):
    clock: PlayClock
    virtual: float
    frames: int
    now: float
    longest_tick: float
    """Wall seconds of the longest tick's advancing."""


def play(
    *, seconds: float, speed: float, interval: float, advance_cost: float, draw_cost: float
) -> Played:
    """Play for ``seconds`` of simulated wall time."""
    clock = PlayClock()
    now = 0.0
    clock.restart(now)
    virtual = 0.0
    frames = 0
    longest = 0.0
    while now < seconds:
        started = now
        step = clock.due(now, speed)
        draw = clock.draw_due(now, interval, speed)
        now += step * advance_cost
        longest = max(longest, step * advance_cost)
        clock.advanced(now, step, step * advance_cost)
        virtual += step
        if draw:
            clock.drew(now, draw_cost)
            now += draw_cost
            frames += 1
        now += max(LEAST_YIELD_S, interval - (now - started))
    return Played(clock, virtual, frames, now, longest)


def test_a_cheap_cluster_plays_at_speed_drawing_every_interval() -> None:
    _, virtual, frames, now, _ = play(
        seconds=20, speed=1.0, interval=0.1, advance_cost=0.05, draw_cost=0.005
    )
    assert virtual / now == pytest.approx(1.0, abs=0.02)
    assert frames / now == pytest.approx(10.0, rel=0.05)  # one frame per 0.1 s interval


def test_an_expensive_cluster_keeps_speed_one_by_drawing_less_often() -> None:
    # 1,000 nodes measured: about 0.7 wall s per virtual s, 36 ms a frame. Drawing
    # every 0.1 s would need 0.7 + 0.36 > 1 wall s per virtual s: time would slow.
    clock, virtual, frames, now, _ = play(
        seconds=30, speed=1.0, interval=0.1, advance_cost=0.7, draw_cost=0.036
    )
    assert virtual / now == pytest.approx(1.0, abs=0.03)
    assert 2.0 < frames / now < 0.3 / 0.036  # fewer frames, but the picture moves
    pace = clock.pace(now)
    assert pace is not None and pace.speed == pytest.approx(1.0, abs=0.05)
    assert pace.fps == pytest.approx(frames / now, rel=0.3)


def test_a_cluster_too_slow_for_the_speed_is_reported_as_slower() -> None:
    clock, _, _, now, longest = play(
        seconds=30, speed=1.0, interval=0.1, advance_cost=1.5, draw_cost=0.036
    )
    pace = clock.pace(now)
    assert pace is not None
    # Advancing alone needs 1.5 wall s per virtual s: at most 1 / 1.5 is reachable,
    # and 90 % of the time at most goes to advancing.
    assert 0.5 < pace.speed < 1 / 1.5 + 0.01
    assert pace.fps > 0.5  # still drawing
    # A click is answered between ticks: advancing never holds the kernel much longer than
    # LONGEST_TICK_S (the first tick, before any cost is known, advances one interval's due).
    assert longest <= max(LONGEST_TICK_S, 0.1 * 1.5) + 1e-9


def test_a_stall_is_dropped_not_caught_up() -> None:
    clock = PlayClock()
    clock.restart(0.0)
    assert clock.due(0.1, 2.0) == pytest.approx(0.2)
    assert clock.due(10.1, 2.0) == pytest.approx(2.0 * LONGEST_STEP_S)  # a 10 s stall
    clock.restart(20.0)  # Pause then Play: nothing owed for the pause
    assert clock.due(20.05, 2.0) == pytest.approx(0.1)
    assert clock.pace(20.05) is None  # too little play to say
