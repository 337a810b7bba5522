"""Fixtures for the state store tests: a fresh store on EVERY backend, and lease holders.

``backend`` is parametrised over SQLite and PostgreSQL (a throw-away server from the session
fixture ``pg_cluster``, a fresh schema per test), so every test taking ``store`` runs on both.
Tests about one backend's internals (the SQLite file, WAL, pid/expiry decisions) take
``db_path`` and ``sqlite_store`` instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testing.state_backends import Backend

from reconciler.state import StateStore

HELPER = Path(__file__).with_name("lease_holder.py")
REPO = Path(__file__).resolve().parents[3]

Spawn = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "proj" / ".reconciler" / "state.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, db_path: Path, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", str(db_path), db_path.parent)
    cluster = request.getfixturevalue("pg_cluster")
    return Backend("postgresql", cluster.url(cluster.fresh_schema()), tmp_path / "local",
                   cluster)


@pytest.fixture
def store(backend: Backend) -> Iterator[StateStore]:
    s = backend.new()
    yield s
    s.close()


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[StateStore]:
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
def hold(spawn: Spawn, backend: Backend) -> Callable[[str], subprocess.Popen[str]]:
    """Start a process holding the lease of the backend until killed; returns once it holds."""

    def run(holder: str) -> subprocess.Popen[str]:
        proc = spawn(backend.target, holder, "hold")
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("HELD "), f"holder did not take the lease: {line!r}"
        return proc

    return run
