"""The image actuator (kind ``image``): images built from a Dockerfile context.

Observe makes ONE image list per engine, filtered by the owner label
``io.reconciler.scope``; an image is the one carrying its address label and its tag (older
builds of the same address, untagged by a rebuild, are leftovers). Apply builds the context
through :mod:`reconciler.transports.docker.build` with the owner marks as image labels, then
removes this address's leftovers that no container uses. A tag held by an image that is not
ours is never taken over. Delete removes the image only when no container (running or not)
uses it; otherwise it is kept, and said so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.actuators.base import ActuatorContext, docker_marks, foreign_owner
from reconciler.actuators.image.spec import spec_of
from reconciler.errors import TerminalError
from reconciler.events import Event
from reconciler.model.changes import (
    OWNED_BY,
    Action,
    Change,
    Health,
    HealthStatus,
    Observed,
    Status,
)
from reconciler.model.types import Address, Resource
from reconciler.transports.docker import build, engines
from reconciler.transports.docker import labels as dl
from reconciler.transports.docker.client import DockerClient, ImageSummary


class ImageActuator:
    kind = "image"

    def __init__(self) -> None:
        self._engines = engines.DockerEngines()

    def _client(self, ctx: ActuatorContext) -> tuple[DockerClient, str | None]:
        engine = engines.engine_of(ctx.transport, ctx.docker_url)
        return self._engines.client(ctx.transport, engine), engine.url

    def _owned(self, ctx: ActuatorContext) -> dict[Address, list[ImageSummary]]:
        client, url = self._client(ctx)
        found: dict[Address, list[ImageSummary]] = {}
        for image in build.owned_images(client, url, f"{dl.LABEL_SCOPE}={ctx.scope}"):
            try:
                address = Address.parse(str((image.get("Labels") or {}).get(dl.LABEL_ADDRESS)))
            except ValueError:  # a label edited by hand: not one of ours any more
                continue
            if address.kind == self.kind:
                found.setdefault(address, []).append(image)
        return found

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, object]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        result: dict[Address, Observed] = {}
        for address, images in self._owned(ctx).items():
            tagged = [i for i in images if _tag_of(i)]
            if not tagged:
                continue  # only leftovers of earlier builds: removed by the next apply
            image = max(tagged, key=lambda i: int(i.get("Created") or 0))
            labels = image.get("Labels") or {}
            facts: dict[str, str | dict[str, str]] = {"image_id": str(image["Id"]),
                                                      "tag": _tag_of(image)}
            owner = foreign_owner(labels.get(dl.LABEL_STATE_ID), labels.get(dl.LABEL_STATE_DIR),
                                  ctx)
            if owner is not None:
                facts[OWNED_BY] = owner
            result[address] = Observed(address, Status.RUNNING, labels.get(dl.LABEL_SPEC_HASH),
                                       facts=facts, adopted=address not in recorded)
        return result

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        client, url = self._client(ctx)
        if change.action is Action.DELETE or resource is None:
            for image in self._owned(ctx).get(change.address, []):
                self._remove_unused(client, url, str(image["Id"]), change.address, ctx)
            return None
        spec = spec_of(resource.spec)
        labels = build.tag_labels(client, url, spec["tag"])
        if labels is not None and (labels.get(dl.LABEL_SCOPE) != ctx.scope
                                   or labels.get(dl.LABEL_ADDRESS) != str(resource.address)):
            raise TerminalError(f"image {spec['tag']} exists and is not ours",
                                hint="give the image entry another `tag:`, or remove that image")
        image_id = build.build_image(client, url, context=spec["context"],
                                     dockerfile=spec["dockerfile"], tag=spec["tag"],
                                     target=spec["build_target"], args=spec["build_args"],
                                     labels=docker_marks(ctx, resource))
        for image in self._owned(ctx).get(resource.address, []):
            if str(image["Id"]) != image_id and not _tag_of(image):
                self._remove_unused(client, url, str(image["Id"]), resource.address, ctx)
        return Observed(resource.address, Status.RUNNING, resource.hash(),
                        facts={"image_id": image_id, "tag": spec["tag"]})

    def _remove_unused(self, client: DockerClient, url: str | None, image_id: str, address: Address,
                       ctx: ActuatorContext) -> None:
        users = build.users_of(client, url, image_id)
        if users:
            ctx.events(Event("node.log", str(address), f"image {image_id[:19]} kept: used by "
                                                       f"{', '.join(users[:5])}"))
            return
        build.remove_image(client, url, image_id)

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        if observed.facts.get("image_id"):
            return Health(HealthStatus.HEALTHY, str(observed.facts["image_id"])[:19])
        return Health(HealthStatus.UNHEALTHY, "not built")


def _tag_of(image: ImageSummary) -> str:
    tags = [t for t in image.get("RepoTags") or [] if t and t != "<none>:<none>"]
    return str(tags[0]) if tags else ""
