"""Restart backoff for self-healing: a service that keeps crashing is not restarted in a storm.

Every heal (a restart of something that died) or failed attempt of an address is recorded
with :meth:`Backoff.attempted`. The first heal is immediate; after the k-th the address waits
``base * factor**(k-1)`` seconds (at most ``cap``) before the next one, the way Kubernetes
backs off a ``CrashLoopBackOff`` pod. From ``crash_loop_after`` attempts on, the address is
in *crash loop* (shown in the watch stream and recorded in the state database). An address
that stayed up ``reset_after`` seconds since its last restart is forgiven
(:meth:`Backoff.settle`). Pure bookkeeping with an injectable clock; one small entry per
address that misbehaves, so memory stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Entry:
    """One address's restart history: how many attempts, the last one, the next allowed."""

    attempts: int = 0
    last: float = 0.0
    next_at: float = 0.0
    delay: float = 0.0


@dataclass(frozen=True)
class BackoffPolicy:
    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    crash_loop_after: int = 3
    reset_after: float = 60.0

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base or self.factor < 1:
            raise ValueError("backoff needs 0 < base <= cap and factor >= 1 "
                             f"(got base={self.base}, cap={self.cap}, factor={self.factor})")

    def delay(self, attempts: int) -> float:
        """The wait after the ``attempts``-th attempt (1-based)."""
        if attempts <= 0:
            return 0.0
        return float(min(self.cap, self.base * self.factor ** (attempts - 1)))


class Backoff:
    """Per-address restart bookkeeping; see the module docstring."""

    def __init__(self, policy: BackoffPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.policy = policy or BackoffPolicy()
        self.clock = clock
        self._entries: dict[str, Entry] = {}

    def allowed(self, address: str) -> bool:
        """Whether ``address`` may be restarted now."""
        entry = self._entries.get(address)
        return entry is None or self.clock() >= entry.next_at

    def retry_in(self, address: str) -> float:
        """Seconds until ``address`` may be restarted again (0 when it may now)."""
        entry = self._entries.get(address)
        return 0.0 if entry is None else max(0.0, entry.next_at - self.clock())

    def retry_at(self, address: str) -> float | None:
        entry = self._entries.get(address)
        return None if entry is None else entry.next_at

    def attempted(self, address: str) -> Entry:
        """Record a restart (or failed start) of ``address`` now; returns its entry."""
        now = self.clock()
        entry = self._entries.setdefault(address, Entry())
        entry.attempts += 1
        entry.last = now
        entry.delay = self.policy.delay(entry.attempts)
        entry.next_at = now + entry.delay
        return entry

    def attempts(self, address: str) -> int:
        entry = self._entries.get(address)
        return 0 if entry is None else entry.attempts

    def crash_loop(self, address: str) -> bool:
        return self.attempts(address) >= self.policy.crash_loop_after

    def settle(self, address: str) -> bool:
        """``address`` is up: forget it once it stayed up ``reset_after`` seconds since its
        last restart. True when it was forgotten now."""
        entry = self._entries.get(address)
        if entry is None or self.clock() - entry.last < self.policy.reset_after:
            return False
        del self._entries[address]
        return True

    def forget(self, address: str) -> None:
        self._entries.pop(address, None)

    def tracked(self) -> list[str]:
        return sorted(self._entries)
