"""Docker keys of a cluster service reach a REAL swarm (the `swarm` fixture), or are refused.

`cpus`/`memory` show as the service's resource limits in `docker service inspect`, the
`health_check` as its container Healthcheck (and the task's container, on whichever node runs
it, is healthy once apply returns: swarm reports a task running only after its check passed),
`networks` as an overlay network created for the scope and removed with the last service on
destroy; plan after apply is empty. A bind mount is refused by plan with its file:line:col,
before anything reaches the swarm.
"""

from __future__ import annotations

from typing import Any

from infra.docker_env import BUSYBOX_IMAGE
from infra.swarm import SwarmLab
from infra.swarm_project import SwarmProject, ours, running_tasks

SERVICES = """\
name: {project}
clusters:
  lab: {{type: swarm, docker_host: "{docker_host}"}}
services:
  web:
    type: docker
    cluster: lab
    image: {image}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    cpus: 0.25
    memory: 64m
    networks: [{network}]
    health_check: {{http: "http://127.0.0.1:80/", interval: 1, timeout: 2, retries: 3}}
    startup_timeout: 120
"""


def test_limits_health_check_and_network_reach_the_swarm(
        swarm: SwarmLab, manager_api: Any, swarm_project: SwarmProject) -> None:
    directory, cli, scope = swarm_project.directory, swarm_project.cli, swarm_project.scope
    network = f"{scope}_backend"
    swarm_project.write(SERVICES.format(project=directory.name, image=BUSYBOX_IMAGE,
                                        docker_host=swarm.manager.docker_host, network=network))
    try:
        cli("apply", "--auto-approve")
        [service] = ours(manager_api, scope)
        template = manager_api.inspect_service(service["ID"])["Spec"]["TaskTemplate"]
        assert template["Resources"]["Limits"] == {"NanoCPUs": 250_000_000,
                                                   "MemoryBytes": 64 * 1024**2}
        check = template["ContainerSpec"]["Healthcheck"]
        assert check["Test"][0] == "CMD-SHELL" and "http://127.0.0.1:80/" in check["Test"][1]
        assert (check["Interval"], check["Timeout"], check["Retries"]) == (
            1_000_000_000, 2_000_000_000, 3)
        [created] = manager_api.networks(names=[network])
        assert created["Driver"] == "overlay"
        assert [a["Target"] for a in template["Networks"]] == [created["Id"]]
        [task] = running_tasks(manager_api, service["ID"])
        [node] = [n for n in swarm.nodes if swarm.node_id(n) == task["NodeID"]]
        container = task["Status"]["ContainerStatus"]["ContainerID"]
        assert node.docker("inspect", "--format", "{{.State.Health.Status}}",
                           container).strip() == "healthy"
        cli("plan", "--detailed-exitcode")  # exit 0: the spec is stable

        cli("destroy", "--auto-approve")
        assert ours(manager_api, scope) == []
        assert manager_api.networks(filters={"label": f"io.reconciler.scope={scope}"}) == []
    finally:
        for left in manager_api.networks(filters={"label": f"io.reconciler.scope={scope}"}):
            manager_api.remove_network(left["Id"])


def test_a_bind_mount_is_refused_on_a_cluster(
        swarm: SwarmLab, manager_api: Any, swarm_project: SwarmProject) -> None:
    directory, cli, scope = swarm_project.directory, swarm_project.cli, swarm_project.scope
    swarm_project.write(
        f"name: {directory.name}\nclusters:\n  lab: {{type: swarm, docker_host: "
        f"'{swarm.manager.docker_host}'}}\nservices:\n  web:\n    type: docker\n"
        f"    cluster: lab\n    image: {BUSYBOX_IMAGE}\n    volumes: ['./data:/data']\n")
    refused = cli("plan", expect=1)
    output = refused.stdout + refused.stderr
    assert "services.yaml:9:" in output and "is a bind mount" in output, output
    assert "hint: use a named volume" in output
    assert ours(manager_api, scope) == []
