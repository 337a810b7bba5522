"""``reconciler status`` on a REAL three-node swarm: per swarm service, desired and running
tasks and the nodes they run on (named by hostname@address: the fixture's engines share the
machine's hostname), in the table and in --json; a service scaled by hand shows its reason."""

from __future__ import annotations

import json
from typing import Any

from infra.cli import Cli
from infra.docker_env import BUSYBOX_IMAGE
from infra.swarm import SwarmLab
from infra.swarm_project import SwarmProject

SERVICES = """\
name: {project}
clusters:
  lab: {{type: swarm, docker_host: "{docker_host}"}}
services:
  web:
    type: docker
    cluster: lab
    image: {image}
    command: ["httpd", "-f", "-p", "80", "-h", "/"]
    init: true
    replicas: 3
    ports: ["18081:80"]
    publish_mode: host
    startup_timeout: 120
"""


def swarm_row(cli: Cli) -> dict[str, Any]:
    rows = json.loads(cli("status", "--json").stdout)["resources"]
    [row] = [r for r in rows if r["kind"] == "swarm_service"]
    assert isinstance(row, dict)
    return row


def test_status_shows_tasks_and_nodes(swarm: SwarmLab, swarm_project: SwarmProject) -> None:
    cli, scope = swarm_project.cli, swarm_project.scope
    swarm_project.write(SERVICES.format(project=swarm_project.directory.name,
                                        docker_host=swarm.manager.docker_host,
                                        image=BUSYBOX_IMAGE))
    cli("apply", "--auto-approve")
    row = swarm_row(cli)
    assert (row["address"], row["state"], row["replicas"], row["running"]) == (
        "swarm_service.web", "running", 3, 3)
    hostnames = {n.docker("info", "--format", "{{.Name}}").strip() for n in swarm.nodes}
    assert len(hostnames) == 1  # one machine: the nodes are told apart by their address
    host = hostnames.pop()
    assert row["nodes"] == sorted(f"{host}@{n.address}" for n in swarm.nodes)
    table = cli("status").stdout
    assert "swarm_service.web" in table and "3/3 tasks on " in table
    assert all(n.address in table for n in swarm.nodes)

    swarm.manager.docker("service", "scale", f"{scope}_web=1")  # waits for convergence
    row = swarm_row(cli)
    assert (row["replicas"], row["running"], len(row["nodes"])) == (1, 1, 1)
    assert row["detail"] == "scaled by hand to 1 (want 3)"

    cli("destroy", "--auto-approve")
    assert swarm_row(cli)["state"] == "absent"
