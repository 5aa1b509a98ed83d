import math

import pytest

from emergent_lab.sim import Scheduler


def test_events_run_in_time_order_and_ties_in_scheduling_order():
    s = Scheduler()
    seen = []
    s.schedule(2.0, lambda: seen.append("b"))
    s.schedule(1.0, lambda: seen.append("a"))
    s.schedule(2.0, lambda: seen.append("c"))
    s.schedule_at(2.0, lambda: seen.append("d"))
    s.run()
    assert seen == ["a", "b", "c", "d"]
    assert s.now() == 2.0


def test_peek_step_and_cancel():
    s = Scheduler()
    seen = []
    h = s.schedule(1.0, lambda: seen.append(1))
    s.schedule(3.0, lambda: seen.append(3))
    assert s.peek() == 1.0
    h.cancel()
    assert s.peek() == 3.0
    assert s.step() is True
    assert seen == [3]
    assert s.step() is False
    assert s.peek() == math.inf


def test_run_until_processes_events_due_then_stops_the_clock_there():
    s = Scheduler()
    seen = []
    for t in (1.0, 2.0, 3.0):
        s.schedule(t, lambda t=t: seen.append(t))
    s.run(until=2.0)
    assert seen == [1.0, 2.0]
    assert s.now() == 2.0
    s.run(until=10.0)
    assert seen == [1.0, 2.0, 3.0]
    assert s.now() == 10.0


def test_callbacks_can_schedule_more_events():
    s = Scheduler()
    seen = []

    def tick():
        seen.append(s.now())
        if s.now() < 3:
            s.schedule(1.0, tick)

    s.schedule(0.0, tick)
    s.run()
    assert seen == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("delay", [-1.0, float("nan"), float("inf")])
def test_bad_delays_are_refused(delay):
    with pytest.raises(ValueError, match="delay"):
        Scheduler().schedule(delay, lambda: None)


def test_cannot_schedule_in_the_past():
    s = Scheduler()
    s.run(until=5.0)
    with pytest.raises(ValueError, match="when"):
        s.schedule_at(4.0, lambda: None)


def test_posted_and_keyed_events_keep_the_order_schedule_would_give():
    """``post`` takes the next counter; ``reserve`` hands out counters queued later."""
    s = Scheduler()
    seen = []
    s.schedule(1.0, lambda: seen.append("a"))
    first = s.reserve(2)
    s.post(1.0, lambda: seen.append("c"))
    s.post_keyed(1.0, first + 1, lambda: seen.append("b2"))
    s.post_keyed(1.0, first, lambda: seen.append("b1"))
    s.schedule(0.5, lambda: seen.append("z"))
    s.run()
    assert seen == ["z", "a", "b1", "b2", "c"]
    assert s.processed == 5


def test_a_cancelled_timer_is_skipped_by_run_and_peek_but_posted_events_are_not():
    s = Scheduler()
    seen = []
    h = s.schedule(1.0, lambda: seen.append("cancelled"))
    s.post(1.0, lambda: seen.append("posted"))
    h.cancel()
    assert s.peek() == 1.0
    s.run(until=1.0)
    assert seen == ["posted"]
    assert s.processed == 1


def test_the_calendar_keeps_one_heaps_order_across_buckets_and_peeks():
    """Events far apart, close together, tied, and queued while a later bucket is peeked at."""
    from emergent_lab.sim.scheduler import BUCKET_S

    s = Scheduler()
    seen = []
    times = [0.0, BUCKET_S * 0.5, BUCKET_S, BUCKET_S * 3.2, 7.0, 7.0, 1e-9, BUCKET_S * 1.0001]
    for number, t in enumerate(times):
        s.schedule(t, lambda number=number: seen.append(number))
    s.run(until=BUCKET_S * 0.75)
    assert seen == [0, 6, 1]
    assert s.peek() == BUCKET_S  # loads the next bucket while the clock is still earlier
    s.schedule(BUCKET_S * 0.2, lambda: seen.append("late"))  # due before the peeked bucket
    s.run()
    assert seen == [0, 6, 1, "late", 2, 7, 3, 4, 5]
    s.schedule_at(math.inf, lambda: seen.append("never"))
    s.run(until=100.0)
    assert seen[-1] == 5


def test_events_beyond_the_last_bucket_queue_in_order_and_never_come_due() -> None:
    """``schedule_at(1e306)`` raised OverflowError (its bucket number was ``int(inf)``)."""
    s = Scheduler()
    ran: list[str] = []
    s.schedule_at(math.inf, lambda: ran.append("inf"))
    s.schedule_at(1e306, lambda: ran.append("1e306"))
    s.schedule_at(1e300, lambda: ran.append("1e300"))
    s.schedule(1.0, lambda: ran.append("soon"))
    s.run(until=100.0)
    assert ran == ["soon"]
    assert s.peek() == 1e300
    s.run()
    assert ran == ["soon", "1e300", "1e306", "inf"]
