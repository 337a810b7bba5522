"""Restart backoff: immediate first heal, doubling delays with a cap, crash loop, reset."""

from __future__ import annotations

import pytest
from testing.clock import FakeClock

from reconciler.watch.backoff import Backoff, BackoffPolicy


def test_delays_double_up_to_the_cap() -> None:
    policy = BackoffPolicy(base=1, cap=10)
    assert [policy.delay(n) for n in range(0, 7)] == [0, 1, 2, 4, 8, 10, 10]


@pytest.mark.parametrize("kwargs", [{"base": 0}, {"base": 5, "cap": 1}, {"factor": 0.5}])
def test_policy_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        BackoffPolicy(**kwargs)


def test_a_crashing_service_waits_longer_each_time_and_enters_crash_loop() -> None:
    clock = FakeClock()
    backoff = Backoff(BackoffPolicy(base=1, cap=8, crash_loop_after=3), clock)
    api = "process.api"
    assert backoff.allowed(api) and backoff.retry_in(api) == 0 and backoff.retry_at(api) is None
    waits = []
    for _ in range(5):
        assert backoff.allowed(api)
        entry = backoff.attempted(api)
        waits.append(entry.delay)
        clock.now += 0.5  # it crashes again quickly
        assert not backoff.allowed(api)
        clock.now = backoff.retry_at(api) or 0.0
    assert waits == [1, 2, 4, 8, 8]
    assert backoff.attempts(api) == 5 and backoff.crash_loop(api)
    assert backoff.tracked() == [api]


def test_crash_loop_starts_at_the_threshold() -> None:
    backoff = Backoff(BackoffPolicy(crash_loop_after=3), FakeClock())
    backoff.attempted("process.a")
    backoff.attempted("process.a")
    assert not backoff.crash_loop("process.a")
    backoff.attempted("process.a")
    assert backoff.crash_loop("process.a")


def test_a_service_that_stays_up_is_forgiven() -> None:
    clock = FakeClock()
    backoff = Backoff(BackoffPolicy(base=1, reset_after=60), clock)
    backoff.attempted("process.api")
    backoff.attempted("process.api")
    clock.now += 30
    assert not backoff.settle("process.api")
    clock.now += 31
    assert backoff.settle("process.api")
    assert backoff.attempts("process.api") == 0 and backoff.allowed("process.api")
    assert not backoff.settle("process.other")


def test_forget_resets_one_address_only() -> None:
    backoff = Backoff(BackoffPolicy(), FakeClock())
    backoff.attempted("process.a")
    backoff.attempted("process.b")
    backoff.forget("process.a")
    assert backoff.tracked() == ["process.b"]
