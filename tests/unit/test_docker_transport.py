"""The Docker engine as a transport: engine identity, clients by host type, one client per
engine, and no docker SDK import for what needs no engine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import TerminalError, TransportError
from reconciler.model.topology import HostSpec
from reconciler.transports.docker import engines
from reconciler.transports.local import LocalTransport
from reconciler.transports.ssh import SshTransport

ROOT = Path(__file__).resolve().parents[2]


class _Client:
    def __init__(self, name: str):
        self.name, self.closed, self.api = name, False, object()

    def close(self) -> None:
        self.closed = True


class _Remote:
    """A remote transport that is not SSH (a host type without an engine client)."""

    host = "elsewhere"
    is_local = False

    def docker_url(self) -> str | None:
        return "ssh://198.18.0.30:22"


def test_the_engine_of_a_transport_is_its_identity() -> None:
    local = LocalTransport()
    assert engines.engine_of(local) == engines.Engine("local", None, True)
    assert engines.engine_of(local).key == "local"
    assert engines.engine_of(local, "tcp://127.0.0.1:2375").key == "tcp://127.0.0.1:2375"
    ssh = SshTransport(HostSpec("h1", "198.18.0.11", user="deploy"))
    assert engines.engine_of(ssh, "tcp://127.0.0.1:2375") == engines.Engine(
        "h1", "ssh://deploy@198.18.0.11:22", False)


def test_every_kind_of_place_has_a_client_opener() -> None:
    assert sorted(engines.OPENERS) == ["local", "ssh"]


def test_a_remote_transport_that_is_not_ssh_gets_no_client_by_accident() -> None:
    remote = _Remote()
    engine = engines.engine_of(remote)  # type: ignore[arg-type]
    with pytest.raises(TransportError, match="its transport is a _Remote"):
        engines.open_client(remote, engine)  # type: ignore[arg-type]


def test_an_unknown_host_type_has_no_engine_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "host_type", lambda host: "swarm")
    with pytest.raises(TransportError, match="no Docker engine client for host type 'swarm'"):
        engines.open_client(LocalTransport(), engines.Engine("local", None, True))


def test_a_remote_engine_client_is_reopened_per_run_and_the_old_one_closed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[_Client] = []

    def opener(transport: Any, engine: engines.Engine) -> _Client:
        made.append(_Client(engine.key))
        return made[-1]

    monkeypatch.setitem(engines.OPENERS, "ssh", opener)
    pool = engines.DockerEngines()
    first, second = (SshTransport(HostSpec("h1", "198.18.0.11")) for _ in range(2))
    engine = engines.engine_of(first)
    assert pool.client(first, engine) is pool.client(first, engine) is made[0]
    assert pool.client(second, engine) is made[1]  # a new run's transport: a new client
    assert made[0].closed and not made[1].closed
    assert pool.read_api(second, engine) is made[1].api  # no socket shortcut off this machine


def test_a_local_engine_client_is_made_once_by_the_factory() -> None:
    urls: list[str | None] = []

    def factory(url: str | None) -> _Client:
        urls.append(url)
        return _Client(str(url))

    pool = engines.DockerEngines(client_factory=factory)
    engine = engines.engine_of(LocalTransport(), "tcp://127.0.0.1:2375")
    assert pool.client(LocalTransport(), engine) is pool.client(LocalTransport(), engine)
    assert urls == ["tcp://127.0.0.1:2375"]


def test_an_ssh_host_without_an_engine_url_is_a_clear_error() -> None:
    class _NoEngine(_Remote):
        def docker_url(self) -> str | None:
            return None

    with pytest.raises(TerminalError, match="no Docker engine for host elsewhere"):
        engines.engine_of(_NoEngine())  # type: ignore[arg-type]


@pytest.mark.parametrize("module", [
    "reconciler.transports.docker", "reconciler.transports.docker.engines",
    "reconciler.transports.docker.errors", "reconciler.transports.docker.images",
    "reconciler.transports.docker.socket", "reconciler.transports.docker.calls",
    "reconciler.actuators.compose.actuator", "reconciler.actuators.container.actuator",
])
def test_importing_the_engine_layer_does_not_import_docker(module: str) -> None:
    code = f"import sys, {module}; sys.exit(1 if 'docker' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


PROBE = """\
import runpy, sys
sys.argv = ["reconciler", *sys.argv[1:]]
try:
    runpy.run_module("reconciler", run_name="__main__")
except SystemExit as done:
    assert not done.code, done.code
print(sorted(m for m in sys.modules if m.split(".")[0] == "docker"
             or m.startswith("reconciler.transports.docker")), file=sys.stderr)
"""


@pytest.mark.parametrize("command", [("validate",), ("plan", "--refresh=false"), ("plan",)])
def test_validate_and_plan_of_local_processes_never_import_docker(
        command: tuple[str, ...], tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", project,
                    ignore=shutil.ignore_patterns(".reconciler"))
    done = subprocess.run([sys.executable, "-c", PROBE, "-C", str(project), "--state-dir",
                           str(tmp_path / "state"), *command], capture_output=True, text=True,
                          timeout=60, check=False, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
