"""The docker keys of a cluster service reach the swarm spec and the API body, or are refused.

``cpus``/``memory`` as resource limits, ``health_check`` as the container's Healthcheck,
``entrypoint`` as the container's Command (``command`` its Args), named ``volumes`` as volume
mounts, ``networks`` as attachments with the service's short name as alias, ``stop_signal`` as
the StopSignal; a bind mount, a tcp check, ``host``/``adopt``/``pull``/``port`` are errors at
their place. A service using none of them keeps the spec keys (and so the spec hash) it had.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.actuators.swarm_service.spec import of
from reconciler.engine.project import Project
from reconciler.errors import ConfigError
from reconciler.model.build_swarm_keys import memory_bytes
from reconciler.model.types import Address
from reconciler.transports.docker.swarm import service_body

HEAD = "name: sw\nclusters:\n  lab: {type: swarm, docker_host: 'unix:///tmp/m.sock'}\n"
FULL = HEAD + """\
services:
  web:
    type: docker
    cluster: lab
    image: app:1
    entrypoint: [/bin/app]
    command: [serve, --port, "80"]
    cpus: 0.5
    memory: 256m
    volumes: ["data:/var/lib/app", "cache:/cache:ro"]
    networks: [backend]
    stop_signal: INT
    health_check: {http: "http://127.0.0.1:80/health", interval: 2, timeout: 1, retries: 5,
                   start_period: 3}
"""


def build(tmp_path: Path, text: str) -> Project:
    (tmp_path / "services.yaml").write_text(text)
    return Project(tmp_path, state_dir=tmp_path / ".state")


def spec_of(tmp_path: Path, text: str, name: str = "web") -> dict[str, object]:
    desired, _ = build(tmp_path, text).desired()
    return dict(desired.resources[Address("swarm_service", name)].spec)


def test_docker_keys_reach_the_spec_and_the_body(tmp_path: Path) -> None:
    spec = of(spec_of(tmp_path, FULL))
    assert spec["limits"] == {"nano_cpus": 500_000_000, "memory_bytes": 256 * 1024**2}
    assert spec["entrypoint"] == ["/bin/app"] and spec["command"] == ["serve", "--port", "80"]
    assert spec["mounts"] == [
        {"source": "data", "target": "/var/lib/app", "read_only": False},
        {"source": "cache", "target": "/cache", "read_only": True}]
    assert spec["networks"] == ["backend"]
    check = spec["healthcheck"]
    assert check["test"][0] == "CMD-SHELL" and "http://127.0.0.1:80/health" in check["test"][1]
    assert (check["interval"], check["timeout"], check["retries"], check["start_period"]) == (
        2_000_000_000, 1_000_000_000, 5, 3_000_000_000)

    body = service_body(spec, "sw_web", {"io.reconciler.scope": "sw"}, {}, alias="web")
    template = body["task_template"]
    container = template["ContainerSpec"]
    assert container["Command"] == ["/bin/app"] and container["StopSignal"] == "SIGINT"
    assert container["Args"] == ["serve", "--port", "80"]
    assert container["Healthcheck"]["Interval"] == 2_000_000_000
    assert container["Healthcheck"]["Retries"] == 5
    assert [(m["Source"], m["Target"], m["Type"], m["ReadOnly"])
            for m in container["Mounts"]] == [("data", "/var/lib/app", "volume", False),
                                               ("cache", "/cache", "volume", True)]
    assert template["Resources"] == {"Limits": {"NanoCPUs": 500_000_000,
                                                "MemoryBytes": 268_435_456}}
    assert [(n["Target"], n["Aliases"]) for n in template["Networks"]] == [("backend", ["web"])]


def test_a_command_check_is_a_cmd_probe(tmp_path: Path) -> None:
    text = HEAD + ("services:\n  web:\n    type: docker\n    cluster: lab\n    image: app:1\n"
                   "    health_check: {command: test, args: [-e, /ready]}\n")
    check = of(spec_of(tmp_path, text))["healthcheck"]
    assert check["test"] == ["CMD", "test", "-e", "/ready"]
    assert (check["interval"], check["retries"]) == (30_000_000_000, 3)


def test_a_command_without_entrypoint_is_the_args(tmp_path: Path) -> None:
    text = HEAD + "services:\n  web: {type: docker, cluster: lab, image: app:1, command: [a, b]}\n"
    spec = spec_of(tmp_path, text)
    # none of the optional keys: the spec (and its hash) is what it was before they existed
    assert set(spec) == {"cluster", "docker_host", "image", "command", "env", "replicas",
                         "constraints", "ports", "restart", "update", "labels", "init",
                         "startup_timeout"}
    container = service_body(of(spec), "sw_web", {}, {})["task_template"]["ContainerSpec"]
    assert container["Args"] == ["a", "b"] and container.get("Command") is None
    template = service_body(of(spec), "sw_web", {}, {})["task_template"]
    assert template.get("Resources") is None and template.get("Networks") is None
    assert container.get("Healthcheck") is None and container.get("Mounts") is None
    assert container.get("StopSignal") is None


@pytest.mark.parametrize(("entry", "message", "hint"), [
    ("volumes: ['./data:/data']", "is a bind mount", "named volume"),
    ("volumes: ['/srv/data:/data']", "a path on the manager is not a path on every node",
     "named volume"),
    ("health_check: {tcp: {port: 80}}", "tcp health_check", "nc -z"),
    ("host: box", "'host' of 'web' does not apply to a cluster service", "constraints"),
    ("pull: always", "'pull' of 'web'", "pull the image themselves"),
    ("port: 8080", "'port' of 'web'", "publish the service with `ports:`"),
])
def test_keys_that_do_not_map_are_refused_at_their_place(tmp_path: Path, entry: str,
                                                         message: str, hint: str) -> None:
    hosts = "hosts:\n  box: {address: 127.0.0.1}\n" if entry.startswith("host:") else ""
    text = HEAD + hosts
    text += ("services:\n  web:\n    type: docker\n    cluster: lab\n    image: app:1\n"
             f"    {entry}\n")
    with pytest.raises(ConfigError) as caught:
        build(tmp_path, text).plan()
    rendered = caught.value.render()
    assert message in rendered and hint in rendered
    assert f"services.yaml:{9 + hosts.count(chr(10))}:" in rendered  # the key's own line


@pytest.mark.parametrize(("raw", "size"), [
    ("512k", 512 * 1024), ("256m", 256 * 1024**2), ("1.5g", 1536 * 1024**2),
    ("1gb", 1024**3), (4096, 4096), ("lots", None), (0, None)])
def test_memory_sizes(raw: object, size: int | None) -> None:
    assert memory_bytes(raw) == size
