"""Engine calls that need the docker SDK's own helpers, for kinds that must not import it.

:func:`create_container` sends what ``client.containers.create(**kwargs)`` sends (the SDK turns
the high-level arguments into the API's body), without the inspect the SDK adds after it.
:func:`events_client` is the environment's client for an event stream (unchecked: the stream's
own failure is what a watcher reports). The SDK is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.transports.docker.client import DockerClient


def create_container(client: DockerClient, kwargs: Mapping[str, object]) -> str:
    """Create the container ``kwargs`` describe (``containers.create`` arguments); its id."""
    from docker.models.containers import _create_container_args

    args = _create_container_args({"command": None, **kwargs,
                                   "version": client.api._version})
    return str(client.api.create_container(**args)["Id"])


def events_client() -> DockerClient:
    """A docker client from the environment (DOCKER_HOST, the socket), not pinged."""
    import docker

    client: DockerClient = docker.from_env()  # the SDK is untyped
    return client
