"""``cluster:`` services build into ``swarm_service`` resources (no engine needed).

The spec the model builds (replicas, constraints, host-mode ports, restart words mapped onto
swarm's conditions, update config with its defaults, secrets kept out of the spec), the API
body the actuator sends, and the validation errors: an undeclared cluster, swarm keys without
`cluster:`, a task on a cluster, a bad publish mode.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.actuators.swarm_service.rollout import current_tasks, running, task_errors
from reconciler.actuators.swarm_service.spec import of
from reconciler.engine.project import Project
from reconciler.errors import ConfigError
from reconciler.model.types import Address
from reconciler.transports.docker.swarm import service_body

HEAD = "name: sw\nclusters:\n  lab: {type: swarm, docker_host: 'unix:///tmp/m.sock'}\n"
WEB = """\
services:
  web:
    type: docker
    cluster: lab
    image: app:1
    command: ["httpd", "-f"]
    env: {GREETING: hi, TOKEN: {secret: s3cret}}
    replicas: 3
    constraints: ["node.role==worker"]
    ports: ["8080:80", 53/udp]
    publish_mode: host
    restart: on-failure:4
    update: {order: start-first, delay: 2}
    labels: {team: web}
"""


def build(tmp_path: Path, text: str) -> Project:
    (tmp_path / "services.yaml").write_text(text)
    return Project(tmp_path, state_dir=tmp_path / ".state")


def test_a_cluster_service_is_a_swarm_service(tmp_path: Path) -> None:
    desired, _ = build(tmp_path, HEAD + WEB).desired()
    resource = desired.resources[Address("swarm_service", "web")]
    spec = of(resource.spec)
    assert spec["docker_host"] == "unix:///tmp/m.sock" and spec["replicas"] == 3
    assert spec["ports"] == [
        {"target": 80, "published": 8080, "protocol": "tcp", "mode": "host"},
        {"target": 53, "published": 53, "protocol": "udp", "mode": "host"}]
    assert spec["restart"] == {"condition": "on-failure", "max_attempts": 4}
    assert spec["update"] == {"parallelism": 1, "delay": 2, "failure_action": "pause",
                              "order": "start-first"}
    assert spec["env"]["GREETING"] == "hi" and "s3cret" not in str(resource.spec)
    assert resource.secrets == {"env.TOKEN": "s3cret"}

    body = service_body(spec, "sw_web", {"io.reconciler.scope": "sw"},
                        {**spec["env"], "TOKEN": "s3cret"})
    container = body["task_template"]["ContainerSpec"]
    assert container["Env"] == ["GREETING=hi", "TOKEN=s3cret"]
    assert container["Labels"] == {"team": "web", "io.reconciler.scope": "sw"}
    assert body["task_template"]["Placement"] == {"Constraints": ["node.role==worker"]}
    assert body["mode"] == {"replicated": {"Replicas": 3}}
    assert body["update_config"]["Order"] == "start-first"
    assert body["update_config"]["Delay"] == 2_000_000_000
    assert body["endpoint_spec"]["Ports"][0]["PublishMode"] == "host"


def test_default_cluster_engine_is_the_local_one(tmp_path: Path) -> None:
    text = ("name: sw\nclusters:\n  here: {type: swarm}\nservices:\n"
            "  a: {type: docker, cluster: here, image: app:1}\n")
    desired, _ = build(tmp_path, text).desired()
    spec = of(desired.resources[Address("swarm_service", "a")].spec)
    assert spec["docker_host"] is None and spec["replicas"] == 1
    assert spec["restart"]["condition"] == "any" and spec["ports"] == []


@pytest.mark.parametrize(("text", "message"), [
    ("name: sw\nservices:\n  a: {type: docker, cluster: nope, image: x}\n",
     "unknown cluster 'nope'"),
    ("name: sw\nservices:\n  a: {type: docker, image: x, replicas: 2}\n",
     "'replicas' of 'a' needs `cluster:`"),
    (HEAD + "tasks:\n  t: {type: docker, cluster: lab, image: x}\n", "cannot run on cluster"),
    (HEAD + "services:\n  a: {type: docker, cluster: lab, image: x, publish_mode: mesh}\n",
     "publish_mode"),
    ("name: sw\nclusters:\n  k: {type: kubernetes}\nservices: {}\n", "clusters"),
])
def test_invalid_cluster_entries(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build(tmp_path, text).plan()
    rendered = caught.value.render()
    assert message in rendered and "services.yaml:" in rendered


def test_task_errors_and_the_tasks_of_the_current_spec() -> None:
    new, old = {"Image": "app:2"}, {"Image": "app:1"}
    service = {"Spec": {"TaskTemplate": {"ContainerSpec": new}}}
    tasks = [
        {"NodeID": "n1aaaaaaaaaaaaaa", "DesiredState": "running", "Spec": {"ContainerSpec": new},
         "Status": {"State": "running"}, "UpdatedAt": "3"},
        {"NodeID": "n2", "DesiredState": "shutdown", "Spec": {"ContainerSpec": new},
         "Status": {"State": "failed", "Err": "exit 1"}, "UpdatedAt": "2"},
        {"NodeID": "n3", "DesiredState": "running", "Spec": {"ContainerSpec": new},
         "Status": {"State": "preparing", "Message": "pulling"}, "UpdatedAt": "4"},
        {"NodeID": "n4", "DesiredState": "running", "Spec": {"ContainerSpec": old},
         "Status": {"State": "running"}, "UpdatedAt": "1"},
    ]
    fresh = current_tasks(service, tasks)
    assert [t["NodeID"] for t in fresh] == ["n1aaaaaaaaaaaaaa", "n2", "n3"]
    assert [t["NodeID"] for t in running(fresh)] == ["n1aaaaaaaaaaaaaa"]
    assert task_errors(tasks) == ["n3: preparing: pulling", "n2: failed: exit 1"]


def test_an_unreachable_cluster_plans_its_services_as_unreachable(tmp_path: Path) -> None:
    text = (f"name: sw\nclusters:\n  lab: {{type: swarm, docker_host: "
            f"'unix://{tmp_path}/absent.sock'}}\nservices:\n"
            "  a: {type: docker, cluster: lab, image: app:1}\n")
    [change] = build(tmp_path, text).plan().plan.changes
    assert change.address == Address("swarm_service", "a")
    assert "host unreachable: swarm manager unix://" in change.reason_text()
