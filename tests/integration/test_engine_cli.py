"""The engine end to end through the CLI on real local processes (issue 3's must-shows).

Every test runs `python -m reconciler` in a subprocess against a copy of a project in tmp_path,
with its own session, and destroys what it started in a finalizer; leftovers are found by
their RECONCILER_ADDRESS marks in /proc and killed by pid (never by name pattern).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.cli import Cli, kill_scope

ROOT = Path(__file__).resolve().parents[2]

SLOW = """\
name: slow
services:
  db:
    command: "exec python3 -m http.server $PORT --bind 127.0.0.1"
    port: auto
    health_check: {http: "http://127.0.0.1:${db.port}/", interval: 0.2, start_period: 10}
  api:
    command: "sleep 2 && exec python3 -m http.server $PORT --bind 127.0.0.1"
    port: auto
    depends_on: [db]
    startup_timeout: 30
    health_check: {http: "http://127.0.0.1:${api.port}/", interval: 0.2, start_period: 10}
  web:
    command: "exec sleep 3600"
    depends_on: [api]
"""


@pytest.fixture
def quickstart(tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    project = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", project,
                    ignore=shutil.ignore_patterns(".reconciler", "data"))
    cli = Cli(project, f"t{os.getpid()}q")
    scope = f"quickstart_{cli.session}"
    yield cli, scope
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(scope)


def test_quickstart_apply_edit_drift_destroy(quickstart: tuple[Cli, str]) -> None:
    cli, scope = quickstart
    out = cli("apply", "--auto-approve").stdout
    assert "Apply complete! Resources: 4 added" in out
    status = cli("status", "--json").stdout
    assert status.count('"health": "healthy"') == 2  # api and web have checks
    assert cli("plan", "--detailed-exitcode").returncode == 0
    # one env edit -> exactly one replace, with that field
    services = cli.project / "services.yaml"
    services.write_text(services.read_text().replace("LOG_LEVEL: info", "LOG_LEVEL: debug"))
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "-/+ process.api" in plan and plan.count("-/+") == 1
    assert 'env.LOG_LEVEL: "info" -> "debug"' in plan
    assert "1 to replace" in plan and "0 to add" in plan
    cli("apply", "--auto-approve")
    # kill a process by hand -> the plan shows the drift with its reason
    worker = cli.owned(scope)["process.worker"]
    os.killpg(worker[0], signal.SIGKILL)
    time.sleep(0.3)
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "process.worker will be created (drift: " in plan
    cli("destroy", "--auto-approve")
    assert cli.owned(scope) == {}


def test_state_loss_readopts_instead_of_duplicating(quickstart: tuple[Cli, str]) -> None:
    cli, scope = quickstart
    cli("apply", "--auto-approve")
    before = cli.owned(scope)
    state_dir = cli.project / ".reconciler" / "sessions" / cli.session
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (state_dir / name).unlink(missing_ok=True)
    plan = cli("plan", "--detailed-exitcode", expect=None)
    assert "process.api will be created" not in plan.stdout  # running ones are found again
    cli("apply", "--auto-approve")
    after = cli.owned(scope)
    assert after["process.api"] == before["process.api"]
    assert all(len(pids) == 1 for pids in after.values()), after
    assert cli("plan", "--detailed-exitcode").returncode == 0


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    (tmp_path / "services.yaml").write_text(SLOW)
    cli = Cli(tmp_path, f"t{os.getpid()}s")
    scope = f"slow_{cli.session}"
    yield cli, scope
    cli("unlock", expect=None)
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(scope)


def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_kill_9_in_the_middle_then_apply_converges(slow: tuple[Cli, str]) -> None:
    cli, scope = slow
    apply = subprocess.Popen(cli.argv("apply", "--auto-approve"), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:  # kill the apply while api is still starting (db is up, web not yet)
        _wait_for(lambda: "process.api" in cli.owned(scope))
    finally:
        os.kill(apply.pid, signal.SIGKILL)
        apply.wait()
    assert "process.web" not in cli.owned(scope)
    out = cli("apply", "--auto-approve").stdout  # the dead holder's lease is taken over
    assert "Apply complete!" in out
    owned = cli.owned(scope)
    assert sorted(owned) == ["process.api", "process.db", "process.web"]
    assert all(len(pids) == 1 for pids in owned.values()), owned  # nothing duplicated
    assert cli("plan", "--detailed-exitcode").returncode == 0


def test_concurrent_apply_is_refused_by_the_lease(slow: tuple[Cli, str]) -> None:
    cli, scope = slow
    first = subprocess.Popen(cli.argv("apply", "--auto-approve"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for(lambda: "process.db" in cli.owned(scope))
        second = cli("apply", "--auto-approve", expect=1)
        assert "locked" in second.stderr and "reconciler unlock" in second.stderr
        assert cli("plan").returncode in (0, 2)  # read-only commands never take the lease
    finally:
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err


def test_health_gates_the_order(slow: tuple[Cli, str]) -> None:
    cli, _ = slow
    out = cli("apply", "--auto-approve").stdout
    lines = out.splitlines()

    def at(text: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(text))

    assert at("process.db: Healthy") < at("process.api: Creating")
    assert at("process.api: Healthy") < at("process.web: Creating")


def test_saved_plan_applies_and_refuses_when_stale(slow: tuple[Cli, str]) -> None:
    cli, _ = slow
    plan_file = cli.project / "tfplan"
    cli("plan", "-out", str(plan_file))
    assert oct(plan_file.stat().st_mode & 0o777) == "0o600"
    cli("apply", str(plan_file))
    cli("plan", "-out", str(plan_file), "--detailed-exitcode")  # no changes: saved anyway
    services = cli.project / "services.yaml"
    services.write_text(services.read_text().replace("exec sleep 3600", "exec sleep 3601"))
    cli("plan", "-out", str(plan_file), expect=0)
    services.write_text(services.read_text().replace("exec sleep 3601", "exec sleep 3602"))
    refused = cli("apply", str(plan_file), expect=1)
    assert "stale" in refused.stderr


def test_target_limits_the_plan_to_an_address_and_its_dependencies(
        slow: tuple[Cli, str]) -> None:
    cli, scope = slow
    plan = cli("plan", "--target", "process.api").stdout
    assert "process.db" in plan and "process.api" in plan and "process.web" not in plan
    cli("apply", "--auto-approve", "--target", "api")
    assert sorted(cli.owned(scope)) == ["process.api", "process.db"]
