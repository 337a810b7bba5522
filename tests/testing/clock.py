"""A fake monotonic clock for unit tests of timing code: ``clock()`` reads it, ``sleep``
(and assigning ``now``) moves it; nothing waits for real."""

from __future__ import annotations


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
