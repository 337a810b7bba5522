"""A throw-away ownership scope for tests of the local process actuators: the ActuatorContext,
its clean-up (whatever still carries the scope is killed by pid after checking its start time,
never by pattern) and an independent way to find the scope's processes."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.actuators.base import ActuatorContext
from reconciler.events import Event
from reconciler.transports import procfs as proc_scan
from reconciler.transports.local import LocalTransport


def marked_pids(scope: str, address: str | None = None) -> list[int]:
    """Independent of the code under test: every pid whose environ carries the scope (and
    the address, when given), read straight from /proc."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            env = Path(f"/proc/{name}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RECONCILER_PROJECT={scope}".encode() in env and (
                address is None or f"RECONCILER_ADDRESS={address}".encode() in env):
            pids.append(int(name))
    return pids


class EventLog(list[Event]):
    """An events hook that keeps what it was given."""

    def __call__(self, event: Event) -> None:
        self.append(event)


def recorded(ctx: ActuatorContext) -> list[Event]:
    """The events a :func:`local_scope` context was given."""
    assert isinstance(ctx.events, EventLog)
    return ctx.events


@contextmanager
def local_scope(tmp_path: Path, project: str) -> Iterator[ActuatorContext]:
    """A context for ``project`` with a unique scope, its events kept (:func:`recorded`)."""
    scope = f"{project}_{uuid.uuid4().hex[:10]}"
    context = ActuatorContext(project=project, scope=scope, state_dir=tmp_path / "state",
                              transport=LocalTransport(), events=EventLog(),
                              project_dir=str(tmp_path))
    try:
        yield context
    finally:
        for info in proc_scan.scan(scope):
            if proc_scan.is_same_process(info.pid, info.stat.starttime):
                os.kill(info.pid, signal.SIGKILL)
        assert isinstance(context.transport, LocalTransport)
        context.transport.reap()
