"""A remote process on ``port: auto`` keeps its port after the state is lost.

The allocator only knows which ports are free HERE; after ``rm -rf .reconciler`` it would
pick the old port again only by luck (the same start position, still free locally). Here a
local listener has taken that port meanwhile, so the old code moved the service to a new
port and restarted it on the host; the engine now reads the ``PORT`` mark through the same
remote scan observe makes (reconciler/actuators/process/ports.py) and keeps both.

(The lab's hosts are network namespaces of this machine, so a local /proc scan sees their
processes too, and the old local-only re-adoption got this case right by accident; the test
therefore also asks the process kind's hook directly, through the host's transport.)
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.netns_hosts import SshHost
from test_ssh_remote import actions, apply, destroyed_after, write_project

from reconciler.actuators.process.actuator import ProcessActuator
from reconciler.engine.project import Project
from reconciler.model.types import Address

SERVICES = """\
  api:
    type: remote
    host: {host}
    command: exec python3 -m http.server ${{api.port}}
    port: auto
    shutdown_timeout: 2
"""


@pytest.fixture
def project_dir(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    with destroyed_after(tmp_path, "rpa") as found:
        yield found


def _seen(project: Project, address: Address) -> tuple[int, int]:
    """(pid, port) of the running remote process, as observe reads them on the host."""
    run = project.plan(record=False)
    facts = run.observed[address].facts
    return int(facts["pid"]), int(facts["port"])


def test_remote_process_keeps_its_port_after_state_loss(
        ssh_hosts: Callable[[int], list[SshHost]], project_dir: tuple[Path, str]) -> None:
    [host] = ssh_hosts(1)
    directory, _ = project_dir
    write_project(directory, directory.name, [host], SERVICES.format(host=host.name))
    address = Address("process", "api", host.name)
    first = Project(directory)
    try:
        _, result = apply(first)
        assert result.ok
        pid, port = _seen(first, address)
    finally:
        first.transports.close()

    shutil.rmtree(directory / ".reconciler")
    with socket.socket() as squatter:  # the old port is taken here now
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        again = Project(directory)
        try:
            run, result = apply(again)
            assert actions(run).get(str(address)) in (None, "no-op"), actions(run)
            assert result.ok
            assert _seen(again, address) == (pid, port)
            hook = ProcessActuator().owned_ports(again.context_for(address))
            assert hook == {str(address): port}, hook
        finally:
            again.transports.close()
