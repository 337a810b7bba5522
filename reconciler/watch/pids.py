"""Prompt notice of the exits of the local processes the watcher manages.

:class:`PidPoller` holds the recorded ``address -> (pid, start time)`` of every managed local
process (:meth:`PidPoller.track`, replaced after each reconcile) and enqueues the address of
each one that is gone (``/proc/<pid>/stat``: a zombie or a reused pid is gone), once.

It is woken by the kernel, not by a timer, where it can be: every tracked pid gets a pidfd
(``os.pidfd_open``, Linux >= 5.3) that becomes readable when the process ends, and one thread
``poll(2)``s them all, so a ``kill -9`` is noticed within milliseconds. The pid is checked
against its recorded start time after the pidfd is opened, so a reused pid is never watched.
Where pidfd_open is missing or refused (old kernels, seccomp in some containers, a pid of
another pid namespace) that process is checked every ``interval`` seconds instead (``--poll``);
the periodic check also runs with pidfds, as a safety net. Each check reaps our own children.
While :attr:`PidPoller.paused` is set (the watcher's own apply stops and starts processes) no
exit is reported; a pidfd that fired then is re-armed by the next :meth:`PidPoller.track`, and
:meth:`PidPoller.resume` (the apply is over) checks every tracked pid at once, so a restarted
process that died before the pause ended (the watcher's apply waits no crash grace) is
reported then, not an ``interval`` later.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Callable, Mapping

from reconciler.transports.procfs import is_same_process
from reconciler.watch.queue import EXITED, WorkQueue

Ident = tuple[int, int]  # (pid, start time in clock ticks)


def open_pidfd(pid: int) -> int | None:
    """A pidfd of ``pid``, or None where the kernel or a sandbox does not give one."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        return int(pidfd_open(pid))
    except OSError:  # ESRCH: already gone; ENOSYS/EPERM: no pidfds here -> polled
        return None


class PidPoller:
    """See the module docstring; :meth:`track` replaces the set of watched pids."""

    def __init__(self, queue: WorkQueue, interval: float = 0.5,
                 reap: Callable[[], None] | None = None, *,
                 opener: Callable[[int], int | None] = open_pidfd):
        self.queue = queue
        self.interval = interval
        self.reap = reap
        self.opener = opener
        self._pids: dict[str, Ident] = {}
        self._gone: set[Ident] = set()  # already reported; bounded by _pids
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r = self._wake_w = -1  # a pipe that wakes the thread, made by start()
        self._fds: dict[Ident, int] = {}  # owned by the thread once it runs
        self.paused = threading.Event()  # set while we apply: our own stops are not drift

    def track(self, pids: Mapping[str, Ident]) -> None:
        """address -> (pid, start time in clock ticks), as recorded in state. A process
        already reported gone is not reported again while its record stays the same."""
        with self._lock:
            self._pids = dict(pids)
            self._gone &= set(self._pids.values())
        self._wake()

    def resume(self) -> None:
        """End the pause (after :meth:`track` of the apply's pids) and check them all now."""
        self.paused.clear()
        self._wake()

    def watched(self) -> dict[str, Ident]:
        with self._lock:
            return dict(self._pids)

    def pidfds(self) -> int:
        """How many tracked processes are watched through a pidfd (the rest are polled)."""
        with self._lock:
            return len(self._fds)

    def poll_once(self) -> list[str]:
        """Enqueue every tracked process that is gone (once); returns their addresses."""
        if self.paused.is_set():
            return []
        if self.reap is not None:
            self.reap()
        with self._lock:
            gone = [a for a, ident in self._pids.items()
                    if ident not in self._gone and not is_same_process(*ident)]
            self._gone.update(self._pids[a] for a in gone)
        for address in gone:
            self.queue.add(address, EXITED)
        return gone

    # -- the thread --------------------------------------------------------------------------

    def start(self) -> None:
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name="watch-pids", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close_all()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def _wake(self) -> None:
        if self._wake_w < 0:
            return  # not started: the thread syncs when it starts
        with contextlib.suppress(OSError):  # a full pipe already wakes the thread; closed: done
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        self._sync(poller)
        while not self._stop.is_set():
            ready = poller.poll(max(1, int(self.interval * 1000)))
            if self._stop.is_set():
                return
            fired = [fd for fd, _ in ready if fd != self._wake_r]
            for fd in fired:  # one shot: re-armed by the next track() (see the docstring)
                poller.unregister(fd)
            if len(fired) < len(ready):  # track() or stop(): drain, then re-arm every pidfd
                with contextlib.suppress(BlockingIOError):
                    while os.read(self._wake_r, 512):
                        pass
                self._sync(poller)
            self.poll_once()  # an exit, a new set of pids, or the interval: check them all

    def _sync(self, poller: select.poll) -> None:
        """Open pidfds for newly tracked pids, close those no longer tracked, (re-)arm all."""
        wanted = set(self.watched().values())
        with self._lock:
            for ident in [i for i in self._fds if i not in wanted]:
                fd = self._fds.pop(ident)
                with contextlib.suppress(KeyError, ValueError):
                    poller.unregister(fd)
                os.close(fd)
        for ident in wanted:
            if ident in self._fds:
                continue
            opened = self.opener(ident[0])
            if opened is None:
                continue  # polled every interval
            if not is_same_process(*ident):  # pid reused or gone before we opened it
                os.close(opened)
                continue
            with self._lock:
                self._fds[ident] = opened
        with self._lock:
            fds = set(self._fds.values())
        for fd in fds:
            poller.register(fd, select.POLLIN)  # registering again only modifies

    def _close_all(self) -> None:
        with self._lock:
            fds, self._fds = list(self._fds.values()), {}
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
