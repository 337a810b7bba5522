"""A CLI subprocess that prints JSON events (``--json``), read by a thread as they come.

`EventStream` runs ``python -m reconciler -C DIR ARGS...`` with stderr folded into stdout (a
line that is not JSON becomes a ``stderr`` event), keeps every event, waits with a timeout for
one that matches (failing the test with the last events, never a timed assert), and stops the
process by its pid (SIGTERM, then SIGKILL). `reconciler sync` agents and `reconciler watch`
tests use it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

Event = dict[str, Any]


class EventStream:
    """A running ``reconciler -C directory ARGS`` and the events it printed so far."""

    wait_timeout = 60.0  # the default bound of `wait_for`
    stop_grace = 20.0    # SIGTERM, then SIGKILL after this long

    def __init__(self, directory: Path, args: Sequence[str], cwd: Path | None = None):
        self.directory = directory
        self.events: list[Event] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "-C", str(directory), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"kind": "stderr", "message": line.rstrip(), "data": {}}
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()

    def mark(self) -> int:
        """How many events came so far (an ``after`` for the next wait)."""
        with self._cond:
            return len(self.events)

    def wait_for(self, match: Callable[[Event], bool], what: str,
                 timeout: float | None = None, after: int = 0) -> Event:
        """The first event from index ``after`` on that matches; fails the test after
        ``timeout`` (or when the process ended with nothing more to read)."""
        limit = self.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        with self._cond:
            while True:
                for event in self.events[after:]:
                    if match(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    tail = "\n".join(json.dumps(e) for e in self.events[-30:])
                    pytest.fail(f"no {what} within {limit}s; last events:\n{tail}")
                self._cond.wait(min(left, 0.5))

    def seen(self, kind: str, after: int = 0) -> list[Event]:
        with self._cond:
            return [e for e in self.events[after:] if e["kind"] == kind]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=self.stop_grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=self.stop_grace)
        self._reader.join(timeout=5)
        return self.proc.returncode
