"""Compose projects respect state ownership (issue 28), with the real Compose CLIs (v1, v2).

Two checkouts of one project (two directories, the same project name, so the same Compose
project name ``<scope>_compose``), each with its own state: the second's plan shows the first's
Compose service as owned by another checkout (made from the first's directory), its apply
refuses (exit 1) and leaves the first's container alone (same id); ``apply --adopt`` takes it
over, after which the FIRST checkout is the one that sees a foreign service (its record names
its own directory, not the second's); the adopter's destroy removes the project by name.
Two checkouts sharing one state (``--state-dir``, as with one PostgreSQL state) do not
conflict: the state's record names the directory the containers were made from.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from infra.docker_env import BUSYBOX_IMAGE, ComposeCli, DockerCleanup, unique_name

ROOT = Path(__file__).resolve().parents[2]
SERVICES = "name: cown\n"
COMPOSE = """\
services:
  sleeper:
    image: {image}
    init: true
    command: ["sleep", "3600"]
"""


@dataclass
class Checkout:
    """One checkout directory and the CLI run on it (one session, one Compose CLI)."""

    root: Path
    session: str
    env: dict[str, str]
    state_dir: Path | None = None
    log: list[str] = field(default_factory=list)

    def __call__(self, *args: str, expect: int = 0) -> str:
        state = ["--state-dir", str(self.state_dir)] if self.state_dir else []
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "-C", str(self.root), "--session",
             self.session, "--no-color", *state, *args],
            capture_output=True, text=True, timeout=180, env=self.env, cwd=ROOT, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == expect, f"{args}: exit {done.returncode}\n{output}"
        assert "Traceback" not in output, output
        return output


@dataclass
class Pair:
    first: Checkout
    second: Checkout
    project: str       # the Compose project name both checkouts compute
    docker: Any

    def containers(self) -> list[tuple[str, str]]:
        """(id, working_dir label) of every container of the Compose project."""
        found = self.docker.containers.list(
            all=True, filters={"label": f"com.docker.compose.project={self.project}"})
        return sorted((c.id, c.labels.get("com.docker.compose.project.working_dir", ""))
                      for c in found)


@pytest.fixture
def pair(tmp_path: Path, compose_cli: ComposeCli, busybox_image: str,
         docker_cleanup: DockerCleanup, docker_client: Any) -> Iterator[Pair]:
    session = unique_name("co")
    env = {**os.environ, "RECONCILER_COMPOSE": compose_cli.flavor, "NO_COLOR": "1"}
    if compose_cli.argv[0].startswith("/"):  # a v1 binary not first on PATH
        env["PATH"] = f"{Path(compose_cli.argv[0]).parent}:{env.get('PATH', '')}"
    checkouts = []
    for name in ("one", "two"):
        root = tmp_path / name
        root.mkdir()
        (root / "services.yaml").write_text(SERVICES)
        (root / "compose.yaml").write_text(COMPOSE.format(image=BUSYBOX_IMAGE))
        checkouts.append(Checkout(root, session, env))
    project = f"cown_{session}_compose"
    docker_cleanup.compose_project(project)
    made = Pair(checkouts[0], checkouts[1], project, docker_client)
    yield made
    for container_id, _ in made.containers():
        docker_cleanup.container(container_id)
    label = {"label": f"com.docker.compose.project={project}"}
    for network in docker_client.networks.list(filters=label):
        docker_cleanup.network(network.id)


def test_second_checkout_refuses_another_checkouts_compose_service(pair: Pair) -> None:
    first, second = pair.first, pair.second
    first("apply", "--auto-approve")
    before = pair.containers()
    assert [where for _, where in before] == [str(first.root)], before
    first("plan", "--detailed-exitcode", expect=0)

    plan = second("plan", "--detailed-exitcode", expect=2)
    assert f"! compose.compose.sleeper is owned by another state (made from {first.root})" \
        in plan, plan
    refused = second("apply", "--auto-approve", expect=1)
    assert "owned by another state" in refused and str(first.root) in refused, refused
    assert "--adopt" in refused
    assert pair.containers() == before  # not recreated, not doubled
    first("plan", "--detailed-exitcode", expect=0)  # the first still owns it

    second("apply", "--auto-approve", "--adopt")
    after = pair.containers()
    assert [where for _, where in after] == [str(second.root)], after
    assert after[0][0] != before[0][0]  # taken over: recreated from the second's files
    assert f"(dir {first.root}) with --adopt" in second("audit", "export")
    second("plan", "--detailed-exitcode", expect=0)
    # the first's record names its own directory: it does not silently take it back
    plan = first("plan", "--detailed-exitcode", expect=2)
    assert f"owned by another state (made from {second.root})" in plan, plan
    first("apply", "--auto-approve", expect=1)
    assert pair.containers() == after

    second("destroy", "--auto-approve")
    assert pair.containers() == []
    label = {"label": f"com.docker.compose.project={pair.project}"}
    assert pair.docker.networks.list(filters=label) == []


def test_checkouts_sharing_one_state_do_not_conflict(pair: Pair, tmp_path: Path) -> None:
    """One state (as one PostgreSQL state is) for both: its record is the owner's word."""
    shared = tmp_path / "shared-state"
    pair.first.state_dir = pair.second.state_dir = shared
    pair.first("apply", "--auto-approve")
    before = pair.containers()
    pair.second("plan", "--detailed-exitcode", expect=0)  # the same image service: in sync
    pair.second("destroy", "--auto-approve")
    assert pair.containers() == [] and before
