"""Running a long-lived loop (``watch``, ``sync``) in the foreground of the CLI process.

:func:`run_until_stopped` runs the loop in a worker thread while the main thread waits and
handles signals: SIGINT/SIGTERM stop the loop gracefully (a second one while it is already
closing interrupts), other handlers may be added (``sync``: SIGHUP polls now). The services
that serve beside the loop (a webhook, the dashboard) are started before it and stopped after
it; the previous signal handlers are restored, ``close`` runs, and a failure of the loop is
re-raised in the main thread (where cli.app maps it).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Protocol

Handler = Callable[[int, FrameType | None], None]


class _Queue(Protocol):
    @property
    def closed(self) -> bool: ...


class Loop(Protocol):
    @property
    def queue(self) -> _Queue: ...

    def run(self) -> None: ...

    def stop(self) -> None: ...


class Service(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def run_until_stopped(loop: Loop, name: str, *, services: Sequence[Service | None] = (),
                      handlers: Mapping[signal.Signals, Handler] | None = None,
                      close: Callable[[], None]) -> None:
    """Run ``loop.run()`` in a thread named ``name`` until it returns (see the module)."""
    failure: list[BaseException] = []
    running = [s for s in services if s is not None]

    def work() -> None:
        try:
            loop.run()
        except BaseException as exc:  # re-raised in the main thread, mapped by cli.app.run
            failure.append(exc)

    def on_stop(signum: int, frame: FrameType | None) -> None:
        if loop.queue.closed:
            raise KeyboardInterrupt
        loop.stop()

    previous = {sig: signal.signal(sig, on_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, handler in (handlers or {}).items():
        previous[sig] = signal.signal(sig, handler)
    worker = threading.Thread(target=work, name=name, daemon=True)
    try:
        for service in running:
            service.start()
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
    finally:
        for service in running:
            service.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
        close()
    if failure:
        raise failure[0]
