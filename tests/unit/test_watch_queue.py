"""The watcher's work queue and debouncer, driven by an injected clock (no sleeps)."""

from __future__ import annotations

import threading

import pytest
from testing.clock import FakeClock

from reconciler.watch.queue import ALL, SETTLE, Debouncer, WorkQueue


def test_debouncer_is_due_only_after_the_last_touch_settles() -> None:
    clock = FakeClock(100.0)
    debounce = Debouncer(0.3, clock)
    assert not debounce.due() and debounce.deadline is None
    debounce.touch()
    clock.now += 0.2
    debounce.touch()  # a second write of the same save pushes the deadline
    clock.now += 0.2
    assert not debounce.due()
    clock.now += 0.1
    assert debounce.due()
    debounce.clear()
    assert not debounce.due()


def test_debouncer_refuses_a_negative_delay() -> None:
    with pytest.raises(ValueError, match="negative"):
        Debouncer(-1)


def test_a_burst_of_saves_is_one_batch_after_the_debounce() -> None:
    clock = FakeClock(100.0)
    queue = WorkQueue(0.3, clock)
    for _ in range(50):
        queue.file_changed("services.yaml")
    queue.file_changed(".env")
    assert queue.take(timeout=0) is None  # still settling
    clock.now += 0.31
    batch = queue.take(timeout=0)
    assert batch is not None and batch.full
    assert batch.reasons == ("saved .env", "saved services.yaml")
    assert queue.take(timeout=0) is None  # consumed


def test_addresses_coalesce_and_are_taken_at_once() -> None:
    queue = WorkQueue(0.3, FakeClock(100.0))
    queue.add("process.api", "process exited")
    queue.add("process.api", "process exited")
    queue.add("container.db", "container die")
    batch = queue.take(timeout=0)
    assert batch is not None and not batch.full
    assert batch.addresses == {"process.api", "container.db"}
    assert batch.reasons == ("container die", "process exited")
    queue.add(None, "watch started")
    again = queue.take(timeout=0)
    assert again is not None and again.addresses == {ALL}


def test_timers_fire_when_due_and_one_per_key() -> None:
    clock = FakeClock(100.0)
    queue = WorkQueue(0.3, clock)
    queue.at("interval", clock.now + 30, "interval")
    queue.at("interval", clock.now + 10, "interval")  # replaces the first
    queue.at("backoff:process.api", clock.now + 4, "backoff of process.api over")
    assert queue.pending_timers() == {"interval": 110.0, "backoff:process.api": 104.0}
    clock.now += 5
    batch = queue.take(timeout=0)
    assert batch is not None and batch.reasons == ("backoff of process.api over",)
    queue.cancel("interval")
    clock.now += 100
    assert queue.take(timeout=0) is None


def test_close_wakes_a_blocked_consumer() -> None:
    queue = WorkQueue(0.3)
    taken: list[object] = []
    consumer = threading.Thread(target=lambda: taken.append(queue.take()))
    consumer.start()
    queue.close()
    consumer.join(timeout=10)
    assert not consumer.is_alive() and taken == [None] and queue.closed


def test_a_producer_wakes_a_blocked_consumer() -> None:
    queue = WorkQueue(0.0)
    taken: list[object] = []
    consumer = threading.Thread(target=lambda: taken.append(queue.take(timeout=30)))
    consumer.start()
    queue.file_changed("Procfile")
    consumer.join(timeout=30)
    batch = taken[0]
    assert batch is not None and getattr(batch, "reasons", ()) == ("saved Procfile",)


def test_one_save_is_due_after_the_short_settle_window_not_a_fixed_debounce() -> None:
    clock = FakeClock(100.0)
    queue = WorkQueue(SETTLE, clock)  # the default --debounce
    queue.file_changed("services.yaml")
    assert queue.take(timeout=0) is None  # the writes of one save may still be coming
    clock.now += SETTLE
    batch = queue.take(timeout=0)
    assert batch is not None and batch.reasons == ("saved services.yaml",)
    assert SETTLE <= 0.05  # one save costs a settle window, not the old 0.3 s floor


def test_writes_inside_the_settle_window_coalesce_into_one_batch() -> None:
    clock = FakeClock(100.0)
    queue = WorkQueue(0.03, clock)
    for _ in range(5):  # an editor: truncate, write, write, chmod, rename, 10 ms apart
        queue.file_changed("services.yaml")
        clock.now += 0.01
    assert queue.take(timeout=0) is None  # the last write was 10 ms ago
    clock.now += 0.02
    batch = queue.take(timeout=0)
    assert batch is not None and batch.full and batch.reasons == ("saved services.yaml",)
    clock.now += 1
    assert queue.take(timeout=0) is None  # one burst, one reconcile


def test_a_burst_that_never_pauses_is_applied_at_the_latest_max_delay_after_its_start() -> None:
    clock = FakeClock(100.0)
    debounce = Debouncer(0.3, clock, max_delay=1.0)
    start = clock.now
    taken = []
    while clock.now - start < 2.5:  # a write every 0.25 s for 2.5 s: never 0.3 s of quiet
        debounce.touch()
        if debounce.due():
            taken.append(clock.now - start)
            debounce.clear()
            debounce.touch()
        clock.now += 0.25
    assert taken == [1.0, 2.0]


def test_the_settle_window_is_measured_from_the_last_write_and_the_cap_from_the_first() -> None:
    clock = FakeClock(100.0)
    debounce = Debouncer(0.3, clock, max_delay=0.1)  # a cap below the delay is the delay
    start = clock.now
    debounce.touch()
    assert debounce.deadline == start + 0.3
    clock.now += 0.2
    debounce.touch()
    assert debounce.deadline == start + 0.3  # first + max(max_delay, delay) comes before last + 0.3


def test_saves_and_exits_are_eager_timers_are_not() -> None:
    """A save or an exit plans once under the lease; a timer plans without it first, so an
    idle watcher never takes the lease."""
    from reconciler.watch.loop import eager

    clock = FakeClock(100.0)
    queue = WorkQueue(0.0, clock)
    queue.at("interval", clock.now, "interval")
    queue.at("backoff:process.api", clock.now, "backoff of process.api over")
    timers = queue.take(timeout=0)
    assert timers is not None and not eager(timers)
    queue.add(None, "watch started")
    started = queue.take(timeout=0)
    assert started is not None and not eager(started)
    queue.file_changed("services.yaml")
    saved = queue.take(timeout=0)
    assert saved is not None and eager(saved)
    for address, reason in (("process.api", "process exited"), ("container.db", "container die")):
        queue.add(address, reason)
        queue.at("interval", clock.now, "interval")
        batch = queue.take(timeout=0)
        assert batch is not None and eager(batch)
