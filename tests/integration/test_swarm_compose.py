"""A Compose file deployed to a REAL three-node swarm (``type: compose`` with ``cluster:``).

As ``docker stack deploy -c compose.yaml`` would: each Compose service becomes a swarm service
``<scope>_<entry>_<service>`` with its ``deploy.replicas``, on the stack's default overlay
network. Shown: apply (in ``depends_on`` order; every service running its replicas), plan
after apply is empty, a changed replica count updates that service only (the other keeps its
id and version), and destroy leaves no service or network of ours on the swarm.
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
  shop:
    type: compose
    cluster: lab
    files: [compose.yaml]
"""
COMPOSE = """\
services:
  web:
    image: {image}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    init: true
    environment: {{GREETING: hello}}
    deploy:
      replicas: {replicas}
      update_config: {{parallelism: 1, delay: 0s}}
    depends_on: [worker]
  worker:
    image: {image}
    command: ["sleep", "86400"]
    init: true
    deploy:
      replicas: 2
      placement:
        constraints: [node.role==worker]
"""


def write(swarm_project: SwarmProject, swarm: SwarmLab, replicas: int) -> None:
    directory = swarm_project.directory
    (directory / "services.yaml").write_text(SERVICES.format(
        project=directory.name, docker_host=swarm.manager.docker_host))
    (directory / "compose.yaml").write_text(COMPOSE.format(image=BUSYBOX_IMAGE,
                                                           replicas=replicas))


def by_name(api: Any, scope: str) -> dict[str, dict[str, Any]]:
    return {s["Spec"]["Name"]: s for s in ours(api, scope)}


def test_compose_file_on_the_swarm(swarm: SwarmLab, manager_api: Any,
                                   swarm_project: SwarmProject) -> None:
    cli, scope = swarm_project.cli, swarm_project.scope
    write(swarm_project, swarm, replicas=3)
    applied = cli("apply", "--auto-approve").stdout
    # depends_on: [worker] orders the apply: web starts once worker's rollout converged
    assert applied.index("swarm_service.shop.worker: Creation complete") < \
        applied.index("swarm_service.shop.web: Creating")
    services = by_name(manager_api, scope)
    web, worker = services[f"{scope}_shop_web"], services[f"{scope}_shop_worker"]
    assert len(services) == 2
    assert len(running_tasks(manager_api, web["ID"])) == 3
    worker_tasks = running_tasks(manager_api, worker["ID"])
    assert len(worker_tasks) == 2
    manager = {n["ID"] for n in manager_api.nodes() if n["Spec"]["Role"] == "manager"}
    assert not {t["NodeID"] for t in worker_tasks} & manager
    [network] = web["Spec"]["TaskTemplate"]["Networks"]
    assert network["Aliases"] == ["web"]  # found by its Compose name on the stack network

    cli("plan", "--detailed-exitcode")  # exit 0: nothing to change

    write(swarm_project, swarm, replicas=1)
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "swarm_service.shop.web" in plan and "swarm_service.shop.worker" not in plan
    assert "1 to change" in plan
    cli("apply", "--auto-approve")
    after = by_name(manager_api, scope)
    assert after[f"{scope}_shop_web"]["ID"] == web["ID"]
    assert after[f"{scope}_shop_web"]["Spec"]["Mode"]["Replicated"]["Replicas"] == 1
    assert after[f"{scope}_shop_worker"]["Version"] == worker["Version"]  # untouched
    cli("plan", "--detailed-exitcode")

    cli("destroy", "--auto-approve")
    assert ours(manager_api, scope) == []
    gone = {web["ID"], worker["ID"]}
    assert [t for t in manager_api.tasks() if t["ServiceID"] in gone] == []
    assert manager_api.networks(filters={"label": f"io.reconciler.scope={scope}"}) == []
