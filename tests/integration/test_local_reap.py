"""The local transport's reaping (issue 14): a spawn peeks at exited children (waitid with
WNOWAIT) instead of a waitpid per live child, and must still know how each of its own children
ended without ever collecting a child that `run()` is about to wait for."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from reconciler.transports import procfs as proc_scan
from reconciler.transports.local import LocalTransport

pytestmark = pytest.mark.integration


def test_exit_codes_of_own_children_and_run_results_survive_reaping(tmp_path: Path) -> None:
    transport = LocalTransport()
    log = str(tmp_path / "log")
    env = {"PATH": os.environ["PATH"]}
    alive = [transport.spawn(["sleep", "60"], env=env, cwd=None, log_path=log)
             for _ in range(3)]
    try:
        quick = transport.spawn(["sh", "-c", "exit 7"], env=env, cwd=None, log_path=log)
        for _ in range(500):  # until it has exited (a zombie until someone collects it)
            stat = proc_scan.read_stat(quick)
            if stat is None or stat.state == "Z":
                break
            time.sleep(0.01)
        # a run() finishing while our children are reaped keeps its own exit code
        assert transport.run(["sh", "-c", "exit 5"]).returncode == 5
        alive.append(transport.spawn(["sleep", "60"], env=env, cwd=None,
                                     log_path=log))  # reaps on the way
        assert transport.exit_code(quick) == 7
        assert all(transport.exit_code(pid) is None for pid in alive)
    finally:
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
