"""What names a ``type: image`` entry's tag is linked to it (``Kind.provides``/``consumes``):
containers, docker tasks and Compose services (``image:`` without ``build:``) depend on the
image and carry its build digest as ``image_build``, so a rebuild replaces them; and the
Compose actuator sees a recorded digest that differs as out of sync (Compose's own hash does
not move when the tag is rebuilt).
"""

from __future__ import annotations

from conftest import Run

from reconciler.actuators.compose.actuator import _Project, observed_from_rows
from reconciler.actuators.compose.cli import PsRow
from reconciler.model.types import Address, Resource

SERVICES = """\
services:
  img:
    type: image
    tag: shop/app
    build_args: {{VERSION: "{version}"}}
  shop:
    type: compose
    files: [compose.yaml]
tasks:
  migrate:
    type: docker
    image: shop/app:latest
"""

COMPOSE = """\
services:
  web:
    image: shop/app
  built:
    image: shop/app
    build: .
  db:
    image: postgres:16
"""


def _build(run: Run, version: int) -> dict[Address, Resource]:
    result = run({"services.yaml": SERVICES.format(version=version), "compose.yaml": COMPOSE,
                  "Dockerfile": "FROM scratch\n"})
    assert result.errors == [], result.errors
    return dict(result.state.resources)


def test_compose_services_and_docker_tasks_naming_the_tag_are_linked(run: Run) -> None:
    first = _build(run, 1)
    image = Address("image", "img")
    web, built, db = (first[Address("compose", f"shop.{s}")] for s in ("web", "built", "db"))
    migrate = first[Address("task", "migrate")]
    for linked in (web, migrate):
        assert linked.spec["image_build"].startswith("sha256:")
        assert image in [d.target for d in linked.depends_on]
    for unlinked in (built, db):  # built by Compose itself, or another image
        assert "image_build" not in unlinked.spec
        assert image not in [d.target for d in unlinked.depends_on]
    second = _build(run, 2)  # a build arg changed: the image is rebuilt
    assert second[image].hash() != first[image].hash()
    for address in (web.address, migrate.address):
        assert second[address].hash() != first[address].hash()
    for address in (built.address, db.address):
        assert second[address].hash() == first[address].hash()


def _row(service: str = "web") -> PsRow:
    return PsRow("c1", f"p-{service}-1", "p", service, "cfg", "running", "Up")


def test_compose_observe_is_out_of_sync_when_the_recorded_build_differs() -> None:
    resource = Resource(Address("compose", "shop.web"),
                        {"project": "p", "service": "web", "image_build": "sha256:new"})
    project = _Project("p", "shop", desired={"web": resource})
    stale = observed_from_rows(resource.address, [_row()], project, "cfg", adopted=False,
                               image_build="sha256:old")
    assert stale.spec_hash == "compose:cfg"  # the generic diff plans a replace
    fresh = observed_from_rows(resource.address, [_row()], project, "cfg", adopted=False,
                               image_build="sha256:new")
    assert fresh.spec_hash == resource.hash() and fresh.facts["image_build"] == "sha256:new"
    plain = Resource(Address("compose", "shop.db"), {"project": "p", "service": "db"})
    unlinked = observed_from_rows(plain.address, [_row("db")],
                                  _Project("p", "shop", desired={"db": plain}), "cfg",
                                  adopted=False)
    assert unlinked.spec_hash == plain.hash() and "image_build" not in unlinked.facts
