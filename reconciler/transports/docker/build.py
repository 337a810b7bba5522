"""Image builds and image bookkeeping on a Docker engine, for the ``image`` kind.

:func:`build_image` sends a context through the SDK (which reads ``.dockerignore`` and adds
a Dockerfile from outside the context, like ``docker build -f``) and returns the new image's
id; a failing step is a TerminalError with the builder's last lines. :func:`owned_images`
is one image list filtered by a label, :func:`tag_labels` the labels of a tagged image,
:func:`users_of` the containers (running or not) made from an image, :func:`remove_image`
removes one (a missing image is fine). The SDK is imported inside the functions; failures
are mapped by ``errors.engine_errors``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.errors import TerminalError
from reconciler.transports.docker.client import DockerClient, ImageSummary
from reconciler.transports.docker.errors import engine_errors, is_not_found

__all__ = ["build_image", "owned_images", "remove_image", "tag_labels", "users_of"]


def build_image(client: DockerClient, url: str | None, *, context: str, dockerfile: str, tag: str,
                target: str | None, args: Mapping[str, str],
                labels: Mapping[str, str]) -> str:
    """Build ``tag`` from ``context`` with ``dockerfile`` (an absolute path); its image id."""
    relative = os.path.relpath(dockerfile, context)
    said: list[str] = []
    image_id = ""
    with engine_errors(url, f"building image {tag}"):
        stream = client.api.build(path=context, dockerfile=relative, tag=tag, target=target,
                                  buildargs=dict(args), labels=dict(labels), rm=True,
                                  forcerm=True, decode=True)
        for chunk in stream:
            if "error" in chunk:
                tail = " | ".join(line.strip() for line in said[-3:] if line.strip())
                raise TerminalError(f"building image {tag} failed: "
                                    f"{' '.join(str(chunk['error']).split())[:300]}",
                                    hint=f"the build said: {tail[:300]}" if tail else
                                    "run `docker build` in the context to see every step")
            line = chunk.get("stream")
            if isinstance(line, str):
                said.append(line)
            aux = chunk.get("aux")
            if isinstance(aux, dict) and aux.get("ID"):
                image_id = str(aux["ID"])
        if not image_id:
            image_id = str(client.api.inspect_image(tag)["Id"])
    return image_id


def tag_labels(client: DockerClient, url: str | None, tag: str) -> dict[str, str] | None:
    """The labels of the image ``tag`` names; None when no image has that tag."""
    with engine_errors(url, f"inspecting image {tag}", image=tag):
        try:
            found = client.api.inspect_image(tag)
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise
    config = found.get("Config")
    labels = config.get("Labels") if isinstance(config, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def owned_images(client: DockerClient, url: str | None, label: str) -> list[ImageSummary]:
    """Every image carrying ``label`` (``key=value``): one list call."""
    with engine_errors(url, "listing images"):
        return client.api.images(filters={"label": label})


def users_of(client: DockerClient, url: str | None, image_id: str) -> list[str]:
    """The names of the containers (any state) made from ``image_id``."""
    with engine_errors(url, f"listing the containers of image {image_id[:19]}"):
        found = client.api.containers(all=True, filters={"ancestor": image_id})
    return sorted(str((c.get("Names") or [c.get("Id", "")])[0]).lstrip("/") for c in found)


def remove_image(client: DockerClient, url: str | None, image_id: str) -> None:
    """Remove the image ``image_id``; one already gone is not an error."""
    with engine_errors(url, f"removing image {image_id[:19]}"):
        try:
            client.api.remove_image(image_id)
        except Exception as exc:
            if is_not_found(exc):
                return
            raise
