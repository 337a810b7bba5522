"""The process and task actuators against real processes (and the local transport).

Each test gets its own state dir and ownership scope; whatever still carries the test's
scope at teardown is killed by pid (after checking its start time), never by pattern.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.components import missing
from infra.local_scope import local_scope, marked_pids, recorded

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.local_run.files import LOG_MAX_BYTES
from reconciler.actuators.process.actuator import ProcessActuator
from reconciler.actuators.task.actuator import TaskActuator
from reconciler.errors import TerminalError
from reconciler.events import Event
from reconciler.model.changes import Action, Change, Observed, Status
from reconciler.model.secrets import marker
from reconciler.model.types import Address, Resource
from reconciler.transports import procfs as proc_scan
from reconciler.transports.local import LocalTransport

pytestmark = pytest.mark.integration


def environ_of(pid: int) -> dict[str, str]:
    return proc_scan.parse_environ(Path(f"/proc/{pid}/environ").read_bytes())


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ActuatorContext]:
    with local_scope(tmp_path, "rtest") as context:
        yield context


@pytest.fixture
def actuator() -> Iterator[ProcessActuator]:
    act = ProcessActuator()
    try:
        yield act
    finally:
        act.close()


def proc(name: str, command: list[str], **spec: Any) -> Resource:
    secrets = spec.pop("secrets", {})
    full = {"command": command, "cwd": None, "env": {}, "user": None, "port": None,
            "stop_signal": "SIGTERM", "shutdown_timeout": 5.0, "startup_timeout": 10.0, **spec}
    kind = "task" if name.startswith("task:") else "process"
    return Resource(Address(kind, name.removeprefix("task:")), full, secrets=secrets)


def change(resource: Resource, action: Action) -> Change:
    return Change(resource.address, action, None, dict(resource.spec))


def create(act: ProcessActuator, resource: Resource, ctx: ActuatorContext) -> Observed:
    seen = act.apply(change(resource, Action.CREATE), resource, ctx)
    assert seen is not None and seen.status is Status.RUNNING
    return seen


SLEEP = ["sleep", "1000"]


def test_start_and_batched_observe(actuator: ProcessActuator, ctx: ActuatorContext,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGINE_ONLY_VAR", "leak")
    secret = marker("s3cret-value")
    api = proc("api", SLEEP, port=18080, env={"MODE": "x", "DB_PASSWORD": secret},
               secrets={"env.DB_PASSWORD": "s3cret-value"})
    web = proc("web", SLEEP)
    seen_api, seen_web = create(actuator, api, ctx), create(actuator, web, ctx)
    assert seen_api.spec_hash == api.hash()
    assert seen_api.facts["port"] == 18080 and seen_api.facts["pgid"] == seen_api.facts["pid"]
    env = environ_of(seen_api.facts["pid"])
    assert env["PORT"] == "18080" and env["MODE"] == "x" and env["DB_PASSWORD"] == "s3cret-value"
    assert env["RECONCILER_ADDRESS"] == "process.api" and env["RECONCILER_PROJECT"] == ctx.scope
    assert "ENGINE_ONLY_VAR" not in env
    recorded = {api.address: dict(seen_api.facts), web.address: dict(seen_web.facts)}
    observed = actuator.observe([api, web], recorded, ctx)
    assert {a: o.status for a, o in observed.items()} == {
        api.address: Status.RUNNING, web.address: Status.RUNNING}
    assert observed[api.address].facts["pid"] == seen_api.facts["pid"]
    assert not observed[api.address].adopted


def test_adoption_after_state_loss(actuator: ProcessActuator, ctx: ActuatorContext) -> None:
    api = proc("api", SLEEP)
    seen = create(actuator, api, ctx)
    observed = actuator.observe([], {}, ctx)  # no desired, no state: found by marks alone
    assert observed[api.address].adopted
    assert observed[api.address].facts["pid"] == seen.facts["pid"]
    assert observed[api.address].spec_hash == api.hash()
    again = actuator.apply(change(api, Action.CREATE), api, ctx)  # a crashed apply re-run
    assert again is not None and again.facts["pid"] == seen.facts["pid"]
    assert len(marked_pids(ctx.scope, "process.api")) == 1


def test_recorded_pid_with_wrong_start_time_is_not_ours(actuator: ProcessActuator,
                                                        ctx: ActuatorContext) -> None:
    foreign = subprocess.Popen(SLEEP, start_new_session=True)
    try:
        stat = proc_scan.read_stat(foreign.pid)
        assert stat is not None
        api = proc("api", SLEEP, shutdown_timeout=0.5)
        for start_time in (stat.starttime + 1, stat.starttime):  # reused pid; unmarked pid
            recorded = {api.address: {"pid": foreign.pid, "start_time": start_time,
                                      "spec_hash": api.hash()}}
            seen = actuator.observe([api], recorded, ctx)[api.address]
            assert seen.status is Status.EXITED
            assert actuator.apply(change(api, Action.DELETE), None, ctx) is None
            assert foreign.poll() is None, "a process we did not start was signalled"
    finally:
        foreign.kill()
        foreign.wait()


def test_group_stop_leaves_no_orphans(actuator: ProcessActuator, ctx: ActuatorContext) -> None:
    api = proc("api", ["sh", "-c", "sleep 1000 & sleep 1000 & wait"])
    create(actuator, api, ctx)
    deadline = time.monotonic() + 5
    while len(marked_pids(ctx.scope, "process.api")) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(marked_pids(ctx.scope, "process.api")) == 3
    actuator.apply(change(api, Action.DELETE), api, ctx)
    assert marked_pids(ctx.scope, "process.api") == []


def test_sigterm_ignored_escalates_to_sigkill(actuator: ProcessActuator,
                                              ctx: ActuatorContext) -> None:
    script = "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(1000)"
    api = proc("api", [sys.executable, "-c", script], shutdown_timeout=0.5)
    seen = create(actuator, api, ctx)
    actuator.apply(change(api, Action.DELETE), api, ctx)
    assert not proc_scan.is_same_process(seen.facts["pid"], seen.facts["start_time"])
    events: list[Event] = recorded(ctx)
    assert any("SIGKILL" in e.message for e in events)


def test_custom_stop_signal_is_delivered(actuator: ProcessActuator, ctx: ActuatorContext,
                                         tmp_path: Path) -> None:
    flag = tmp_path / "got-sigint"
    script = ("import signal,sys,time,pathlib\n"
              "def bye(*_):\n"
              f"    pathlib.Path({str(flag)!r}).write_text('int'); sys.exit(0)\n"
              "signal.signal(signal.SIGINT, bye)\n"
              "time.sleep(1000)\n")
    api = proc("api", [sys.executable, "-c", script], stop_signal="SIGINT")
    create(actuator, api, ctx)
    actuator.apply(change(api, Action.DELETE), api, ctx)
    assert flag.read_text() == "int"


def test_early_exit_fails_with_redacted_log_tail(actuator: ProcessActuator,
                                                 ctx: ActuatorContext) -> None:
    api = proc("api", ["sh", "-c", 'echo "boom: pw=$DB_PASSWORD"; exit 3'],
               env={"DB_PASSWORD": marker("topsecret1")}, secrets={"env.DB_PASSWORD": "topsecret1"})
    with pytest.raises(TerminalError) as info:
        actuator.apply(change(api, Action.CREATE), api, ctx)
    assert "exited 3" in info.value.message and "boom: pw=(sensitive)" in info.value.message
    assert "topsecret1" not in info.value.render()


@pytest.mark.parametrize(("command", "cwd", "expected"), [
    (["/nonexistent/binary"], None, "command not found"),
    (["sleep", "1"], "/nonexistent-dir", "working directory"),
    (["{tmp}/not-executable"], None, "permission denied"),
    (["{tmp}/no-shebang"], None, "not an executable program"),
])
def test_spawn_errors_are_terminal(actuator: ProcessActuator, ctx: ActuatorContext,
                                   tmp_path: Path, command: list[str], cwd: str | None,
                                   expected: str) -> None:
    (tmp_path / "not-executable").write_text("#!/bin/sh\n")
    (tmp_path / "not-executable").chmod(0o644)
    (tmp_path / "no-shebang").write_bytes(b"\x00\x01binary")
    (tmp_path / "no-shebang").chmod(0o755)
    command = [part.format(tmp=tmp_path) for part in command]
    with pytest.raises(TerminalError, match=expected):
        actuator.apply(change(proc("api", command, cwd=cwd), Action.CREATE),
                       proc("api", command, cwd=cwd), ctx)


def test_killed_process_is_drift_with_reason(actuator: ProcessActuator,
                                             ctx: ActuatorContext) -> None:
    api = proc("api", SLEEP)
    seen = create(actuator, api, ctx)
    os.kill(seen.facts["pid"], signal.SIGKILL)
    time.sleep(0.2)
    after = actuator.observe([api], {api.address: {**seen.facts, "spec_hash": api.hash()}}, ctx)
    assert after[api.address].status is Status.EXITED
    assert after[api.address].reason == "killed by SIGKILL"


def test_replace_update_and_log_rotation(actuator: ProcessActuator, ctx: ActuatorContext) -> None:
    log = ctx.log_dir / "api.log"
    log.parent.mkdir(parents=True)
    with log.open("wb") as handle:
        handle.truncate(LOG_MAX_BYTES + 1)
    api = proc("api", SLEEP)
    first = create(actuator, api, ctx)
    assert (ctx.log_dir / "api.log.1").stat().st_size == LOG_MAX_BYTES + 1
    updated = actuator.apply(change(api, Action.UPDATE), api, ctx)
    assert updated is not None and updated.facts["pid"] == first.facts["pid"]
    edited = proc("api", ["sleep", "999"])
    second = actuator.apply(change(edited, Action.REPLACE), edited, ctx)
    assert second is not None and second.facts["pid"] != first.facts["pid"]
    assert second.spec_hash == edited.hash()
    assert marked_pids(ctx.scope, "process.api") == [second.facts["pid"]]


def test_task_success_failure_and_timeout(ctx: ActuatorContext, tmp_path: Path) -> None:
    tasks = TaskActuator()
    ok = proc("task:migrate", ["sh", "-c", "echo migrated > done.txt"], cwd=str(tmp_path))
    seen = tasks.apply(change(ok, Action.CREATE), ok, ctx)
    assert seen is not None and seen.status is Status.COMPLETED and seen.facts["exit_code"] == 0
    assert (tmp_path / "done.txt").read_text() == "migrated\n"
    rec = {ok.address: {**seen.facts, "spec_hash": ok.hash(), "status": "completed"}}
    assert tasks.observe([ok], rec, ctx)[ok.address].status is Status.COMPLETED
    assert tasks.observe([ok], {}, ctx) == {}
    bad = proc("task:seed", ["sh", "-c", "echo seeding failed; exit 2"])
    with pytest.raises(TerminalError, match="exit code 2") as info:
        tasks.apply(change(bad, Action.CREATE), bad, ctx)
    assert "seeding failed" in info.value.message
    slow = proc("task:slow", ["sleep", "1000"], startup_timeout=0.5)
    with pytest.raises(TerminalError, match="did not finish"):
        tasks.apply(change(slow, Action.CREATE), slow, ctx)
    assert marked_pids(ctx.scope, "task.slow") == []


def test_runs_as_the_configured_user(actuator: ProcessActuator, ctx: ActuatorContext) -> None:
    if os.geteuid() != 0:
        missing("switching users needs root (the test environment runs as root)")
    seen = create(actuator, proc("api", SLEEP, user="nobody"), ctx)
    status = Path(f"/proc/{seen.facts['pid']}/status").read_text()
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1] == str(pwd.getpwnam("nobody").pw_uid)
    assert environ_of(seen.facts["pid"])["USER"] == "nobody"


def test_local_transport_run_contract() -> None:
    transport = LocalTransport()
    assert transport.run(["sh", "-c", "echo out; echo err >&2; exit 4"]).returncode == 4
    result = transport.run(["sh", "-c", "echo $X"], env={"X": "y", "PATH": "/usr/bin:/bin"})
    assert result.ok and result.stdout == "y\n"
    timed_out = transport.run(["sleep", "30"], timeout=0.3)
    assert timed_out.returncode == 124 and "timed out" in timed_out.stderr
    assert transport.run(["/nonexistent/x"]).returncode == 127
    assert transport.run(["cat"], input=b"abc").stdout == "abc"
