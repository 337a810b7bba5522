"""Engine calls that need the docker SDK's own helpers, for kinds that must not import it.

:func:`create_container` sends what ``client.containers.create(**kwargs)`` sends (the SDK turns
the high-level arguments into the API's body), without the inspect the SDK adds after it.
:func:`events_client` is the environment's client for an event stream (unchecked: the stream's
own failure is what a watcher reports). The SDK is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def create_container(client: Any, kwargs: Mapping[str, Any]) -> str:
    """Create the container ``kwargs`` describe (``containers.create`` arguments); its id."""
    from docker.models.containers import _create_container_args

    args = _create_container_args({"command": None, **kwargs,
                                   "version": client.api._version})
    return str(client.api.create_container(**args)["Id"])


def events_client() -> Any:
    """A docker client from the environment (DOCKER_HOST, the socket), not pinged."""
    import docker

    return docker.from_env()
