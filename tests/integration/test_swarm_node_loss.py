"""A worker of a REAL three-node swarm crashes (its dockerd SIGKILLed by pid).

In a module of its own: the crashed node stays down, so this module's `swarm` (module-scoped,
its own three dockerd instances) serves no other test, and its teardown removes the dead
node's leftovers by pid like the others. Shown: once the manager sees the node down, the
tasks it ran are rescheduled onto the remaining nodes; a service that cannot place all its
tasks on what is left (one task per node, three replicas, two nodes) plans an update with the
reason (`2/3 tasks running`, the scheduler's own message, and `node ID (host) down`), scaling
it to what the cluster can hold converges and plans clean again, and destroy does not wait
for the tasks the dead node still holds (before the fix it waited 60 s for them and failed).
"""

from __future__ import annotations

from typing import Any

from infra.docker_env import BUSYBOX_IMAGE
from infra.procs import wait_until
from infra.swarm import SwarmLab
from infra.swarm_project import SwarmProject, ours, running_tasks

SERVICES = """\
name: {name}
clusters:
  lab: {{type: swarm, docker_host: "{docker_host}"}}
services:
  free:
    type: docker
    cluster: lab
    image: {image}
    command: ["sleep", "600"]
    init: true
    replicas: 2
    startup_timeout: 120
  spread:
    type: docker
    cluster: lab
    image: {image}
    command: ["sleep", "600"]
    init: true
    replicas: {spread}
    max_replicas_per_node: 1
    startup_timeout: 120
"""


def write(project: SwarmProject, swarm: SwarmLab, spread: int) -> None:
    project.write(SERVICES.format(name=project.directory.name, image=BUSYBOX_IMAGE,
                                  docker_host=swarm.manager.docker_host, spread=spread))


def by_name(api: Any, scope: str) -> dict[str, dict[str, Any]]:
    return {s["Spec"]["Name"].rsplit("_", 1)[-1]: s for s in ours(api, scope)}


def test_a_crashed_worker_s_tasks_are_rescheduled(
        swarm: SwarmLab, manager_api: Any, swarm_project: SwarmProject) -> None:
    cli = swarm_project.cli
    write(swarm_project, swarm, spread=3)
    cli("apply", "--auto-approve")
    services = by_name(manager_api, swarm_project.scope)
    free = services["free"]["ID"]
    ids = {swarm.node_id(node): node for node in swarm.nodes}
    on = {t["NodeID"] for t in running_tasks(manager_api, free)}
    victim = next(node for node in swarm.nodes[1:] if swarm.node_id(node) in on)
    victim_id = swarm.node_id(victim)
    assert set(ids) == {t["NodeID"] for t in running_tasks(manager_api, services["spread"]["ID"])}

    swarm.kill(victim)
    wait_until(lambda: manager_api.inspect_node(victim_id)["Status"]["State"] == "down", 90,
               "the manager to see the crashed worker down", interval=0.5)

    def rescheduled() -> bool:
        tasks = running_tasks(manager_api, free)
        return len(tasks) == 2 and victim_id not in {t["NodeID"] for t in tasks}

    wait_until(rescheduled, 90, "the crashed worker's task to run elsewhere", interval=0.5)

    drift = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "swarm_service.spread" in drift and "2/3 tasks running" in drift, drift
    assert f"node {victim_id[:12]} (" in drift and "down" in drift, drift
    assert "swarm_service.free" not in drift, drift  # rescheduled: nothing to do

    write(swarm_project, swarm, spread=2)
    cli("apply", "--auto-approve")
    cli("plan", "--detailed-exitcode")
    cli("destroy", "--auto-approve")
    assert ours(manager_api, swarm_project.scope) == []
