"""`host:` on ordinary process and docker services: validation, addresses, the remote cwd,
and which engine the container actuator picks for a context (no host is contacted here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.container.actuator import engine_of
from reconciler.errors import TerminalError
from reconciler.model.topology import HostSpec
from reconciler.transports.base import CommandResult
from reconciler.transports.docker import engines
from reconciler.transports.ssh import SshTransport

HOSTS = """
hosts:
  h1: {address: 198.18.0.11, user: deploy, port: 2222}
  h2: {address: 198.18.0.12}
"""


def test_process_and_docker_services_take_a_host(run: Any) -> None:
    files = {"services.yaml": HOSTS + """
services:
  worker:
    type: process
    host: h2
    command: sleep 60
  box:
    type: docker
    host: h1
    image: reconciler-test/busybox:1
  nested:
    target: {type: process, host: h1, command: sleep 60, working_dir: /srv/app}
  here:
    command: sleep 60
"""}
    result = run(files)
    assert result.errors == []
    assert result.resource("process.worker@h2").spec["cwd"] == "~"
    assert result.resource("container.box@h1").spec["image"] == "reconciler-test/busybox:1"
    assert result.resource("process.nested@h1").spec["cwd"] == "/srv/app"
    assert result.resource("process.here").spec["cwd"] == str(Path(".").resolve())


def test_a_docker_task_cannot_name_a_host(run: Any) -> None:
    files = {"services.yaml": HOSTS + """
tasks:
  migrate:
    type: docker
    host: h1
    image: reconciler-test/busybox:1
"""}
    errors = run(files).errors
    assert len(errors) == 1, errors
    assert "docker task 'migrate' cannot run on host h1" in errors[0]
    assert errors[0].startswith("services.yaml:")


def test_a_process_task_may_name_a_host(run: Any) -> None:
    files = {"services.yaml": HOSTS + """
tasks:
  seed:
    host: h2
    command: echo seeded
"""}
    result = run(files)
    assert result.errors == []
    assert result.resource("task.seed@h2").spec["cwd"] == "~"


def test_host_is_still_refused_where_it_means_nothing(run: Any) -> None:
    files = {"services.yaml": HOSTS + """
services:
  stack:
    type: compose
    host: h1
"""}
    errors = run(files).errors
    assert any("key 'host' does not apply to a compose service" in e for e in errors), errors


class _Ssh(SshTransport):
    """An SshTransport that is never connected (the engine choice needs none)."""

    def __init__(self, spec: HostSpec):
        super().__init__(spec)


class _Other:
    """A transport of no host type with a Docker engine."""

    host = "elsewhere"
    is_local = False

    def docker_url(self) -> str | None:
        return None


def _ctx(transport: Any, docker_url: str | None = None) -> ActuatorContext:
    return ActuatorContext(project="p", scope="p", state_dir=Path("."), transport=transport,
                           docker_url=docker_url)


def test_engine_of_an_ssh_host_is_its_own_over_ssh() -> None:
    h1 = _Ssh(HostSpec(name="h1", address="198.18.0.11", user="deploy", port=2222))
    assert engine_of(_ctx(h1)) == engines.Engine("h1", "ssh://deploy@198.18.0.11:2222", False)
    h2 = _Ssh(HostSpec(name="h2", address="198.18.0.12"))
    assert engine_of(_ctx(h2, docker_url="tcp://127.0.0.1:2375")).url == "ssh://198.18.0.12:22"


def test_engine_of_a_transport_that_is_not_ssh_is_an_error() -> None:
    with pytest.raises(TerminalError, match="no Docker engine for host elsewhere"):
        engine_of(_ctx(_Other()))


class _Refusing(_Ssh):
    """An SSH host whose channels fail at once; ``exec`` answers like the host would."""

    def __init__(self, spec: HostSpec, answer: CommandResult):
        super().__init__(spec)
        self.answer = answer
        self.sent: list[str] = []

    def connect(self) -> None:
        return None

    def close(self) -> None:
        return None

    def link(self) -> Any:
        raise OSError("channel open failed")

    def exec(self, command: str, **_: Any) -> CommandResult:
        self.sent.append(command)
        return self.answer


@pytest.mark.parametrize(("answer", "needle"), [
    (CommandResult(127, "", "sh: docker: not found"), "has no docker command"),
    (CommandResult(1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."
                          " Is the docker daemon running?"),
     "cannot reach the Docker engine of host h1 (ssh://198.18.0.11:22): Cannot connect"),
])
def test_an_unusable_remote_engine_is_one_clear_error(answer: CommandResult,
                                                      needle: str) -> None:
    host = _Refusing(HostSpec(name="h1", address="198.18.0.11"), answer)
    with pytest.raises(TerminalError) as caught:
        engines.connect_over(host)
    assert needle in str(caught.value) and caught.value.hint
    assert host.sent == ["docker version --format '{{.Server.APIVersion}}'"]
