"""Two sessions of one project side by side: real processes and one busybox container each.

Each session has its own state db, auto port and scope (``<project>_<session>``), so its
container and network names differ; destroying one leaves the other running. Everything is
destroyed through the CLI in a finalizer, and the containers and networks are also
registered with ``docker_cleanup`` by name.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.docker_env import DockerCleanup

SERVICES = """\
name: twin
services:
  web:
    command: python3 -m http.server ${PORT} --bind 127.0.0.1
    port: auto
    health_check: {tcp: {port: "${web.port}"}}
  box:
    type: docker
    image: %s
    command: [sh, -c, "trap 'exit 0' TERM; sleep 300 & wait"]
    shutdown_timeout: 2
"""


def cli(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project), *args],
                          capture_output=True, text=True, timeout=120, check=False)
    if check and done.returncode != 0:
        pytest.fail(f"reconciler {' '.join(args)} exited {done.returncode}:\n"
                    f"{done.stdout}\n{done.stderr}", pytrace=False)
    return done


def status(project: Path, session: str) -> dict[str, dict[str, Any]]:
    rows = json.loads(cli(project, "--session", session, "status", "--json").stdout)
    return {row["address"]: row for row in rows["resources"]}


@pytest.fixture
def project(tmp_path: Path, busybox_image: str,
            docker_cleanup: DockerCleanup) -> Iterator[Path]:
    (tmp_path / "services.yaml").write_text(SERVICES % busybox_image)
    for session in ("a", "b"):
        docker_cleanup.container(f"twin_{session}-box")
        docker_cleanup.network(f"twin_{session}")
    yield tmp_path
    for session in ("a", "b"):
        cli(tmp_path, "--session", session, "destroy", "--auto-approve", check=False)


def test_two_sessions_side_by_side_and_destroy_one(project: Path, docker_client: Any) -> None:
    for session in ("a", "b"):  # one after the other: see docs/sessions.md on ports
        cli(project, "--session", session, "apply", "--auto-approve")
    a, b = status(project, "a"), status(project, "b")
    assert a["process.web"]["state"] == b["process.web"]["state"] == "running"
    assert a["process.web"]["port"] != b["process.web"]["port"]
    assert a["process.web"]["pid"] != b["process.web"]["pid"]
    for row in (a, b):
        port = row["process.web"]["port"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as reply:
            assert reply.status == 200
    owned = {"label": "io.reconciler.project=twin"}
    boxes = {c.name: c.labels["io.reconciler.scope"]
             for c in docker_client.containers.list(filters=owned)}
    assert boxes == {"twin_a-box": "twin_a", "twin_b-box": "twin_b"}
    assert (project / ".reconciler/sessions/a/state.db").is_file()
    assert (project / ".reconciler/sessions/b/state.db").is_file()

    cli(project, "--session", "a", "destroy", "--auto-approve")
    a, b = status(project, "a"), status(project, "b")
    assert a["process.web"]["state"] == "absent" and a["container.box"]["state"] == "absent"
    assert b["process.web"]["state"] == "running" and b["container.box"]["state"] == "running"
    left = [c.name for c in docker_client.containers.list(all=True, filters=owned)]
    assert left == ["twin_b-box"]
    plan = cli(project, "--session", "b", "plan", "--detailed-exitcode", check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr
