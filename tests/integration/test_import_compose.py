"""``reconciler import compose.X PROJECT`` end to end (issue 30), with the real Compose CLIs.

The test starts a Compose project itself (``<compose> -p P -f compose.yaml up -d``, as a user
would) with the name the entry configures (``project_name:``): the import records every
service of the entry, the next ``plan --detailed-exitcode`` exits 0 and nothing was recreated
(the same container ids). A service whose running command differs from the file is recorded
as it runs and the plan shows the exact field diff (and a replace). A project name that is not
the entry's is refused with a hint. The project is removed by name when the test ends.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from infra.cli import Cli
from infra.docker_env import ComposeCli, DockerCleanup, unique_name

pytestmark = pytest.mark.integration

COMPOSE = """\
services:
  web:
    image: {image}
    init: true
    command: ["sleep", "3600"]
  worker:
    image: {image}
    init: true
    command: ["sleep", "{seconds}"]
"""


def _ids(docker: Any, project: str) -> dict[str, str]:
    found = docker.containers.list(all=True,
                                   filters={"label": f"com.docker.compose.project={project}"})
    return {c.labels["com.docker.compose.service"]: c.id for c in found}


def test_import_compose_project_then_no_op_plan(
        tmp_path: Path, compose_cli: ComposeCli, busybox_image: str,
        docker_cleanup: DockerCleanup, docker_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_COMPOSE", compose_cli.flavor)
    if compose_cli.argv[0].startswith("/"):  # a v1 binary not first on PATH
        monkeypatch.setenv("PATH", f"{Path(compose_cli.argv[0]).parent}:{os.environ['PATH']}")
    root = tmp_path / "cimp"
    root.mkdir()
    project = docker_cleanup.compose_project(unique_name("cimp"))
    (root / "services.yaml").write_text(
        f'version: "1.0"\nname: cimp\nservices:\n  app:\n    type: compose\n'
        f"    project_name: {project}\n")
    compose = root / "compose.yaml"
    compose.write_text(COMPOSE.format(image=busybox_image, seconds=3601))
    compose_cli.run(project, [compose], "up", "-d")
    before = _ids(docker_client, project)
    cli = Cli(root, unique_name("s"))

    refused = cli("import", "compose.app", "someone_else", expect=1)
    assert f"runs as Compose project {project}" in refused.stderr, refused.stderr
    assert "hint:" in refused.stderr
    done = cli("import", "compose.app", project).stdout
    assert "Imported compose.app.web" in done and "Imported compose.app.worker" in done, done
    cli("plan", "--detailed-exitcode", expect=0)
    shown = json.loads(cli("state", "show", "compose.app.worker", "--json").stdout)
    assert shown["facts"]["container_id"] == before["worker"]
    assert shown["facts"]["imported"] is True
    assert _ids(docker_client, project) == before  # nothing recreated

    cli("state", "rm", "compose.app.worker")
    compose.write_text(COMPOSE.format(image=busybox_image, seconds=3602))
    cli("import", "compose.app.worker", project)
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert "compose.app.worker" in plan and "compose.app.web" not in plan, plan
    assert '~ definition.command[1]: "3601" -> "3602"   # forces replacement' in plan, plan
    assert "1 to replace" in plan, plan
    assert _ids(docker_client, project) == before
