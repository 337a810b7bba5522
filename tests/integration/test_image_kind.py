"""``type: image`` end to end through the pipeline against the real Docker engine.

Builds FROM the local test image (no registry): create, a no-op plan, an ignored file's edit
(no change), a context file's edit (a rebuild, and the container running the tag replaced
after it), a build arg's change (a rebuild), and destroy (the image kept while another
container uses it, removed once none does); a Compose service whose ``image:`` names the tag
is recreated on the new build after a rebuild. Every object is registered with the
``docker_cleanup`` fixture and removed by name or id when the test ends.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from infra.components import require
from infra.docker_env import DockerCleanup

from reconciler.engine.project import Project
from reconciler.model.changes import Action

pytestmark = pytest.mark.integration

DOCKERFILE = """FROM {base}
ARG GREETING=hello
COPY app.txt /app.txt
RUN echo "$GREETING" > /greeting
CMD ["sleep", "3600"]
"""


def write_config(root: Path, tag: str, greeting: str) -> None:
    (root / "services.yaml").write_text(
        f"name: {root.name}\nservices:\n"
        f"  app-image:\n    type: image\n    tag: {tag}\n    context: ctx\n"
        f"    build_args:\n      GREETING: {greeting}\n"
        f"  web:\n    type: docker\n    image: {tag}\n")


def actions(project: Project) -> dict[str, Action]:
    return {str(c.address): c.action for c in project.plan().plan.changes}


def apply(project: Project, destroy: bool = False) -> None:
    run = project.plan(destroy=destroy)
    with project.locked():
        result = project.execute(run)
    assert result.ok, [r.message for r in result.root_causes()]


def image_id(client: Any, ref: str) -> str:
    return str(client.api.inspect_image(ref)["Id"])


def running_image(client: Any, name: str) -> str:
    return str(client.api.inspect_container(name)["Image"])


@pytest.fixture
def project_dir(tmp_path: Path, busybox_image: str, docker_cleanup: DockerCleanup) -> Path:
    root = tmp_path / f"imgt{uuid.uuid4().hex[:8]}"
    (root / "ctx").mkdir(parents=True)
    (root / "ctx" / "Dockerfile").write_text(DOCKERFILE.format(base=busybox_image))
    (root / "ctx" / "app.txt").write_text("one\n")
    (root / "ctx" / ".dockerignore").write_text("*.log\n**/cache\n!keep.log\n")
    (root / "ctx" / "notes.log").write_text("ignored\n")
    (root / "ctx" / "sub" / "cache").mkdir(parents=True)
    (root / "ctx" / "sub" / "cache" / "blob").write_text("ignored too\n")
    docker_cleanup.container(f"{root.name}-web")
    docker_cleanup.network(root.name)
    docker_cleanup.image(f"{root.name}:1")
    return root


def test_build_rebuild_replaces_dependents_and_destroy(project_dir: Path, docker_client: Any,
                                                      docker_cleanup: DockerCleanup) -> None:
    tag = f"{project_dir.name}:1"
    web = f"{project_dir.name}-web"
    write_config(project_dir, tag, "hello")
    project = Project(project_dir, state_dir=project_dir / ".state")
    assert actions(project) == {"image.app-image": Action.CREATE,
                                "container.web": Action.CREATE}
    apply(project)
    first = image_id(docker_client, tag)
    docker_cleanup.image(first)
    labels = docker_client.api.inspect_image(tag)["Config"]["Labels"]
    assert labels["io.reconciler.address"] == "image.app-image"
    assert running_image(docker_client, web) == first
    assert set(actions(project).values()) == {Action.NOOP}

    # files .dockerignore leaves out: no change, no rebuild
    (project_dir / "ctx" / "notes.log").write_text("edited\n")
    (project_dir / "ctx" / "sub" / "cache" / "blob").write_text("edited too\n")
    assert set(actions(project).values()) == {Action.NOOP}

    # a file the build sends: rebuilt, and the container that runs the tag replaced after it
    (project_dir / "ctx" / "app.txt").write_text("two\n")
    assert actions(project) == {"image.app-image": Action.REPLACE,
                                "container.web": Action.REPLACE}
    apply(project)
    second = image_id(docker_client, tag)
    docker_cleanup.image(second)
    assert second != first and running_image(docker_client, web) == second
    assert set(actions(project).values()) == {Action.NOOP}

    # an ignored file brought back by `!keep.log` counts
    (project_dir / "ctx" / "keep.log").write_text("kept\n")
    assert actions(project)["image.app-image"] is Action.REPLACE
    (project_dir / "ctx" / "keep.log").unlink()

    # a build arg: rebuilt
    write_config(project_dir, tag, "bonjour")
    assert actions(project) == {"image.app-image": Action.REPLACE,
                                "container.web": Action.REPLACE}
    apply(project)
    third = image_id(docker_client, tag)
    docker_cleanup.image(third)
    assert third not in (first, second) and running_image(docker_client, web) == third
    leftovers = docker_client.api.images(
        filters={"label": f"io.reconciler.scope={project_dir.name}"})
    assert {i["Id"] for i in leftovers} <= {second, third}  # the first build was removed

    # destroy while another container uses the image: the image stays
    other = docker_client.api.create_container(tag, command=["true"])["Id"]
    docker_cleanup.container(other)
    apply(project, destroy=True)
    assert image_id(docker_client, tag) == third
    docker_client.api.remove_container(other)
    apply(project, destroy=True)
    assert not docker_client.api.images(
        filters={"label": f"io.reconciler.scope={project_dir.name}"}, all=True)
    assert not docker_client.api.containers(all=True, filters={"name": web})


def test_a_tag_held_by_an_image_not_ours_is_not_taken(project_dir: Path, docker_client: Any,
                                                      busybox_image: str) -> None:
    tag = f"{project_dir.name}:1"
    docker_client.api.tag(busybox_image, project_dir.name, "1")  # cleaned up by tag
    write_config(project_dir, tag, "hello")
    project = Project(project_dir, state_dir=project_dir / ".state")
    run = project.plan()
    with project.locked():
        result = project.execute(run)
    assert not result.ok
    messages = [r.message for r in result.root_causes()]
    assert any(f"image {tag} exists and is not ours" in m for m in messages), messages
    assert image_id(docker_client, tag) == image_id(docker_client, busybox_image)


def test_a_compose_service_naming_the_tag_is_recreated_after_a_rebuild(
        project_dir: Path, docker_client: Any, docker_cleanup: DockerCleanup,
        monkeypatch: pytest.MonkeyPatch) -> None:
    require("docker", "compose-v2")
    monkeypatch.setenv("RECONCILER_COMPOSE", "v2")
    tag = f"{project_dir.name}:1"
    compose_project = docker_cleanup.compose_project(f"{project_dir.name}_shop")
    (project_dir / "compose.yaml").write_text(
        f"services:\n  web:\n    image: {tag}\n    command: [sleep, '3600']\n"
        "    stop_grace_period: 1s\n")
    (project_dir / "services.yaml").write_text(
        f"name: {project_dir.name}\nservices:\n"
        f"  app-image:\n    type: image\n    tag: {tag}\n    context: ctx\n"
        f"  shop:\n    type: compose\n    files: [compose.yaml]\n")
    project = Project(project_dir, state_dir=project_dir / ".state")
    assert actions(project) == {"image.app-image": Action.CREATE,
                                "compose.shop.web": Action.CREATE}
    apply(project)
    first = image_id(docker_client, tag)
    docker_cleanup.image(first)

    def web() -> str:
        [found] = docker_client.api.containers(all=True, filters={
            "label": [f"com.docker.compose.project={compose_project}",
                      "com.docker.compose.service=web"]})
        return str(found["Id"])

    assert running_image(docker_client, web()) == first
    assert set(actions(project).values()) == {Action.NOOP}

    (project_dir / "ctx" / "app.txt").write_text("two\n")  # Compose's own hash stays
    assert actions(project) == {"image.app-image": Action.REPLACE,
                                "compose.shop.web": Action.REPLACE}
    apply(project)
    second = image_id(docker_client, tag)
    docker_cleanup.image(second)
    assert second != first and running_image(docker_client, web()) == second
    assert set(actions(project).values()) == {Action.NOOP}
    apply(project, destroy=True)
