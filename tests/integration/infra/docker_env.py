"""Docker and Compose for integration tests: the local image, a clean-up registry, the CLIs.

No registry is reachable from the test machines, so tests use the image built by
scripts/setup-test-env.sh (`reconciler-test/busybox:1`: static busybox with its applets, PATH set,
/www/index.html). `DockerCleanup` removes, by id or name, what a test registered: containers,
networks, volumes, images and whole Compose projects (found by their
`com.docker.compose.project` label, which Compose v1 and v2 both set).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUSYBOX_IMAGE = "reconciler-test/busybox:1"
COMPOSE_LABEL = "com.docker.compose.project"


def unique_name(prefix: str = "rcn") -> str:
    """A name no other run uses: `prefix` + 6 random hex digits (lower case, Compose-safe)."""
    return f"{prefix}{secrets.token_hex(3)}"


class CleanupError(RuntimeError):
    """Some registered objects could not be removed (the message lists them)."""


class DockerCleanup:
    """A registry of Docker objects to remove at teardown; `close()` removes them all.

    Register right after (or before) creating: `cleanup.container(c.id)`,
    `cleanup.compose_project("rcnab12cd")`. Missing objects are fine (already removed).
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.containers: list[str] = []
        self.networks: list[str] = []
        self.volumes: list[str] = []
        self.images: list[str] = []
        self.compose_projects: list[str] = []

    def container(self, ref: str) -> str:
        self.containers.append(ref)
        return ref

    def network(self, ref: str) -> str:
        self.networks.append(ref)
        return ref

    def volume(self, name: str) -> str:
        self.volumes.append(name)
        return name

    def image(self, ref: str) -> str:
        self.images.append(ref)
        return ref

    def compose_project(self, name: str) -> str:
        self.compose_projects.append(name)
        return name

    def close(self) -> None:
        """Remove everything registered (projects first, images last); raise if any remain."""
        import docker.errors

        problems: list[str] = []

        def attempt(what: str, action: Any) -> None:
            try:
                action()
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                problems.append(f"{what}: {exc}")

        containers, networks = list(self.containers), list(self.networks)
        volumes = list(self.volumes)
        for project in self.compose_projects:
            label = {"label": f"{COMPOSE_LABEL}={project}"}
            containers += [c.id for c in self.client.containers.list(all=True, filters=label)]
            networks += [n.id for n in self.client.networks.list(filters=label)]
            volumes += [v.name for v in self.client.volumes.list(filters=label)]
        for ref in containers:
            attempt(
                f"container {ref}",
                lambda ref=ref: self.client.api.remove_container(ref, force=True, v=True),
            )
        for ref in networks:
            attempt(f"network {ref}", lambda ref=ref: self.client.api.remove_network(ref))
        for name in volumes:
            attempt(f"volume {name}", lambda name=name: self.client.api.remove_volume(name))
        for ref in self.images:
            attempt(f"image {ref}", lambda ref=ref: self.client.api.remove_image(ref))
        self.containers.clear()
        self.networks.clear()
        self.volumes.clear()
        self.images.clear()
        self.compose_projects.clear()
        if problems:
            raise CleanupError("docker clean-up left objects behind: " + "; ".join(problems))


@dataclass(frozen=True)
class ComposeCli:
    """One Compose implementation: `flavor` v1 or v2, its argv prefix and its version."""

    flavor: str
    argv: tuple[str, ...]
    version: str

    def command(self, project: str, files: Sequence[Path], *args: str) -> list[str]:
        """`<compose> -p project -f file... args...`, ready for subprocess."""
        cmd = [*self.argv, "-p", project]
        for f in files:
            cmd += ["-f", str(f)]
        return [*cmd, *args]

    def run(
        self, project: str, files: Sequence[Path], *args: str, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a Compose command, raising CalledProcessError (with output) when it fails."""
        cmd = self.command(project, files, *args)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, cmd, done.stdout, done.stderr)
        return done


def compose_cli(flavor: str, v1_binary: str | None) -> ComposeCli:
    """The ComposeCli for `flavor` ("v1" needs `v1_binary`); the caller checked it exists."""
    if flavor == "v1":
        if v1_binary is None:
            raise ValueError("Compose v1 binary not found")
        on_path = shutil.which("docker-compose") == v1_binary
        argv: tuple[str, ...] = ("docker-compose",) if on_path else (v1_binary,)
    elif flavor == "v2":
        argv = ("docker", "compose")
    else:
        raise ValueError(f"unknown compose flavor {flavor!r}")
    out = subprocess.run(
        [*argv, "version", "--short"], capture_output=True, text=True, check=True, timeout=30
    )
    return ComposeCli(flavor, argv, out.stdout.strip().lstrip("v"))
