"""Swarm services through the CLI on a REAL three-node swarm (1 manager, 2 workers).

Each node is a dockerd of its own in a namespace host (the `swarm` fixture); the project's
`clusters:` points at the manager's socket. Shown: create (all replicas running, one per node:
a host-mode published port keeps two tasks off one node), plan after apply is empty, an env
change rolls the same service (its id stays) to tasks that all carry the new value, scaling
1 -> 3, a service scaled by hand showing as drift, a command the image lacks failing the
apply with the tasks' own errors (and destroy finding that never-recorded service on its
cluster), and destroy leaving no service, task or network of ours on the swarm. The CLI calls
are bounded (infra.cli: 180 s each) and the rollouts by `startup_timeout`.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
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
    init: true
    env: {{GREETING: {greeting}}}
    replicas: {replicas}
    ports: ["18080:80"]
    publish_mode: host
    update: {{parallelism: 1, delay: 0, order: stop-first}}
    startup_timeout: 120
"""


def write(project: Path, swarm: SwarmLab, *, greeting: str = "hello", replicas: int = 3) -> None:
    (project / "services.yaml").write_text(SERVICES.format(
        project=project.name, docker_host=swarm.manager.docker_host, image=BUSYBOX_IMAGE,
        greeting=greeting, replicas=replicas))


def test_create_noop_roll_and_destroy(swarm: SwarmLab, manager_api: Any,
                                      swarm_project: SwarmProject) -> None:
    directory, cli, scope = swarm_project.directory, swarm_project.cli, swarm_project.scope
    write(directory, swarm)
    cli("apply", "--auto-approve")
    [service] = ours(manager_api, scope)
    tasks = running_tasks(manager_api, service["ID"])
    assert len(tasks) == 3
    assert len({t["NodeID"] for t in tasks}) == 3  # one per node
    for node in swarm.nodes:  # host mode: each node answers on its own address
        with urllib.request.urlopen(f"http://{node.address}:18080/", timeout=10) as answer:
            assert b"reconciler-test busybox" in answer.read()

    cli("plan", "--detailed-exitcode")  # exit 0: nothing to change

    write(directory, swarm, greeting="bonjour")
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "swarm_service.web" in plan and "GREETING" in plan
    cli("apply", "--auto-approve")
    [rolled] = ours(manager_api, scope)
    assert rolled["ID"] == service["ID"]  # updated in place: the service rolled
    assert rolled["UpdateStatus"]["State"] == "completed"
    tasks = running_tasks(manager_api, rolled["ID"])
    assert len(tasks) == 3
    assert all("GREETING=bonjour" in t["Spec"]["ContainerSpec"]["Env"] for t in tasks)
    cli("plan", "--detailed-exitcode")

    cli("destroy", "--auto-approve")
    assert ours(manager_api, scope) == []
    assert [t for t in manager_api.tasks() if t["ServiceID"] == service["ID"]] == []
    assert manager_api.networks(filters={"label": f"io.reconciler.scope={scope}"}) == []


def test_scale_one_to_three(swarm: SwarmLab, manager_api: Any,
                            swarm_project: SwarmProject) -> None:
    directory, cli, scope = swarm_project.directory, swarm_project.cli, swarm_project.scope
    write(directory, swarm, replicas=1)
    cli("apply", "--auto-approve")
    [service] = ours(manager_api, scope)
    assert len(running_tasks(manager_api, service["ID"])) == 1

    write(directory, swarm, replicas=3)
    cli("apply", "--auto-approve")
    [scaled] = ours(manager_api, scope)
    assert scaled["ID"] == service["ID"]
    assert scaled["Spec"]["Mode"]["Replicated"]["Replicas"] == 3
    tasks = running_tasks(manager_api, scaled["ID"])
    assert len({t["NodeID"] for t in tasks}) == 3
    cli("plan", "--detailed-exitcode")

    swarm.manager.docker("service", "scale", "--detach", f"{scaled['Spec']['Name']}=1")
    drift = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "scaled by hand to 1 (want 3)" in drift
    cli("destroy", "--auto-approve")
    assert ours(manager_api, scope) == []


def test_a_rollout_that_cannot_converge_fails_with_the_task_errors(
        swarm: SwarmLab, manager_api: Any, swarm_project: SwarmProject) -> None:
    directory, cli, scope = swarm_project.directory, swarm_project.cli, swarm_project.scope
    (directory / "services.yaml").write_text(
        f"name: {directory.name}\nclusters:\n  lab: {{type: swarm, docker_host: "
        f"'{swarm.manager.docker_host}'}}\nservices:\n  bad:\n    type: docker\n"
        f"    cluster: lab\n    image: {BUSYBOX_IMAGE}\n    command: [/no/such/binary]\n"
        "    restart: 'no'\n    startup_timeout: 15\n")
    failed = cli("apply", "--auto-approve", expect=1)
    output = failed.stdout + failed.stderr
    assert "did not converge within 15 s: 0/1 tasks running" in output
    # the task's own error, as the node that ran it reported it
    assert ": failed: " in output and "/no/such/binary" in output, output
    cli("destroy", "--auto-approve")
    assert ours(manager_api, scope) == []
