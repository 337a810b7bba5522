"""Team state on a REAL PostgreSQL server (issue 16's must-shows), through the CLI.

The server is the session's throw-away cluster (tests/integration/infra/postgres.py, fixture
``pg_cluster``); every test uses a schema of its own. Projects run real local processes and are
destroyed (and their leftovers killed by pid, found by their /proc marks) afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.cli import kill_scope

from reconciler.state.store import StateStore

SERVICES = """\
version: "1.0"
name: team
services:
  web:
    command: "exec sleep 3600"
    working_dir: "{shared}"
  slow:  # ready (its probe passes) {delay} s after it starts: an apply holds the lease so long
    command: "sleep {delay} && touch {shared}/slow.ready && exec sleep 3600"
    working_dir: "{shared}"
    startup_timeout: 60
    health_check:
      command: "test"
      args: ["-e", "{shared}/slow.ready"]
      interval: 0.2
      start_period: 50
"""


class Checkout:
    """One checkout of the project ``team`` in its own directory, on a given --state URL."""

    def __init__(self, root: Path, shared: Path, url: str, delay: float = 0.0):
        self.dir = root / "team"
        self.dir.mkdir(parents=True)
        self.url = url
        self.write(delay, shared)

    def write(self, delay: float, shared: Path) -> None:
        (self.dir / "services.yaml").write_text(SERVICES.format(shared=shared, delay=delay))

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "reconciler", "-C", str(self.dir), "--state", self.url,
                "--no-color", *args]

    def __call__(self, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL)
        if expect is not None:
            assert proc.returncode == expect, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


@pytest.fixture
def team(tmp_path: Path, pg_cluster: Any) -> Iterator[tuple[Checkout, Checkout, Any]]:
    shared = tmp_path / "shared"
    shared.mkdir()
    url = pg_cluster.url(pg_cluster.fresh_schema())
    first = Checkout(tmp_path / "alice", shared, url)
    second = Checkout(tmp_path / "bob", shared, url)
    yield first, second, pg_cluster
    if not pg_cluster.running():
        pg_cluster.start()
    first("destroy", "--auto-approve", expect=None)
    kill_scope("team")


def store_of(checkout: Checkout) -> StateStore:
    return StateStore.open_url(checkout.url, state_dir=checkout.dir / ".reconciler",
                               schema="unused")


def wait_for(predicate: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_two_checkouts_share_one_state(team: tuple[Checkout, Checkout, Any]) -> None:
    first, second, _ = team
    assert "2 added" in first("apply", "--auto-approve").stdout
    assert second("state", "list").stdout.split() == ["process.slow", "process.web"]
    assert second("plan", "--detailed-exitcode").returncode == 0  # no changes
    assert "No changes" in second("plan").stdout
    # one state, one id: the processes alice started are bob's own (never "owned elsewhere")
    assert first("state", "id").stdout == second("state", "id").stdout
    history = second("history").stdout
    assert "apply" in history and "ok" in history
    assert not (second.dir / ".reconciler" / "state.db").exists()


def test_two_concurrent_applies_one_runs_the_other_names_the_holder(
        team: tuple[Checkout, Checkout, Any], tmp_path: Path) -> None:
    first, second, _ = team
    first.write(4, tmp_path / "shared")
    second.write(4, tmp_path / "shared")  # the same configuration in both checkouts
    running = first.start("apply", "--auto-approve")
    store = store_of(second)
    assert wait_for(lambda: (store.lease_info() or {}).get("alive"))
    refused = second("apply", "--auto-approve", expect=1)
    assert "the project is locked by " in refused.stderr
    assert f"(pid {running.pid} on " in refused.stderr
    assert "apply --auto-approve" in refused.stderr  # the holder's command
    assert second("plan").returncode == 0  # plan never blocks
    waited = second("--lock-timeout", "120", "apply", "--auto-approve")
    out, err = running.communicate(timeout=120)
    assert running.returncode == 0, out + err
    assert "2 added" in out and "No changes" in waited.stdout
    store.close()


def test_a_holder_killed_with_sigkill_frees_the_lock_at_once(
        team: tuple[Checkout, Checkout, Any], tmp_path: Path) -> None:
    first, second, _ = team
    first.write(30, tmp_path / "shared")
    second.write(30, tmp_path / "shared")
    running = first.start("apply", "--auto-approve")
    store = store_of(second)
    assert wait_for(lambda: (store.lease_info() or {}).get("alive"))
    os.kill(running.pid, signal.SIGKILL)
    running.communicate(timeout=30)
    assert wait_for(lambda: not store.lease_info()["alive"], timeout=5)  # type: ignore[index]
    first.write(0, tmp_path / "shared")
    second.write(0, tmp_path / "shared")
    second("apply", "--auto-approve")  # no TTL to wait out, no unlock needed
    takeover = [e for e in store.events() if e["kind"] == "lease.takeover"]
    assert len(takeover) == 1 and f"pid {running.pid}" in takeover[0]["data"]["took_over_from"]
    store.close()


def test_the_database_stopped_mid_apply_fails_cleanly_and_the_next_apply_converges(
        team: tuple[Checkout, Checkout, Any], tmp_path: Path) -> None:
    first, second, cluster = team
    first.write(3, tmp_path / "shared")
    running = first.start("apply", "--auto-approve")
    store = store_of(second)
    assert wait_for(lambda: (store.lease_info() or {}).get("alive"))
    store.close()
    cluster.stop()
    out, err = running.communicate(timeout=120)
    cluster.start()
    assert running.returncode == 1, out + err
    assert "Traceback" not in err and "PostgreSQL state" in err
    first.write(0, tmp_path / "shared")
    first("apply", "--auto-approve")
    assert first("plan", "--detailed-exitcode").returncode == 0


def test_push_pull_round_trip_refuses_a_newer_serial(tmp_path: Path, pg_cluster: Any) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    url = pg_cluster.url(pg_cluster.fresh_schema())
    local = Checkout(tmp_path / "laptop", shared, "sqlite:" + str(tmp_path / "laptop.db"))
    try:
        local("apply", "--auto-approve")
        pushed = local("state", "push", "--to", url).stdout
        assert "2 resource(s)" in pushed and "***" not in pushed
        remote = Checkout(tmp_path / "ci", shared, url)
        assert remote("state", "list").stdout.split() == ["process.slow", "process.web"]
        assert remote("plan", "--detailed-exitcode").returncode == 0
        remote("state", "rm", "process.slow")  # the remote moves on
        refused = local("state", "push", "--to", url, expect=1)
        assert "newer" in refused.stderr and "refusing" in refused.stderr
        local("state", "pull", "--from", url)
        assert local("state", "list").stdout.split() == ["process.web"]
        exported = local("audit", "export").stdout
        assert "state.forget" in exported
    finally:
        kill_scope("team")


def test_the_password_never_shows(tmp_path: Path, pg_cluster: Any) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    url = pg_cluster.url(pg_cluster.fresh_schema()).replace("postgres@", "postgres:hunter2@")
    bad = url.replace(f"host={pg_cluster.socket}", "host=/nonexistent")
    checkout = Checkout(tmp_path / "x", shared, bad)
    failed = checkout("plan", expect=1)
    assert "hunter2" not in failed.stdout + failed.stderr and "***" in failed.stderr
    assert "cannot use the PostgreSQL state" in failed.stderr
