"""The watcher's work queue and debouncer, driven by an injected clock (no sleeps)."""

from __future__ import annotations

import threading

import pytest

from reconciler.watch.queue import ALL, Debouncer, WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_debouncer_is_due_only_after_the_last_touch_settles() -> None:
    clock = Clock()
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
    clock = Clock()
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
    queue = WorkQueue(0.3, Clock())
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
    clock = Clock()
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
