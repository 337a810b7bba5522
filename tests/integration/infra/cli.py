"""`python -m reconciler` in a subprocess for the CLI integration tests, and the cleanup of
what a test scope started (found by the RECONCILER_ADDRESS marks in /proc, killed by pid)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from reconciler.transports import procfs as proc_scan


class Cli:
    def __init__(self, project: Path, session: str):
        self.project, self.session = project, session

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "reconciler", "-C", str(self.project),
                "--session", self.session, "--no-color", *args]

    def __call__(self, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL)
        if expect is not None:
            assert proc.returncode == expect, proc.stdout + proc.stderr
        return proc

    def owned(self, scope: str) -> dict[str, list[int]]:
        """Group leaders (the processes reconciler started) per address, from /proc marks."""
        found: dict[str, list[int]] = {}
        for info in proc_scan.scan(scope):
            if info.stat.pgrp == info.pid:
                found.setdefault(info.address, []).append(info.pid)
        return found


def kill_scope(scope: str) -> None:
    for info in proc_scan.scan(scope):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(info.stat.pgrp, signal.SIGKILL)
