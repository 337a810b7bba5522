"""Images on a Docker engine: whether one is present, and the ``pull`` policy.

Shared by every kind that runs or builds images (a container, a future ``image`` kind): a
missing image is pulled under ``missing``, every time under ``always``, and is an error under
``never``; a failed pull is a TerminalError naming the image and the registry's answer.
"""

from __future__ import annotations

from reconciler.errors import TerminalError
from reconciler.transports.docker.client import DockerClient
from reconciler.transports.docker.errors import (
    IMAGE_HINT,
    describe,
    engine_errors,
    explanation,
    unreachable,
)


def image_present(client: DockerClient, image: str, url: str | None) -> bool:
    """Whether the engine has ``image`` locally (one inspect)."""
    import docker.errors

    with engine_errors(url, f"inspecting image {image}", image=image):
        try:
            client.api.inspect_image(image)
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.NotFound:
            return False
    return True


def ensure_image(client: DockerClient, image: str, pull: str, url: str | None) -> bool:
    """Apply the pull policy (``missing`` | ``always`` | ``never``); True when it pulled."""
    import docker.errors
    import requests.exceptions

    if pull != "always" and image_present(client, image, url):
        return False
    if pull == "never":
        raise TerminalError(f"image {image} is not present on the Docker engine at "
                            f"{describe(url)} and pull is 'never'",
                            hint="docker load or docker build it on that engine")
    try:
        client.images.pull(image)
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        if isinstance(exc, requests.exceptions.ConnectionError):
            raise unreachable(url, exc) from None
        raise TerminalError(f"image {image} could not be pulled: {explanation(exc)}",
                            hint=IMAGE_HINT) from None
    except docker.errors.DockerException as exc:
        raise TerminalError(f"image {image} could not be pulled: {explanation(exc)}",
                            hint=IMAGE_HINT) from None
    return True
