"""A ``type: compose`` entry with ``cluster:`` becomes one swarm service per Compose service.

The Compose keys a swarm service has fields for reach its spec (and the API body), named as
``docker stack deploy`` names them; what it cannot do is refused at its file:line:col in the
Compose file; ``depends_on`` orders the plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.swarm_service.actuator import service_alias, service_name
from reconciler.actuators.swarm_service.spec import of
from reconciler.engine.project import Project
from reconciler.errors import ConfigError
from reconciler.model.types import Address, Condition
from reconciler.transports.docker.swarm import service_body

SERVICES = """\
name: shop
clusters:
  lab: {type: swarm, docker_host: 'unix:///tmp/m.sock'}
services:
  stack:
    type: compose
    cluster: lab
    files: [compose.yaml]
"""
COMPOSE = """\
services:
  web:
    image: app:1
    entrypoint: [/bin/app]
    command: serve --port 80
    environment:
      GREETING: hello
      DB_PASSWORD: hunter2
    env_file: [web.env]
    ports:
      - "8080:80"
      - {target: 53, published: 5353, protocol: udp, mode: host}
    deploy:
      replicas: 3
      placement:
        constraints: [node.role==worker]
        max_replicas_per_node: 1
      update_config: {parallelism: 2, delay: 1m30s, order: start-first,
                      failure_action: rollback}
      resources:
        limits: {cpus: "0.5", memory: 256M}
      restart_policy: {condition: on-failure, max_attempts: 4}
    healthcheck:
      test: ["CMD", "wget", "-q", "http://127.0.0.1/"]
      interval: 5s
      timeout: 2s
      retries: 4
    stop_signal: SIGINT
    init: true
    volumes: ["data:/var/lib/app", "shared:/shared:ro"]
    networks: [front, back]
    depends_on:
      db: {condition: service_healthy}
  db:
    image: postgres:16
volumes:
  data: {}
  shared: {external: true}
networks:
  front: {}
  back: {name: the-back}
"""


def project(tmp_path: Path, compose: str = COMPOSE, services: str = SERVICES) -> Project:
    (tmp_path / "services.yaml").write_text(services)
    (tmp_path / "compose.yaml").write_text(compose)
    (tmp_path / "web.env").write_text("FROM_FILE=1\nGREETING=overridden\n")
    return Project(tmp_path, state_dir=tmp_path / ".state")


def test_compose_keys_reach_the_swarm_spec(tmp_path: Path) -> None:
    desired, _ = project(tmp_path).desired()
    web = desired.resources[Address("swarm_service", "stack.web")]
    spec = of(web.spec)
    assert spec["cluster"] == "lab" and spec["docker_host"] == "unix:///tmp/m.sock"
    assert spec["image"] == "app:1" and spec["entrypoint"] == ["/bin/app"]
    assert spec["command"] == ["serve", "--port", "80"]
    assert spec["env"]["GREETING"] == "hello" and spec["env"]["FROM_FILE"] == "1"
    assert "hunter2" not in str(web.spec) and web.secrets == {"env.DB_PASSWORD": "hunter2"}
    assert spec["ports"] == [
        {"target": 80, "published": 8080, "protocol": "tcp", "mode": "ingress"},
        {"target": 53, "published": 5353, "protocol": "udp", "mode": "host"}]
    assert spec["replicas"] == 3 and spec["constraints"] == ["node.role==worker"]
    assert spec["max_replicas_per_node"] == 1
    assert spec["update"] == {"parallelism": 2, "delay": 90.0, "order": "start-first",
                              "failure_action": "rollback"}
    assert spec["limits"] == {"nano_cpus": 500_000_000, "memory_bytes": 256 * 1024**2}
    assert spec["restart"] == {"condition": "on-failure", "max_attempts": 4}
    assert spec["healthcheck"] == {"test": ["CMD", "wget", "-q", "http://127.0.0.1/"],
                                   "interval": 5 * 10**9, "timeout": 2 * 10**9,
                                   "retries": 4, "start_period": 0}
    assert spec["stop_signal"] == "SIGINT" and spec["init"] is True
    assert spec["mounts"] == [
        {"source": "shop_stack_data", "target": "/var/lib/app", "read_only": False},
        {"source": "shared", "target": "/shared", "read_only": True}]
    assert spec["networks"] == ["shop_stack_front", "the-back"]
    assert web.depends_on[0].target == Address("swarm_service", "stack.db")
    assert web.depends_on[0].condition == Condition.HEALTHY


def test_defaults_as_docker_stack_deploy(tmp_path: Path) -> None:
    desired, _ = project(tmp_path).desired()
    db = of(desired.resources[Address("swarm_service", "stack.db")].spec)
    assert db["replicas"] == 1 and db["ports"] == [] and db["command"] == []
    assert db["networks"] == ["shop_stack_default"]  # the stack's default network
    assert db["restart"] == {"condition": "any", "max_attempts": 0}
    assert not any(a.kind == "compose" for a in desired.resources)


def test_swarm_names_and_alias(tmp_path: Path) -> None:
    ctx = ActuatorContext(project="shop", scope="shop", state_dir=tmp_path,
                          transport=None)  # type: ignore[arg-type]
    address = Address("swarm_service", "stack.web")
    assert service_name(ctx, address) == "shop_stack_web"
    assert service_alias(address) == "web"
    assert service_alias(Address("swarm_service", "stack.api.v2")) == "api.v2"
    assert service_alias(Address("swarm_service", "web")) == "web"  # a docker service
    desired, _ = project(tmp_path).desired()
    spec = dict(desired.resources[address].spec)
    body = service_body(spec, "shop_stack_web", {}, {}, alias="web")
    aliases = {n["Target"]: n["Aliases"] for n in body["task_template"]["Networks"]}
    assert aliases == {"shop_stack_front": ["web"], "the-back": ["web"]}


def test_depends_on_names_the_swarm_services(tmp_path: Path) -> None:
    services = SERVICES + "  api:\n    command: sleep 60\n    depends_on: [stack.db]\n"
    desired, _ = project(tmp_path, services=services).desired()
    web = desired.resources[Address("swarm_service", "stack.web")]
    assert [str(d.target) for d in web.depends_on] == ["swarm_service.stack.db"]
    api = desired.resources[Address("process", "api")]
    assert [str(d.target) for d in api.depends_on] == ["swarm_service.stack.db"]


@pytest.mark.parametrize(("key", "line", "message", "hint"), [
    ("    build: .\n", 4, "Compose key 'build' of service 'web'", "build and push the image"),
    ("    privileged: true\n", 4, "Compose key 'privileged'", "without `cluster:`"),
    ("    volumes: [./src:/src]\n", 4, "is not a named volume", "use a named volume"),
    ("    volumes:\n      - data:/d\n      - {type: bind, source: /x, target: /x}\n", 6,
     "is not a named volume", "use a named volume"),
    ("    ports: ['127.0.0.1:8080:80']\n", 4, "cannot be published by a cluster",
     "PUBLISHED:TARGET"),
    ("    ports: ['80']\n", 4, "cannot be published by a cluster", "no random port"),
    ("    deploy:\n      mode: global\n", 5, "deploy.mode 'global'", "replicated"),
    ("    deploy:\n      resources:\n        reservations: {cpus: '1'}\n", 6,
     "'deploy.resources.reservations'", "supported: limits"),
    ("    deploy:\n      endpoint_mode: dnsrr\n", 5, "'deploy.endpoint_mode'", "remove it"),
    ("    deploy:\n      restart_policy: {condition: sometimes}\n", 5,
     "deploy.restart_policy.condition 'sometimes'", "use one of none, on-failure, any"),
    ("    deploy:\n      update_config:\n        order: random\n", 6,
     "deploy.update_config.order 'random'", "stop-first, start-first"),
    ("    depends_on:\n      db: {condition: service_completed_successfully}\n", 5,
     "cannot honour", "service_healthy"),
])
def test_what_does_not_map_is_refused_at_its_place(tmp_path: Path, key: str, line: int,
                                                  message: str, hint: str) -> None:
    compose = f"services:\n  web:\n    image: app:1\n{key}  db:\n    image: db:1\n"
    with pytest.raises(ConfigError) as caught:
        project(tmp_path, compose).plan()
    rendered = caught.value.render()
    assert message in rendered and hint in rendered, rendered
    assert f"compose.yaml:{line}:" in rendered, rendered


def test_extension_keys_are_left_alone(tmp_path: Path) -> None:
    compose = COMPOSE.replace("    image: postgres:16\n", "    image: postgres:16\n    x-note: 1\n")
    desired, _ = project(tmp_path, compose).desired()
    assert Address("swarm_service", "stack.db") in desired.resources


def test_unknown_cluster_and_project_name_are_refused(tmp_path: Path) -> None:
    services = SERVICES.replace("cluster: lab", "cluster: nope\n    project_name: x")
    with pytest.raises(ConfigError) as caught:
        project(tmp_path, services=services).plan()
    rendered = caught.value.render()
    assert "names unknown cluster 'nope'" in rendered and "services.yaml:7:" in rendered
    assert "'project_name' does not apply" in rendered and "services.yaml:8:" in rendered


def test_without_cluster_the_entry_stays_a_compose_project(tmp_path: Path) -> None:
    services = SERVICES.replace("    cluster: lab\n", "")
    desired, _ = project(tmp_path, services=services).desired()
    assert Address("compose", "stack.web") in desired.resources
    assert not any(a.kind == "swarm_service" for a in desired.resources)
