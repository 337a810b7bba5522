"""The watcher's work queue: coalesced addresses, debounced file changes and timers.

Level-triggered, like a Kubernetes controller's queue: an event never carries *what* to do,
only *that* something may have changed (an address, or ``ALL``), and every reconcile re-reads
the configuration and re-observes the world. Pending work is a set, so a burst of events
collapses into one reconcile and memory stays bounded by the number of addresses, file names
and timer keys, however long the watcher runs.

* :class:`Debouncer` -- a save touches it; it becomes due once no further touch came for
  ``delay`` seconds (a short settle window, 0.03 s by default: one save is applied at once, the
  several writes of one editor save coalesce), and at the latest ``max_delay`` seconds after the
  FIRST touch of a burst (a file written over and over is still applied regularly).
* :class:`WorkQueue` -- thread-safe; producers call :meth:`WorkQueue.add`,
  :meth:`WorkQueue.file_changed` and :meth:`WorkQueue.at`; the loop calls
  :meth:`WorkQueue.take`. Clocks are injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

EXITED = "process exited"  # the reason a pid source gives (see loop.eager)
ALL = "*"  # "re-plan everything" (a file changed, a timer fired, the watcher started)

Clock = Callable[[], float]

SETTLE = 0.03  # default ``--debounce``: quiet time that ends a burst of writes of one save
MAX_DEBOUNCE = 1.0  # a burst that goes on is applied at least this often


class Debouncer:
    """Due once ``delay`` seconds passed without a :meth:`touch`, or ``max_delay`` seconds after
    the first touch of the burst, whichever comes first; not due before the first touch."""

    def __init__(self, delay: float, clock: Clock = time.monotonic, *,
                 max_delay: float = MAX_DEBOUNCE):
        if delay < 0:
            raise ValueError(f"a debounce delay cannot be negative (got {delay})")
        self.delay = delay
        self.max_delay = max(max_delay, delay)
        self.clock = clock
        self._first: float | None = None
        self._last: float | None = None

    def touch(self) -> None:
        now = self.clock()
        if self._first is None:
            self._first = now
        self._last = now

    @property
    def deadline(self) -> float | None:
        if self._first is None or self._last is None:
            return None
        return min(self._last + self.delay, self._first + self.max_delay)

    def due(self) -> bool:
        deadline = self.deadline
        return deadline is not None and self.clock() >= deadline

    def clear(self) -> None:
        self._first = self._last = None


@dataclass(frozen=True)
class Batch:
    """What one reconcile was woken for: addresses (``ALL`` among them) and why."""

    addresses: frozenset[str]
    reasons: tuple[str, ...]

    @property
    def full(self) -> bool:
        return ALL in self.addresses


class WorkQueue:
    """Pending work for the reconcile loop; see the module docstring."""

    def __init__(self, debounce: float, clock: Clock = time.monotonic):
        self.clock = clock
        self._debouncer = Debouncer(debounce, clock)
        self._cond = threading.Condition()
        self._addresses: set[str] = set()
        self._reasons: set[str] = set()
        self._files: set[str] = set()
        self._timers: dict[str, tuple[float, str]] = {}
        self._closed = False

    # -- producers ---------------------------------------------------------------------------

    def add(self, address: str | None, reason: str) -> None:
        """Enqueue one address (``None``: everything) now."""
        with self._cond:
            self._addresses.add(ALL if address is None else address)
            self._reasons.add(reason)
            self._cond.notify_all()

    def file_changed(self, name: str) -> None:
        """A config file was written: re-plan everything once the writes settle."""
        with self._cond:
            self._files.add(name)
            self._debouncer.touch()
            self._cond.notify_all()

    def at(self, key: str, when: float, reason: str) -> None:
        """Wake at ``when`` (queue clock) for ``reason``; one timer per ``key`` (replaced)."""
        with self._cond:
            self._timers[key] = (when, reason)
            self._cond.notify_all()

    def cancel(self, key: str) -> None:
        with self._cond:
            self._timers.pop(key, None)

    def close(self) -> None:
        """Wake the consumer for good: :meth:`take` returns None from now on."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- consumer ----------------------------------------------------------------------------

    def take(self, timeout: float | None = None) -> Batch | None:
        """The pending work as one batch, waiting up to ``timeout`` seconds (None: until
        there is some). None when the queue was closed or nothing became due in time."""
        give_up = None if timeout is None else self.clock() + timeout
        with self._cond:
            while not self._closed:
                self._collect_due()
                if self._addresses:
                    batch = Batch(frozenset(self._addresses), tuple(sorted(self._reasons)))
                    self._addresses.clear()
                    self._reasons.clear()
                    return batch
                now = self.clock()
                if give_up is not None and now >= give_up:
                    return None
                wake = self._next_wake(give_up)
                self._cond.wait(None if wake is None else max(0.001, wake - now))
            return None

    def _collect_due(self) -> None:
        if self._files and self._debouncer.due():
            self._addresses.add(ALL)
            self._reasons.update(f"saved {name}" for name in sorted(self._files))
            self._files.clear()
            self._debouncer.clear()
        now = self.clock()
        for key, (when, reason) in list(self._timers.items()):
            if now >= when:
                del self._timers[key]
                self._addresses.add(ALL)
                self._reasons.add(reason)

    def _next_wake(self, give_up: float | None) -> float | None:
        """The earliest deadline (debounce, timers, ``give_up``) on the queue clock."""
        deadlines = [when for when, _ in self._timers.values()]
        if self._files and self._debouncer.deadline is not None:
            deadlines.append(self._debouncer.deadline)
        if give_up is not None:
            deadlines.append(give_up)
        return min(deadlines) if deadlines else None

    def pending_timers(self) -> dict[str, float]:
        """Timer key -> when (for status lines and tests)."""
        with self._cond:
            return {key: when for key, (when, _) in self._timers.items()}
