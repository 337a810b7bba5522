"""After ``rm -rf .reconciler`` every ``port: auto`` service keeps its published port.

The recorded allocations are gone with the state, so the allocator would pick fresh ports
(the old ones are taken by the running services) and apply would replace the container onto
a new published port. Instead the engine asks each kind for the ports its owner marks carry
(reconciler/engine/ports.py ``readopt``): the container's ``io.reconciler.port`` label, the
process's ``$PORT``. Plan shows no replace; apply keeps the container id and both ports.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.cli import Cli, kill_scope
from infra.docker_env import DockerCleanup, unique_name

SERVICES = """\
name: readopt
services:
  box:
    type: docker
    image: {image}
    command: ["sh", "-c", "mkdir -p /w && echo hello > /w/index.html && exec httpd -f -p 80 -h /w"]
    ports: [80]
    port: auto
    shutdown_timeout: 1
    health_check: {{http: "http://127.0.0.1:${{box.port}}/", interval: 0.2, start_period: 10}}
  api:
    command: "exec {python} -m http.server ${{api.port}} --bind 127.0.0.1"
    port: auto
    shutdown_timeout: 2
    health_check: {{http: "http://127.0.0.1:${{api.port}}/", interval: 0.2, start_period: 10}}
"""


@pytest.fixture
def project(tmp_path: Path, busybox_image: str, docker_cleanup: DockerCleanup,
            docker_client: Any) -> Iterator[tuple[Cli, str]]:
    (tmp_path / "services.yaml").write_text(SERVICES.format(image=busybox_image,
                                                            python=sys.executable))
    cli = Cli(tmp_path, unique_name("ro"))
    scope = f"readopt_{cli.session}"
    yield cli, scope
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(scope)
    for container in docker_client.containers.list(
            all=True, filters={"label": f"io.reconciler.scope={scope}"}):
        docker_cleanup.container(container.id)
    for network in docker_client.networks.list(names=[scope]):
        docker_cleanup.network(network.id)


def _container(docker_client: Any, scope: str) -> tuple[str, int, dict[str, str]]:
    """The scope's one container: id, published host port, labels."""
    [box] = docker_client.containers.list(all=True,
                                          filters={"label": f"io.reconciler.scope={scope}"})
    box.reload()
    bindings = box.attrs["NetworkSettings"]["Ports"]["80/tcp"]
    return box.id, int(bindings[0]["HostPort"]), dict(box.labels)


def _ports(cli: Cli) -> dict[str, int]:
    status = json.loads(cli("status", "--json").stdout)
    return {r["name"]: r["port"] for r in status["resources"]}


def test_rm_rf_state_keeps_container_and_process_ports(project: tuple[Cli, str],
                                                       docker_client: Any) -> None:
    cli, scope = project
    cli("apply", "--auto-approve")
    box_id, box_port, labels = _container(docker_client, scope)
    assert labels["io.reconciler.port"] == str(box_port)
    pids = cli.owned(scope)
    ports = _ports(cli)
    assert ports["box"] == box_port, ports

    shutil.rmtree(cli.project / ".reconciler")
    plan = cli("plan", expect=None).stdout
    assert "-/+" not in plan and "will be replaced" not in plan, plan
    assert "will be created" not in plan, plan

    cli("apply", "--auto-approve")
    assert _container(docker_client, scope)[:2] == (box_id, box_port)
    assert cli.owned(scope) == pids  # the process was not restarted either
    assert _ports(cli) == ports
    assert cli("plan", "--detailed-exitcode").returncode == 0

