"""Rollouts of a swarm service on a REAL three-node swarm: zero downtime, rollback, --replace.

Zero downtime, honestly, with host-mode ports (this kernel has no ip_vs: no routing mesh):
there is no single address that always answers, so the test client is one that knows every
node (`NodeProber`: each request tried on the nodes in turn, the next node first). Two replicas
with `max_replicas_per_node: 1` on three nodes leave one node free, so `order: start-first`
starts each new task on a free node before it stops an old one (two tasks cannot hold one host
port on one node). The claim shown: during the whole apply, no request went unanswered by
every node. A bad image with `failure_action: rollback` fails the apply with the task errors,
the swarm rolls back to the previous spec which keeps serving, and the next plan shows the
change again. `--replace` redeploys the same spec (ForceUpdate): new tasks, same service.
"""

from __future__ import annotations

from typing import Any

from infra.docker_env import BUSYBOX_IMAGE
from infra.swarm import SwarmLab
from infra.swarm_project import NodeProber, SwarmProject, ours, running_tasks

PORT = 18081
SERVICES = """\
name: {name}
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
    replicas: 2
    max_replicas_per_node: 1
    ports: ["{port}:80"]
    publish_mode: host
    update: {{parallelism: 1, delay: 0, order: start-first, failure_action: rollback}}
    startup_timeout: 120
"""


def write(project: SwarmProject, swarm: SwarmLab, *, greeting: str = "hello",
          image: str = BUSYBOX_IMAGE) -> None:
    project.write(SERVICES.format(name=project.directory.name, port=PORT, image=image,
                                  docker_host=swarm.manager.docker_host, greeting=greeting))


def envs(api: Any, service_id: str) -> list[list[str]]:
    return [t["Spec"]["ContainerSpec"]["Env"] for t in running_tasks(api, service_id)]


def test_start_first_rollout_answers_every_request(
        swarm: SwarmLab, manager_api: Any, swarm_project: SwarmProject) -> None:
    cli = swarm_project.cli
    write(swarm_project, swarm)
    cli("apply", "--auto-approve")
    [service] = ours(manager_api, swarm_project.scope)
    assert service["Spec"]["TaskTemplate"]["Placement"]["MaxReplicas"] == 1
    tasks = running_tasks(manager_api, service["ID"])
    assert len({t["NodeID"] for t in tasks}) == 2

    write(swarm_project, swarm, greeting="bonjour")
    prober = NodeProber([node.address for node in swarm.nodes], PORT).start()
    try:
        cli("apply", "--auto-approve")
    finally:
        prober.stop()
    assert prober.failed == []
    assert prober.answered > 0
    assert envs(manager_api, service["ID"]) == [["GREETING=bonjour"]] * 2
    cli("plan", "--detailed-exitcode")
    cli("destroy", "--auto-approve")
    assert ours(manager_api, swarm_project.scope) == []


def test_a_bad_image_rolls_back_and_keeps_serving(
        swarm: SwarmLab, manager_api: Any, swarm_project: SwarmProject) -> None:
    cli = swarm_project.cli
    write(swarm_project, swarm)
    cli("apply", "--auto-approve")
    [service] = ours(manager_api, swarm_project.scope)

    missing = "reconciler-test/no-such-image:1"  # no node has it, and no registry answers
    write(swarm_project, swarm, image=missing, greeting="bonjour")
    prober = NodeProber([node.address for node in swarm.nodes], PORT).start()
    try:
        failed = cli("apply", "--auto-approve", expect=1)
    finally:
        prober.stop()
    output = failed.stdout + failed.stderr
    assert "rolled back to the previous spec" in output, output
    assert "task errors:" in output and missing in output, output
    assert prober.failed == []  # the old tasks served all along
    [back] = ours(manager_api, swarm_project.scope)
    assert back["ID"] == service["ID"]
    assert back["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith(BUSYBOX_IMAGE)
    assert envs(manager_api, service["ID"]) == [["GREETING=hello"]] * 2

    again = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "swarm_service.web" in again and missing in again, again
    cli("destroy", "--auto-approve")
    assert ours(manager_api, swarm_project.scope) == []


def test_replace_redeploys_the_same_spec(
        swarm: SwarmLab, manager_api: Any, swarm_project: SwarmProject) -> None:
    cli = swarm_project.cli
    write(swarm_project, swarm)
    cli("apply", "--auto-approve")
    [service] = ours(manager_api, swarm_project.scope)
    before = {t["ID"] for t in running_tasks(manager_api, service["ID"])}

    cli("apply", "--auto-approve", "--replace", "swarm_service.web")
    [again] = ours(manager_api, swarm_project.scope)
    assert again["ID"] == service["ID"]
    assert again["Spec"]["TaskTemplate"]["ForceUpdate"] == 1
    after = {t["ID"] for t in running_tasks(manager_api, service["ID"])}
    assert len(after) == 2 and not after & before  # every task was replaced
    cli("plan", "--detailed-exitcode")
    cli("destroy", "--auto-approve")
    assert ours(manager_api, swarm_project.scope) == []
