"""Stopping the local processes marked with a scope and an address (:func:`stop_owned`).

Finding them needs a pass over all of /proc, and a stop needs two (one for the targets, one
after they are gone to catch anything they forked, even into a new session). Stops run in
parallel, so passes are shared: :class:`SharedScan` runs at most one pass per scope at a
time, and a caller takes the result of the first pass that *started* after its request (a
single flight), so ten parallel stops wait for one pass instead of making ten. Each pass is
indexed by address once (:func:`~reconciler.transports.procfs.by_address`).

Waiting for the signalled processes uses pidfds (``poll`` wakes the moment one exits, a
zombie counting as exited), with a short back-off poll of ``/proc/<pid>/stat`` where a
pidfd cannot be opened. Identity is always pid + start time: a pid whose start time changed
is never signalled, and SIGKILL comes only after the grace period.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.transports import procfs as proc_scan
from reconciler.transports import procs_remote as proc_remote
from reconciler.transports.base import Transport
from reconciler.transports.procfs import ProcInfo, is_same_process

POLL_FIRST = 0.005   # first back-off step when a process cannot be watched through a pidfd
POLL_MAX = 0.05


@dataclass(slots=True)
class _Flight:
    started: int = 0      # passes started for this scope
    finished: int = 0     # the pass whose result is below
    running: bool = False
    index: Mapping[str, tuple[ProcInfo, ...]] = field(default_factory=dict)
    procs: tuple[ProcInfo, ...] = ()


class SharedScan:
    """Single-flight /proc passes per scope; ``fetch(scope)`` makes one pass."""

    def __init__(self, fetch: Callable[[str], list[ProcInfo]]) -> None:
        self._fetch = fetch
        self._cond = threading.Condition()
        self._flights: dict[str, _Flight] = {}

    def scan(self, scope: str) -> list[ProcInfo]:
        """Every live process of ``scope``, from a pass that started after this call."""
        return list(self._await(scope)[0])

    def of(self, scope: str, address: str) -> list[ProcInfo]:
        """The live processes marked with ``scope`` and ``address`` (same freshness)."""
        return list(self._await(scope)[1].get(address, ()))

    def _await(self, scope: str) -> tuple[tuple[ProcInfo, ...],
                                          Mapping[str, tuple[ProcInfo, ...]]]:
        with self._cond:
            flight = self._flights.setdefault(scope, _Flight())
            wanted = flight.started + 1  # a pass running now started before this request
            while flight.finished < wanted:
                if flight.running:
                    self._cond.wait()
                    continue
                flight.started += 1
                flight.running = True
                number = flight.started
                try:
                    self._cond.release()
                    try:
                        procs = tuple(self._fetch(scope))
                    finally:
                        self._cond.acquire()
                finally:
                    flight.running = False
                    self._cond.notify_all()
                flight.finished, flight.procs = number, procs
                flight.index = proc_scan.by_address(procs)
            return flight.procs, flight.index


# The process-wide shared passes over the real /proc; ``scan`` is looked up on every pass.
SHARED = SharedScan(lambda scope: proc_scan.scan(scope))


class _Watch:
    """The processes still alive among those given: pidfds where possible, else /proc."""

    def __init__(self, procs: Iterable[ProcInfo], root: str) -> None:
        self._root = root
        self._poll = select.poll()
        self._fds: dict[int, ProcInfo] = {}
        self._polled: list[ProcInfo] = []
        for info in procs:
            fd = _pidfd(info.pid) if root == "/proc" else -1
            if fd is None:
                continue  # gone already
            if fd < 0:
                self._polled.append(info)
            elif is_same_process(info.pid, info.stat.starttime, root):
                self._fds[fd] = info  # opened before the identity check: it is this process
                self._poll.register(fd, select.POLLIN)
            else:
                os.close(fd)

    def alive(self) -> list[ProcInfo]:
        for fd, _ in self._poll.poll(0):
            self._forget(fd)
        self._polled = [p for p in self._polled
                        if is_same_process(p.pid, p.stat.starttime, self._root)]
        return [*self._fds.values(), *self._polled]

    def wait(self, seconds: float, step: float) -> None:
        """Until a watched process exits or ``seconds`` pass (``step`` when any is polled)."""
        limit = min(seconds, step) if self._polled else seconds
        self._poll.poll(max(0, int(limit * 1000)) or 1)

    def close(self) -> None:
        for fd in list(self._fds):
            self._forget(fd)

    def _forget(self, fd: int) -> None:
        with contextlib.suppress(KeyError, OSError):
            self._poll.unregister(fd)
        if self._fds.pop(fd, None) is not None:
            os.close(fd)


def _pidfd(pid: int) -> int | None:
    """A pidfd for ``pid``; None when it does not exist, -1 when pidfds are unavailable
    (old kernel, no Python support, out of file descriptors)."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return -1
    try:
        return int(opener(pid))
    except ProcessLookupError:
        return None
    except OSError:
        return -1


def wait_gone(procs: Sequence[ProcInfo], timeout: float, *, transport: Transport | None = None,
              root: str = "/proc") -> list[ProcInfo]:
    """Wait up to ``timeout`` seconds for ``procs`` to end; answer those still alive."""
    deadline = time.monotonic() + timeout
    watch = _Watch(procs, root)
    step = POLL_FIRST
    try:
        while True:
            alive = watch.alive()
            if transport is not None:
                transport.reap()  # our own children that just ended: no zombies left behind
            left = deadline - time.monotonic()
            if not alive or left <= 0:
                return alive
            watch.wait(left, step)
            step = min(step * 2, POLL_MAX)
    finally:
        watch.close()


def stop_owned(scope: str, address: str, sig: int, timeout: float, *,
               transport: Transport | None = None, known: Sequence[ProcInfo] = (),
               scans: SharedScan = SHARED) -> int:
    """Stop every process marked with ``scope`` and ``address``: ``sig`` to their groups,
    ``timeout`` seconds of grace, then SIGKILL; repeat for anything forked meanwhile (each
    round's targets come from a pass that started after the previous round ended).
    ``known`` are targets an earlier pass found (the plan's): they get the first round
    without waiting for a pass, and a fresh pass still checks that nothing is left.
    Answer how many processes had to be SIGKILLed."""
    killed = _stop_round(known, sig, timeout, transport) if known else 0
    for grace in (timeout, 1.0, 1.0):
        targets = scans.of(scope, address)
        if not targets:
            break
        killed += _stop_round(targets, sig, grace, transport)
    return killed


def stop_marked(transport: Transport, scope: str, address: str, sig: int,
                timeout: float) -> int:
    """:func:`stop_owned` on whatever host ``transport`` reaches: here through /proc and
    process-group signals, on a remote host in one round trip of its own."""
    if transport.is_local:
        return stop_owned(scope, address, sig, timeout, transport=transport)
    return proc_remote.stop(transport, scope, address, sig, timeout)


def _stop_round(targets: Sequence[ProcInfo], sig: int, grace: float,
                transport: Transport | None) -> int:
    """``sig`` to the targets' groups, ``grace`` seconds, then SIGKILL; answer the number
    of processes that needed it."""
    proc_scan.signal_processes(targets, sig)
    stubborn = wait_gone(targets, grace, transport=transport)
    if stubborn:
        proc_scan.signal_processes(stubborn, signal.SIGKILL)
        wait_gone(stubborn, 5.0, transport=transport)
    return len(stubborn)
