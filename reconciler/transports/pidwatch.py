"""Exit watching for processes started on this machine: one pidfd each, one background thread.

An apply starts a process and moves on at once (it counts as up when exec'd, or when its
health check passes); an :class:`ExitWatch` keeps an eye on it for the rest of the apply. Each
watched pid gets a pidfd (``os.pidfd_open``, Linux >= 5.3), which becomes readable when the
process ends; one thread waits on them all (epoll) and calls the entry's ``on_exit`` callback (which
builds the error, with the log tail) and then the watch's listener. :meth:`ExitWatch.settle`
is the end of the apply: it waits until every watched process has either ended or lived
``grace`` seconds since its start, so a process that dies at once still fails the apply that
started it. Without pidfds (older kernels) the thread polls /proc every 20 ms instead.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.transports import procfs as proc_scan

POLL_FALLBACK = 0.02  # seconds between /proc looks where pidfd_open is missing


@dataclass
class _Entry:
    key: str
    pid: int
    starttime: int
    began: float
    on_exit: Callable[[], BaseException]
    fd: int | None = None
    error: BaseException | None = field(default=None)


class ExitWatch:
    """Watches pids until :meth:`close`; ``listener(key, error)`` hears every early exit."""

    def __init__(self, listener: Callable[[str, BaseException], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._listener = listener
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._crashes: dict[str, BaseException] = {}
        self._cond = threading.Condition()
        self._wake_r, self._wake_w = os.pipe()
        self._epoll = select.epoll()
        self._epoll.register(self._wake_r, select.EPOLLIN)
        self._by_fd: dict[int, _Entry] = {}
        self._closed = False
        self._thread: threading.Thread | None = None

    def watch(self, key: str, pid: int, starttime: int,
              on_exit: Callable[[], BaseException]) -> None:
        """Watch ``pid`` (identified by its start time) under ``key`` (replacing any older)."""
        fd: int | None = None
        if hasattr(os, "pidfd_open"):
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:  # already gone (and reaped): an exit at once
                fd = None
            except OSError:
                fd = None
        entry = _Entry(key, pid, starttime, self._clock(), on_exit, fd)
        with self._cond:
            old = self._entries.pop(key, None)
            self._crashes.pop(key, None)
            self._entries[key] = entry
            if old is not None:
                self._drop_fd(old)
            if fd is not None:
                self._by_fd[fd] = entry
                self._epoll.register(fd, select.EPOLLIN)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="exit-watch",
                                                daemon=True)
                self._thread.start()
        if fd is None:
            os.write(self._wake_w, b"x")  # the thread polls /proc for it

    def crash(self, key: str) -> BaseException | None:
        """The error of ``key``'s process if it has ended since it was watched."""
        with self._cond:
            return self._crashes.get(key)

    def crashes(self) -> dict[str, BaseException]:
        with self._cond:
            return dict(self._crashes)

    def settle(self, grace: float) -> dict[str, BaseException]:
        """Wait until every watched process ended or ran ``grace`` s; the crashes so far."""
        with self._cond:
            while True:
                now = self._clock()
                young = [e.began + grace - now for e in self._entries.values()
                         if e.error is None and e.began + grace > now]
                if not young:
                    return dict(self._crashes)
                self._cond.wait(min(young) + 0.005)

    def close(self) -> None:
        """Stop watching (the processes keep running) and end the thread."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        os.write(self._wake_w, b"x")
        if thread is not None:
            thread.join(timeout=5)
        with self._cond:
            for entry in self._entries.values():
                self._drop_fd(entry)
            self._entries.clear()
        self._epoll.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _drop_fd(self, entry: _Entry) -> None:
        """Unregister and close ``entry``'s pidfd (call with the lock held)."""
        if entry.fd is not None:
            self._by_fd.pop(entry.fd, None)
            with contextlib.suppress(OSError):
                self._epoll.unregister(entry.fd)
            os.close(entry.fd)
            entry.fd = None

    # -- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                fallback = [e for e in self._entries.values() if e.error is None and e.fd is None]
            events = self._epoll.poll(POLL_FALLBACK if fallback else -1)
            with self._cond:
                ended = [self._by_fd[fd] for fd, _ in events if fd in self._by_fd]
                for entry in ended:
                    self._drop_fd(entry)
            if any(fd == self._wake_r for fd, _ in events):
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 4096)
            ended += [e for e in fallback if not _alive(e)]
            for entry in ended:
                self._ended(entry)

    def _ended(self, entry: _Entry) -> None:
        try:
            error = entry.on_exit()
        except Exception as exc:  # describing the exit failed: the exit itself still counts
            error = exc
        with self._cond:
            if self._entries.get(entry.key) is not entry:
                return  # replaced or closed meanwhile
            entry.error = error
            self._crashes[entry.key] = error
            self._cond.notify_all()
        if self._listener is not None:
            self._listener(entry.key, error)


def _alive(entry: _Entry) -> bool:
    return proc_scan.is_same_process(entry.pid, entry.starttime)
