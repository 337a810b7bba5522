"""Smoke tests of the Docker fixtures: the local image serves HTTP on 127.0.0.1, the clean-up
registry removes what it holds, and Compose v1 and v2 each bring a tiny project up and down."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path
from typing import Any

from infra.docker_env import COMPOSE_LABEL, ComposeCli, DockerCleanup, unique_name

HTTPD = "mkdir -p /www && echo reconciler-test > /www/index.html && exec httpd -f -p 80 -h /www"


def _get(url: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return str(reply.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_busybox_httpd_answers_on_a_loopback_port(
    docker_client: Any, busybox_image: str, docker_cleanup: DockerCleanup
) -> None:
    container = docker_client.containers.run(
        busybox_image,
        ["sh", "-c", HTTPD],
        name=docker_cleanup.container(unique_name("rcnweb")),
        detach=True,
        init=True,
        ports={"80/tcp": ("127.0.0.1", None)},
    )
    container.reload()
    binding = container.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]
    assert binding["HostIp"] == "127.0.0.1"
    assert _get(f"http://127.0.0.1:{binding['HostPort']}/").strip() == "reconciler-test"


def test_cleanup_registry_removes_containers_networks_and_volumes(
    docker_client: Any, busybox_image: str
) -> None:
    import docker.errors

    registry = DockerCleanup(docker_client)
    network = docker_client.networks.create(registry.network(unique_name("rcnnet")))
    volume = docker_client.volumes.create(registry.volume(unique_name("rcnvol")))
    container = docker_client.containers.create(busybox_image, ["sleep", "60"], init=True)
    registry.container(container.id)
    registry.close()
    for getter, ref in (
        (docker_client.containers.get, container.id),
        (docker_client.networks.get, network.id),
        (docker_client.volumes.get, volume.name),
    ):
        try:
            getter(ref)
        except docker.errors.NotFound:
            continue
        raise AssertionError(f"{ref} survived the clean-up")


def test_compose_project_goes_up_and_down(
    compose_cli: ComposeCli,
    busybox_image: str,
    docker_client: Any,
    docker_cleanup: DockerCleanup,
    tmp_path: Path,
) -> None:
    compose_file = tmp_path / "docker-compose.yml"
    compose_file.write_text(
        'version: "2.4"\n'
        "services:\n"
        "  sleeper:\n"
        f"    image: {busybox_image}\n"
        '    command: ["sleep", "300"]\n'
        "    init: true\n"
    )
    project = docker_cleanup.compose_project(unique_name(f"rcnc{compose_cli.flavor}"))
    label = {"label": f"{COMPOSE_LABEL}={project}"}

    compose_cli.run(project, [compose_file], "up", "-d")
    running = docker_client.containers.list(filters=label)
    assert [c.labels["com.docker.compose.service"] for c in running] == ["sleeper"]
    assert running[0].status == "running"

    compose_cli.run(project, [compose_file], "down")
    assert docker_client.containers.list(all=True, filters=label) == []
    assert docker_client.networks.list(filters=label) == []
    expected_major = "1." if compose_cli.flavor == "v1" else "2."
    assert compose_cli.version.startswith(expected_major)
