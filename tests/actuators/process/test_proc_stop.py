"""Shared /proc passes (single flight per scope), the by-address index, and waiting.

SharedScan runs on a fake fetch; wait_gone reads a captured /proc tree (the /proc/<pid>/stat
polling path); the pidfd path and real signals are in tests/integration/.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from reconciler.actuators.local_run import stop as proc_stop
from reconciler.transports import procfs as proc_scan
from reconciler.transports.procfs import ADDRESS_VAR, ProcInfo, StatFields

STAT_LINE = "{pid} (sleep) S 1 {pid} {pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 {start} 1 1 0"


def info(pid: int, address: str, start: int = 100) -> ProcInfo:
    return ProcInfo(pid, StatFields("S", 1, pid, pid, start), {ADDRESS_VAR: address})


def test_by_address_groups_in_pass_order_and_drops_unmarked() -> None:
    procs = [info(3, "process.a"), info(4, "process.b"), info(5, "process.a"), info(6, "")]
    index = proc_scan.by_address(procs)
    assert {k: [p.pid for p in v] for k, v in index.items()} == {
        "process.a": [3, 5], "process.b": [4]}
    assert proc_scan.by_address([]) == {}


class GatedFetch:
    """A fetch whose passes block until released; records which pass answered whom."""

    def __init__(self) -> None:
        self.passes = 0
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, scope: str) -> list[ProcInfo]:
        with self.lock:
            self.passes += 1
            number = self.passes
        self.entered.set()
        assert self.gate.wait(5)
        return [info(number, f"process.{scope}")]  # the pid tells which pass answered


def test_callers_during_a_pass_share_the_next_pass_not_the_running_one() -> None:
    fetch = GatedFetch()
    shared = proc_stop.SharedScan(fetch)
    answers: dict[str, list[int]] = {}

    def call(name: str) -> None:
        answers[name] = [p.pid for p in shared.scan("s")]

    first = threading.Thread(target=call, args=("first",))
    first.start()
    assert fetch.entered.wait(5)
    late = [threading.Thread(target=call, args=(f"late{i}",)) for i in range(8)]
    for thread in late:
        thread.start()
    time.sleep(0.1)  # let them queue behind the running pass
    fetch.gate.set()
    for thread in [first, *late]:
        thread.join(5)
    assert answers["first"] == [1]
    # the pass that was running when they asked had started before them: one new pass for all
    assert all(answers[f"late{i}"] == [2] for i in range(8))
    assert fetch.passes == 2


def test_every_sequential_call_gets_a_new_pass_and_scopes_are_separate() -> None:
    fetch = GatedFetch()
    fetch.gate.set()
    shared = proc_stop.SharedScan(fetch)
    assert [p.pid for p in shared.of("a", "process.a")] == [1]
    assert [p.pid for p in shared.of("a", "process.a")] == [2]
    assert shared.of("a", "process.other") == []
    assert [(p.pid, p.address) for p in shared.scan("b")] == [(4, "process.b")]
    assert fetch.passes == 4


def test_a_failed_pass_raises_for_its_caller_and_the_next_call_retries() -> None:
    calls: list[str] = []

    def fetch(scope: str) -> list[ProcInfo]:
        calls.append(scope)
        if len(calls) == 1:
            raise OSError("proc unreadable")
        return [info(9, "process.x")]

    shared = proc_stop.SharedScan(fetch)
    with pytest.raises(OSError):
        shared.scan("s")
    assert [p.pid for p in shared.scan("s")] == [9]


def write_stat(root: Path, pid: int, start: int) -> None:
    (root / str(pid)).mkdir(exist_ok=True)
    (root / str(pid) / "stat").write_text(STAT_LINE.format(pid=pid, start=start))


def test_wait_gone_polls_until_the_process_is_gone(tmp_path: Path) -> None:
    write_stat(tmp_path, 41, 100)
    write_stat(tmp_path, 42, 100)
    target, reused = info(41, "process.a"), info(42, "process.a", start=99)
    timer = threading.Timer(0.1, lambda: (tmp_path / "41" / "stat").unlink())
    timer.start()
    began = time.monotonic()
    assert proc_stop.wait_gone([target, reused], 5.0, root=str(tmp_path)) == []
    assert time.monotonic() - began < 2.0  # back-off stays short, the 5 s are not waited
    timer.join()


def test_wait_gone_answers_the_survivors_at_the_deadline(tmp_path: Path) -> None:
    write_stat(tmp_path, 41, 100)
    target = info(41, "process.a")
    began = time.monotonic()
    assert proc_stop.wait_gone([target], 0.2, root=str(tmp_path)) == [target]
    assert time.monotonic() - began >= 0.2


def test_stop_owned_with_nothing_marked_makes_one_pass() -> None:
    passes: list[str] = []

    def fetch(scope: str) -> list[ProcInfo]:
        passes.append(scope)
        return []

    shared = proc_stop.SharedScan(fetch)
    assert proc_stop.stop_owned("s", "process.a", 15, 1.0, scans=shared) == 0
    assert passes == ["s"]
