"""The one engine poll loop every dashboard client shares.

:class:`Hub` runs ``collect`` (observe + health, off the event loop in a worker thread) every
``interval`` seconds, or at once after :meth:`Hub.poke` (an action finished, a client asked to
refresh). Clients never poll the engine themselves: each SSE stream awaits :meth:`Hub.next`,
so 20 clients cost one observe per interval, the same as one. ``polls`` counts the passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any


class Hub:
    def __init__(self, collect: Callable[[], dict[str, Any]], interval: float = 1.0):
        self.collect = collect
        self.interval = interval
        self.polls = 0
        self.version = 0
        self.snapshot: dict[str, Any] = {"resources": [], "error": None}
        self._changed: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None

    def _events(self) -> tuple[asyncio.Event, asyncio.Event]:
        if self._changed is None or self._wake is None:
            self._changed, self._wake = asyncio.Event(), asyncio.Event()
        return self._changed, self._wake

    async def run(self) -> None:
        """Poll forever (cancelled when the server stops)."""
        while True:
            await self.refresh()
            _, wake = self._events()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.interval)
            wake.clear()

    async def refresh(self) -> None:
        try:
            snapshot = await asyncio.to_thread(self.collect)
            snapshot["error"] = None
        except Exception as exc:  # shown on the page; the loop keeps going
            snapshot = {**self.snapshot, "error": str(exc) or type(exc).__name__}
        self.polls += 1
        snapshot.update(polls=self.polls, at=time.time())
        self.snapshot = snapshot
        self.version += 1
        changed, _ = self._events()
        changed.set()
        self._changed = asyncio.Event()

    def poke(self) -> None:
        """Poll again now instead of at the next interval."""
        self._events()[1].set()

    async def next(self, seen: int) -> tuple[int, dict[str, Any]]:
        """The snapshot newer than version ``seen`` (waits for the next poll if needed)."""
        while self.version <= seen:
            await self._events()[0].wait()
        return self.version, self.snapshot
