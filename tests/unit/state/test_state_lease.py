"""The lease: acquire/release, live holders refused, dead holders taken over, heartbeat, races.

Holders are real processes (lease_holder.py), killed by pid; nothing is matched by name. Tests
taking ``store``/``backend`` run on SQLite and PostgreSQL; the pid and expiry rules are SQLite's
(on PostgreSQL the advisory lock decides: tests/integration/test_state_postgres.py).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from testing.state_backends import Backend

from reconciler.errors import LockedError
from reconciler.state import StateStore

Hold = Callable[[str], subprocess.Popen[str]]
Spawn = Callable[..., subprocess.Popen[str]]


def wait_until(predicate: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.02)
    return False


def test_acquire_and_release(store: StateStore) -> None:
    with store.lease("alice@box") as lease:
        info = store.lease_info()
        assert info is not None and info["holder"] == "alice@box"
        assert info["pid"] == os.getpid() and info["hostname"] == socket.gethostname()
        assert info["alive"] is True and info["expires_at"] > time.time()
        assert lease.held and lease.took_over_from is None
    assert store.lease_info() is None and not lease.held
    kinds = [e["kind"] for e in store.events()]
    assert kinds == ["lease.acquired", "lease.released"]
    with store.lease("bob") as again:  # free again, and reusable
        assert again.held


def test_second_lease_in_the_same_process_is_refused(store: StateStore) -> None:
    with store.lease("first"), pytest.raises(LockedError, match="locked by first"):
        store.lease("second").acquire()


def test_refused_while_a_live_process_holds_it(hold: Hold, store: StateStore) -> None:
    holder = hold("ci@runner")
    with pytest.raises(LockedError) as caught:
        store.lease("me").acquire()
    err = caught.value
    assert f"ci@runner (pid {holder.pid} on {socket.gethostname()})" in err.message
    assert " since " in err.message and "reconciler unlock" in err.hint
    info = store.lease_info()
    assert info is not None and info["pid"] == holder.pid and info["alive"]


def test_dead_holder_is_taken_over(hold: Hold, store: StateStore) -> None:
    holder = hold("crashed@box")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    assert store.lease_info() is not None
    assert wait_until(lambda: store.lease_info()["alive"] is False)  # type: ignore[index]
    with store.lease("me") as lease:
        assert lease.took_over_from == (f"crashed@box (pid {holder.pid} on "
                                        f"{socket.gethostname()})")
    takeover = [e for e in store.events() if e["kind"] == "lease.takeover"]
    assert len(takeover) == 1 and takeover[0]["data"]["took_over_from"] == lease.took_over_from


def test_reused_pid_is_not_the_holder(sqlite_store: StateStore, db_path: Path) -> None:
    store = sqlite_store
    with store.lease("old"):
        with sqlite3.connect(db_path) as conn:  # same pid, but another process start time
            conn.execute("UPDATE lease SET pid_start = '1'")
        with store.lease("new") as lease:
            assert lease.took_over_from is not None and "old" in lease.took_over_from


def test_expiry_decides_for_holders_on_other_hosts(sqlite_store: StateStore,
                                                   db_path: Path) -> None:
    store = sqlite_store
    with store.lease("remote") as first:
        with sqlite3.connect(db_path) as conn:
            conn.execute("UPDATE lease SET hostname = 'elsewhere', pid = 1")
        with pytest.raises(LockedError, match="on elsewhere"):
            store.lease("me").acquire()
        with sqlite3.connect(db_path) as conn:
            conn.execute("UPDATE lease SET expires_at = ?", (time.time() - 1,))
        with store.lease("me") as second:
            assert second.took_over_from == "remote (pid 1 on elsewhere)"
        assert first.renew() is False and first.lost


def test_unlock_removes_any_lease(hold: Hold, store: StateStore) -> None:
    holder = hold("stuck@box")
    removed = store.unlock()
    assert removed is not None and removed["holder"] == "stuck@box"
    assert removed["pid"] == holder.pid
    assert store.unlock() is None
    with store.lease("me") as lease:
        assert lease.took_over_from is None
    assert any(e["kind"] == "lease.unlocked" for e in store.events())


def test_heartbeat_renews_expiry(store: StateStore) -> None:
    with store.lease("me", ttl=1.0, heartbeat=0.05) as lease:
        info = store.lease_info()
        assert info is not None
        first = info["expires_at"]
        assert wait_until(lambda: store.lease_info()["expires_at"] > first)  # type: ignore[index]
        assert lease.held
    with pytest.raises(ValueError, match="heartbeat < ttl"):
        store.lease("me", ttl=1.0, heartbeat=2.0)


def test_heartbeat_notices_an_unlock(store: StateStore) -> None:
    with store.lease("me", ttl=1.0, heartbeat=0.05) as lease:
        store.unlock()
        assert wait_until(lambda: lease.lost)
        assert not lease.held
    assert store.lease_info() is None


def test_processes_racing_exactly_one_wins(spawn: Spawn, backend: Backend, tmp_path: Path,
                                           store: StateStore) -> None:
    store.allocate("warm", 1)  # the database exists before the race
    go = tmp_path / "go"
    racers = [spawn(backend.target, f"racer{i}", "race", str(go), "3") for i in range(4)]
    time.sleep(1.0)  # let every racer import and wait on the go file
    go.touch()
    outputs = []
    for proc in racers:
        out, _ = proc.communicate(timeout=30)
        outputs.append(out.strip())
    assert sorted(outputs) == ["LOCKED", "LOCKED", "LOCKED", "WON"]
    assert store.lease_info() is None


def test_racing_on_a_brand_new_database(spawn: Spawn, backend: Backend, db_path: Path,
                                        tmp_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    go = tmp_path / "go"
    racers = [spawn(backend.target, f"racer{i}", "race", str(go), "3") for i in range(3)]
    time.sleep(1.0)
    go.touch()
    outputs = sorted(p.communicate(timeout=30)[0].strip() for p in racers)
    assert outputs == ["LOCKED", "LOCKED", "WON"]
