"""The watcher's exit notice: pidfds wake it at a process's exit, polling is the fallback.

Every poll interval here is 30 s and every wait is bounded well below it, so a notice that
arrives proves the pidfd woke the thread, not the periodic check."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest

from reconciler.transports.procfs import read_stat
from reconciler.watch.pids import PidPoller, open_pidfd
from reconciler.watch.queue import WorkQueue

LONG = 30.0  # the poll interval: never reached by the bounded waits below


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "1000"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def ident(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    stat = read_stat(proc.pid)
    assert stat is not None
    return proc.pid, stat.starttime


def test_a_kill_is_noticed_through_the_pidfd_before_the_poll_interval(
        sleeper: subprocess.Popen[bytes]) -> None:
    assert open_pidfd(os.getpid()) is not None, "this kernel gives no pidfds (Linux >= 5.3)"
    queue = WorkQueue(0.0)
    poller = PidPoller(queue, LONG, reap=lambda: None)
    poller.start()
    try:
        poller.track({"process.api": ident(sleeper)})
        assert queue.take(timeout=1.0) is None  # alive: nothing to report
        assert poller.pidfds() == 1
        os.kill(sleeper.pid, signal.SIGKILL)
        batch = queue.take(timeout=LONG / 3)
        assert batch is not None and batch.addresses == {"process.api"}
        assert batch.reasons == ("process exited",)
        assert queue.take(timeout=0.5) is None  # reported once
    finally:
        poller.stop()
    assert poller.pidfds() == 0  # every pidfd closed


def test_an_exit_during_our_own_apply_is_reported_after_it(
        sleeper: subprocess.Popen[bytes]) -> None:
    queue = WorkQueue(0.0)
    poller = PidPoller(queue, LONG)
    poller.start()
    try:
        poller.track({"process.api": ident(sleeper)})
        poller.paused.set()  # the watcher applies: its own stops are not drift
        sleeper.kill()
        sleeper.wait(timeout=10)
        assert queue.take(timeout=1.0) is None
        poller.paused.clear()
        poller.track(poller.watched())  # the loop re-tracks after every reconcile
        batch = queue.take(timeout=LONG / 3)
        assert batch is not None and batch.addresses == {"process.api"}
    finally:
        poller.stop()


def test_a_restart_that_died_during_the_apply_is_reported_when_the_pause_ends(
        sleeper: subprocess.Popen[bytes]) -> None:
    """The watcher's apply waits no crash grace: the restarted process may die while the
    poller is still paused. Its pids are tracked, then :meth:`resume` reports the death at
    once, not a poll interval later."""
    queue = WorkQueue(0.0)
    poller = PidPoller(queue, LONG, reap=lambda: None)
    poller.start()
    try:
        poller.paused.set()  # the watcher applies
        restarted = ident(sleeper)
        sleeper.kill()  # the restart dies at once
        sleeper.wait(timeout=10)
        poller.track({"process.api": restarted})  # the loop tracks the apply's pids...
        assert queue.take(timeout=1.0) is None  # (still paused: nothing reported)
        poller.resume()  # ...then ends the pause
        batch = queue.take(timeout=LONG / 3)
        assert batch is not None and batch.addresses == {"process.api"}
        assert batch.reasons == ("process exited",)
    finally:
        poller.stop()


def test_without_pidfds_the_exit_is_found_by_polling(sleeper: subprocess.Popen[bytes]) -> None:
    queue = WorkQueue(0.0)
    poller = PidPoller(queue, 0.05, opener=lambda pid: None)  # an old kernel, a sandbox
    poller.start()
    try:
        poller.track({"process.api": ident(sleeper)})
        assert queue.take(timeout=0.5) is None
        assert poller.pidfds() == 0
        sleeper.kill()
        sleeper.wait(timeout=10)
        batch = queue.take(timeout=LONG / 3)
        assert batch is not None and batch.addresses == {"process.api"}
    finally:
        poller.stop()


def test_a_reused_pid_is_never_watched_through_its_pidfd(
        sleeper: subprocess.Popen[bytes]) -> None:
    queue = WorkQueue(0.0)
    poller = PidPoller(queue, LONG)
    poller.start()
    try:
        pid, start = ident(sleeper)
        poller.track({"process.api": (pid, start + 1)})  # another process had this pid
        batch = queue.take(timeout=LONG / 3)
        assert batch is not None and batch.addresses == {"process.api"}
        assert poller.pidfds() == 0
    finally:
        poller.stop()
