"""Observe batching (reconciler/transports/batch.py): on a remote host the first command of
every batchable kind's observe goes out as ONE round trip, with the same answers."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from reconciler.actuators.base import ActuatorContext
from reconciler.engine import observe
from reconciler.model.types import Address, DesiredState, Resource
from reconciler.transports.base import CommandResult
from reconciler.transports.batch import Call, batch_script, parse_batch, run_batch
from reconciler.transports.ssh_command import command_line

SCOPE = "batchtest-no-such-scope"


class ShellHost:
    """A stand-in remote host: every command runs through this machine's sh, counted."""

    is_local = False

    def __init__(self, host: str):
        self.host = host
        self.round_trips = 0

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: str | None = None, input: bytes | None = None,
            timeout: float | None = None) -> CommandResult:
        command, stdin = command_line(argv, env=env, cwd=cwd, input=input)
        return self._exec(command, stdin)

    def run_script(self, script: str, *, timeout: float | None = None) -> CommandResult:
        return self._exec("sh -s", script.encode())

    def _exec(self, command: str, stdin: bytes | None) -> CommandResult:
        self.round_trips += 1
        done = subprocess.run(["sh", "-c", command], input=stdin or b"", capture_output=True,
                              timeout=60)
        return CommandResult(done.returncode, done.stdout.decode(), done.stderr.decode())

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | None,
              log_path: str, user: str | None = None) -> int:
        raise AssertionError("observe never starts anything")

    def read_file(self, path: str) -> bytes | None:
        raise AssertionError("not used by these kinds' observe")

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        raise AssertionError("observe never writes")

    def docker_url(self) -> str | None:
        return None

    def wrap(self, command: str) -> str:
        return command

    def exit_code(self, pid: int) -> int | None:
        return None

    def reap(self) -> None:
        return None

    def close(self) -> None:
        return None


def _observe_noop(tmp_path: Path, hosts: dict[str, ShellHost]) -> dict[Address, object]:
    resources: dict[Address, Resource] = {}
    for name in hosts:
        path = tmp_path / name / "app"
        (path / "releases" / "r1").mkdir(parents=True, exist_ok=True)
        if not (path / "current").is_symlink():
            (path / "current").symlink_to("releases/r1")
        (path / ".reconciler-package.json").write_text(json.dumps(
            {"scope": SCOPE, "address": f"package.app@{name}", "release": "r1",
             "version": "1", "content_hash": "c1", "spec_hash": "s1"}) + "\n")
        for resource in (
                Resource(Address("package", "app", name),
                         {"package": "/pkg", "version": "1", "install_path": str(path),
                          "content_hash": ""}),
                Resource(Address("process", "worker", name), {"command": ["sleep", "1"]})):
            resources[resource.address] = resource
    desired = DesiredState("batchtest", resources)

    def context_for(address: Address) -> ActuatorContext:
        return ActuatorContext(project="batchtest", scope=SCOPE,
                               state_dir=tmp_path / ".reconciler",
                               transport=hosts[address.host])

    seen = observe.snapshot(desired, {}, context_for)
    return {a: (o.status, o.facts) for a, o in seen.items()}


def test_a_noop_observe_is_one_round_trip_per_host(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hosts = {f"h{i}": ShellHost(f"h{i}") for i in range(3)}
    batched = _observe_noop(tmp_path, hosts)
    assert {h: t.round_trips for h, t in hosts.items()} == {"h0": 1, "h1": 1, "h2": 1}
    assert {a.kind for a in batched} == {"package"}  # no process runs in that scope
    # the very same answers as every kind asking on its own (one round trip per kind)
    monkeypatch.setattr(observe, "batch_units", lambda keys: [[key] for key in keys])
    alone = {name: ShellHost(name) for name in hosts}
    assert _observe_noop(tmp_path, alone) == batched
    assert {h: t.round_trips for h, t in alone.items()} == {"h0": 2, "h1": 2, "h2": 2}


def test_batch_keeps_each_commands_stdout_stderr_exit_code_and_stdin() -> None:
    calls = [Call("printf 'no newline'; echo oops >&2; exit 3", None, 5.0),
             Call("sh -s", b"x=stdin; echo \"got $x\"\n", 5.0),
             Call("cat", b"line1\n\nline3\n", None)]
    host = ShellHost("h")
    answers = run_batch(host, calls)
    assert host.round_trips == 1
    assert answers == [CommandResult(3, "no newline", "oops\n"),
                       CommandResult(0, "got stdin\n", ""),
                       CommandResult(0, "line1\n\nline3\n", "")]


def test_stdin_that_cannot_travel_in_a_here_document_is_not_batched() -> None:
    assert batch_script([Call("cat", b"\xff\n", None)], "@@m") is None
    assert batch_script([Call("cat", b"no newline", None)], "@@m") is None
    assert parse_batch("garbage", 1, "@@m") is None
