"""Secret env values of a swarm service as swarm secrets, on a REAL three-node swarm.

A `{secret: ...}` value and a `{sops: FILE#path}` reference (real `sops` + age key made by the
test) become swarm secrets named `<service>_<VAR>_<digest>` with our owner labels, mounted
as /run/secrets/VAR with `VAR_FILE` in the env (the task reads the clear value from the
file). `docker service inspect`, `docker secret inspect`, the CLI output and every file of
the project (the state included) hold no clear value. A rotated value creates a new secret,
rolls the same service, and the old secret is removed; destroy removes the rest.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from infra.components import require
from infra.docker_env import BUSYBOX_IMAGE
from infra.swarm import SwarmLab
from infra.swarm_project import SwarmProject, ours, running_tasks

from reconciler.engine.sops import sops_binary

TOKEN = "tok-Clear-8d1f20"
ROTATED = "tok-Rotated-41c9aa"
PASSWORD = "pw-Sops-a7719e"

SERVICES = """\
name: {name}
clusters:
  lab: {{type: swarm, docker_host: "{docker_host}"}}
services:
  app:
    type: docker
    cluster: lab
    image: {image}
    command: ["sleep", "600"]
    init: true
    constraints: ["node.role==manager"]
    env:
      API_TOKEN: {{secret: {token}}}
      DB_PASSWORD: {{sops: secrets.enc.yaml#db.password}}
      MODE: plain
    startup_timeout: 120
"""


def write(project: SwarmProject, swarm: SwarmLab, token: str) -> None:
    project.write(SERVICES.format(name=project.directory.name, image=BUSYBOX_IMAGE,
                                  docker_host=swarm.manager.docker_host, token=token))


def encrypt(project: Path, keys: Path) -> Path:
    key = keys / "age.txt"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True, timeout=30)
    recipient = next(line.split()[-1] for line in key.read_text().splitlines()
                     if line.startswith("# public key:"))
    (project / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.enc\\.[^/]+$\n    age: {recipient}\n")
    (project / "secrets.enc.yaml").write_text(f"db:\n  password: {PASSWORD}\n")
    binary = sops_binary()
    assert binary is not None
    subprocess.run([binary, "--encrypt", "--in-place", "secrets.enc.yaml"], cwd=project,
                   env={**os.environ, "SOPS_AGE_KEY_FILE": str(key)}, check=True,
                   capture_output=True, timeout=60)
    return key


def in_task(swarm: SwarmLab, api: Any, service_id: str, path: str) -> str:
    """`cat path` inside the service's one task (placed on the manager)."""
    [task] = running_tasks(api, service_id)
    container = task["Status"]["ContainerStatus"]["ContainerID"]
    return swarm.manager.docker("exec", container, "cat", path)


def no_clear_value(*texts: str) -> None:
    for text in texts:
        for value in (TOKEN, ROTATED, PASSWORD):
            assert value not in text


def test_secret_env_values_are_swarm_secrets(
        swarm: SwarmLab, manager_api: Any, swarm_project: SwarmProject, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    require("sops")
    keys = tmp_path / "keys"
    keys.mkdir()
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(encrypt(swarm_project.directory, keys)))
    cli = swarm_project.cli
    write(swarm_project, swarm, TOKEN)
    plan = cli("plan").stdout
    applied = cli("apply", "--auto-approve")
    [service] = ours(manager_api, swarm_project.scope)
    name = service["Spec"]["Name"]
    env = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert sorted(env) == ["API_TOKEN_FILE=/run/secrets/API_TOKEN",
                           "DB_PASSWORD_FILE=/run/secrets/DB_PASSWORD", "MODE=plain"]
    secrets = manager_api.secrets(filters={"label": f"io.reconciler.scope={swarm_project.scope}"})
    names = sorted(s["Spec"]["Name"] for s in secrets)
    assert [n.rsplit("_", 1)[0] for n in names] == [f"{name}_API_TOKEN", f"{name}_DB_PASSWORD"]
    assert all(s["Spec"]["Labels"]["io.reconciler.address"] == "swarm_service.app"
               for s in secrets)
    assert in_task(swarm, manager_api, service["ID"], "/run/secrets/API_TOKEN") == TOKEN
    assert in_task(swarm, manager_api, service["ID"], "/run/secrets/DB_PASSWORD") == PASSWORD
    inspected = swarm.manager.docker("service", "inspect", name)
    secret_inspect = swarm.manager.docker("secret", "inspect", *names)
    no_clear_value(plan, applied.stdout, applied.stderr, inspected, secret_inspect)

    write(swarm_project, swarm, ROTATED)
    rotate_plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "API_TOKEN" in rotate_plan and "DB_PASSWORD" not in rotate_plan, rotate_plan
    rotated = cli("apply", "--auto-approve")
    [again] = ours(manager_api, swarm_project.scope)
    assert again["ID"] == service["ID"]  # the same service rolled
    after = sorted(s["Spec"]["Name"] for s in manager_api.secrets(
        filters={"label": f"io.reconciler.scope={swarm_project.scope}"}))
    assert len(after) == 2 and names[1] in after and names[0] not in after  # old one removed
    assert in_task(swarm, manager_api, again["ID"], "/run/secrets/API_TOKEN") == ROTATED
    no_clear_value(rotate_plan, rotated.stdout, rotated.stderr,
                   swarm.manager.docker("service", "inspect", name))
    cli("plan", "--detailed-exitcode")

    cli("destroy", "--auto-approve")
    assert ours(manager_api, swarm_project.scope) == []
    assert manager_api.secrets(
        filters={"label": f"io.reconciler.scope={swarm_project.scope}"}) == []
    for path in swarm_project.directory.rglob("*"):
        if path.is_file() and path.name != "services.yaml":
            no_clear_value(path.read_bytes().decode(errors="replace"))
