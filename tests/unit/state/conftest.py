"""Fixtures for the state store tests: a fresh store, and real lease-holding processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.state import StateStore

HELPER = Path(__file__).with_name("lease_holder.py")
REPO = Path(__file__).resolve().parents[3]

Spawn = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "proj" / ".reconciler" / "state.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[StateStore]:
    s = StateStore(db_path)
    yield s
    s.close()


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start lease_holder.py processes; every one is killed (by pid) and reaped afterwards."""
    started: list[subprocess.Popen[str]] = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def run(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, str(HELPER), *args], stdout=subprocess.PIPE,
                                text=True, env=env)
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def hold(spawn: Spawn, db_path: Path) -> Callable[[str], subprocess.Popen[str]]:
    """Start a process holding the lease on ``db_path`` until killed; returns once it holds."""

    def run(holder: str) -> subprocess.Popen[str]:
        proc = spawn(str(db_path), holder, "hold")
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("HELD "), f"holder did not take the lease: {line!r}"
        return proc

    return run
