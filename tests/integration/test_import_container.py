"""``reconciler import container.X ID`` with the real Docker engine (issue 30).

A container the test started itself (no labels of ours) is imported by name: nothing is
started or stopped, the plan is empty when it runs as configured and shows the exact field
diff (``command``, an env value) when it does not; an apply replaces the differing one
(removed by its recorded id, created anew with our labels) and destroy removes what is left.
Wrong imports are refused with a hint. Everything the test starts is removed by id.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.cli import Cli
from infra.docker_env import DockerCleanup, unique_name

PROJECT = """\
version: "1.0"
name: imports
services:
  box:
    type: docker
    image: {image}
    command: ["sleep", "3600"]
    env: {{GREETING: hello}}
    shutdown_timeout: 1
  other:
    type: docker
    image: {image}
    command: ["sleep", "3600"]
    env: {{GREETING: hello}}
    shutdown_timeout: 1
"""


@pytest.fixture
def cli(tmp_path: Path, busybox_image: str) -> Iterator[Cli]:
    project = tmp_path / "imports"
    project.mkdir()
    (project / "services.yaml").write_text(PROJECT.format(image=busybox_image))
    made = Cli(project, f"t{os.getpid()}ic")
    yield made
    made("destroy", "--auto-approve", expect=None)


def test_import_containers_by_name(cli: Cli, busybox_image: str, docker_client: Any,
                                   docker_cleanup: DockerCleanup) -> None:
    box = docker_client.containers.run(busybox_image, ["sleep", "3600"], detach=True,
                                       name=unique_name("ibox"), environment={"GREETING": "hello"})
    docker_cleanup.container(box.id)
    other = docker_client.containers.run(busybox_image, ["sleep", "1000"], detach=True,
                                         name=unique_name("iother"),
                                         environment={"GREETING": "bonjour"})
    docker_cleanup.container(other.id)

    done = cli("import", "container.box", box.name).stdout
    assert f"Imported container.box (container {box.name}, {box.id[:12]})" in done, done
    cli("plan", "--detailed-exitcode", "--target", "container.box", expect=0)  # as configured
    shown = json.loads(cli("state", "show", "container.box", "--json").stdout)
    assert shown["facts"]["id"] == box.id and shown["facts"]["imported"] is True
    done = cli("exec", "box", "--", "sh", "-c", 'echo "$GREETING"; exit 5', expect=5)
    assert done.stdout.strip() == "hello"  # exec finds it by its recorded id

    for args, words in [(("container.box", other.name), "already in the state"),
                        (("container.nope", other.name), "not in the configuration"),
                        (("container.other", unique_name("none")), "no container is called"),
                        (("container.other", box.name), "under another address")]:
        refused = cli("import", *args, expect=1)
        assert words in refused.stderr and "hint:" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr

    cli("import", "container.other", other.id)
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert '~ command[1]: "1000" -> "3600"' in plan, plan
    assert '~ env.GREETING: "bonjour" -> "hello"' in plan, plan
    assert "container.box" not in plan and "0 to add" in plan and "1 to replace" in plan, plan
    for container in (box, other):
        container.reload()
        assert container.status == "running"  # import and plan touch nothing

    cli("apply", "--auto-approve")  # replaces the differing one, by its recorded id
    assert [c.id for c in docker_client.containers.list(all=True, filters={"id": other.id})
            ] == []
    box.reload()
    assert box.status == "running"
    cli("plan", "--detailed-exitcode", expect=0)
    cli("destroy", "--auto-approve")
    assert docker_client.containers.list(all=True, filters={"id": box.id}) == []


ADOPT = """\
version: "1.0"
name: imports
services:
  box:
    type: docker
    image: {image}
    command: ["sleep", "3600"]
    shutdown_timeout: 1
    adopt: {{id: {name}}}
"""


def test_adopt_in_the_config_imports_on_apply(cli: Cli, busybox_image: str, docker_client: Any,
                                              docker_cleanup: DockerCleanup) -> None:
    box = docker_client.containers.run(busybox_image, ["sleep", "3600"], detach=True,
                                       name=unique_name("abox"))
    docker_cleanup.container(box.id)
    (cli.project / "services.yaml").write_text(ADOPT.format(image=busybox_image, name=box.name))
    cli("validate")
    plan = cli("plan", "--detailed-exitcode", expect=0).stdout  # taken over as it runs
    assert f"container.box will be imported (adopt: {{id: {box.id}}})" in plan, plan
    assert cli("state", "list").stdout.strip() == ""  # a plan records nothing
    cli("apply", "--auto-approve")
    shown = json.loads(cli("state", "show", "container.box", "--json").stdout)
    assert shown["facts"]["id"] == box.id and shown["facts"]["imported"] is True
    box.reload()
    assert box.status == "running"  # never restarted
    cli("plan", "--detailed-exitcode", expect=0)
    (cli.project / "services.yaml").write_text(
        ADOPT.format(image=busybox_image, name=box.name).replace('"3600"', '"3601"'))
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert '~ command[1]: "3600" -> "3601"' in plan and "1 to replace" in plan, plan
    cli("destroy", "--auto-approve")
    assert docker_client.containers.list(all=True, filters={"id": box.id}) == []
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout  # gone: planned as a create
    assert "1 to add" in plan, plan
