"""`reconciler watch` notices a managed process's exit through its pidfd, not the pid poll.

The watcher runs with ``--poll 30 --interval 600``: neither the pid poll nor a full observation
can happen within the bounded waits below (a third of the poll interval), so a heal seen in
time proves the kernel woke the watcher. This asserts the mechanism, never a timing (those are
in tests/benchmarks/bench_watch.py). The first process killed was started by an earlier
`apply` (adopted: not the watcher's child), the second by the watcher itself. Every process the
test starts is killed by pid."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.state import StateStore
from reconciler.transports import procfs as proc_scan
from reconciler.watch.pids import open_pidfd

POLL = 30.0


class Watch:
    def __init__(self, project: Path):
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "-C", str(project), "watch", "--json",
             "--poll", str(POLL), "--interval", "600"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                self.lines.put({"kind": "output", "message": line.rstrip(), "data": {}})

    def until(self, kind: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(event)
            if event["kind"] == kind:
                return event
        tail = "\n".join(json.dumps(e) for e in self.seen[-20:])
        pytest.fail(f"no {kind} within {timeout}s; last events:\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    scope = f"wp{uuid.uuid4().hex[:8]}"
    (tmp_path / "services.yaml").write_text(
        f"name: {scope}\nservices:\n  api:\n    type: process\n"
        '    command: "exec sleep 1000"\n    shutdown_timeout: 2\n')
    yield tmp_path, scope
    for info in proc_scan.scan(scope):
        if proc_scan.is_same_process(info.pid, info.stat.starttime):
            os.kill(info.pid, signal.SIGKILL)


def pid_of(project: Path) -> int:
    store = StateStore.open_project(project)
    try:
        return int(next(r.facts["pid"] for a, r in store.resources().items()
                        if str(a) == "process.api"))
    finally:
        store.close()


def test_a_kill_is_healed_through_the_pidfd_long_before_the_pid_poll(
        project: tuple[Path, str]) -> None:
    assert open_pidfd(os.getpid()) is not None, "this kernel gives no pidfds (Linux >= 5.3)"
    directory, _ = project
    subprocess.run([sys.executable, "-m", "reconciler", "-C", str(directory), "apply",
                    "--auto-approve"], check=True, capture_output=True, timeout=120)
    adopted = pid_of(directory)  # started by that apply: not the watcher's child
    watch = Watch(directory)
    try:
        watch.until("watch.done", timeout=60)
        assert pid_of(directory) == adopted
        for _ in range(2):  # the adopted process, then the watcher's own child
            if watch.seen[-1]["kind"] != "watch.done":
                watch.until("watch.done", timeout=30)
            pid = pid_of(directory)
            os.kill(pid, signal.SIGKILL)
            reconcile = watch.until("watch.reconcile", timeout=POLL / 3)
            assert "process exited" in reconcile["data"]["reasons"]
            applied = watch.until("watch.applied", timeout=POLL / 3)
            assert applied["data"]["healed"] == ["process.api"] and applied["data"]["ok"]
            assert pid_of(directory) != pid
    finally:
        watch.stop()
    assert watch.proc.returncode == 0
